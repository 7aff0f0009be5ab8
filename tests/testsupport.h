#pragma once

// Helpers for tests that run against the real bench started by tests/bench/bench.sh.

#include <QElapsedTimer>
#include <QString>
#include <QTest>

#include <libpq-fe.h>

#include <memory>
#include <vector>

// Reads a bench conninfo from the environment. A test that needs the bench fails — never
// skips — when the bench was not started, so a broken bench cannot pass silently.
#define POOLSCOPE_BENCH(variable)                                                                          \
    const QString variable = qEnvironmentVariable(#variable);                                              \
    if (variable.isEmpty())                                                                                \
        QFAIL(#variable " is not set: the test bench is not running (run installer/dev.sh test, or source " \
                        "the env file of tests/bench/bench.sh start)")

// A client connection driven by the test itself with plain libpq, independent of the code
// under test: it puts sessions into the states PoolScope must recognise.
class ClientSession
{
public:
    ClientSession(const QString &conninfo, const char *applicationName)
    {
        const QByteArray info = conninfo.toUtf8();
        const char *keywords[] = {"dbname", "application_name", nullptr};
        const char *values[] = {info.constData(), applicationName, nullptr};
        m_conn = PQconnectdbParams(keywords, values, 1);
    }
    ~ClientSession() { close(); }
    ClientSession(const ClientSession &) = delete;
    ClientSession &operator=(const ClientSession &) = delete;

    bool ok() const { return m_conn && PQstatus(m_conn) == CONNECTION_OK; }
    QString error() const { return m_conn ? QString::fromUtf8(PQerrorMessage(m_conn)) : QString(); }
    int pid() const { return PQbackendPID(m_conn); }

    // Runs one command and waits for it; returns false when the server reported an error.
    bool exec(const QString &sql)
    {
        PGresult *result = PQexec(m_conn, sql.toUtf8().constData());
        const ExecStatusType status = PQresultStatus(result);
        PQclear(result);
        return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    }

    // First column of the first row, or empty.
    QString value(const QString &sql)
    {
        PGresult *result = PQexec(m_conn, sql.toUtf8().constData());
        QString text;
        if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0)
            text = QString::fromUtf8(PQgetvalue(result, 0, 0));
        PQclear(result);
        return text;
    }

    // Sends a command that will block (a lock wait, a long query) without waiting for it.
    bool send(const QString &sql)
    {
        m_busy = PQsendQuery(m_conn, sql.toUtf8().constData()) == 1;
        return m_busy;
    }

    // Waits for the answer to send(); false when it did not come within the time.
    bool finished(int milliseconds)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < milliseconds) {
            if (!PQconsumeInput(m_conn))
                return false;
            if (!PQisBusy(m_conn)) {
                while (PGresult *result = PQgetResult(m_conn))
                    PQclear(result);
                m_busy = false;
                return true;
            }
            QTest::qWait(20);
        }
        return false;
    }

    // True while the backend is still there: a terminated backend breaks the connection on the
    // next round trip. (The query itself may fail, in an aborted transaction: still there.)
    bool alive()
    {
        if (!ok())
            return false;
        exec(QStringLiteral("SELECT 1"));
        return PQstatus(m_conn) == CONNECTION_OK;
    }

    void close()
    {
        if (!m_conn)
            return;
        if (m_busy) { // do not leave a query running on the server
            if (PGcancel *cancel = PQgetCancel(m_conn)) {
                char buffer[256];
                PQcancel(cancel, buffer, sizeof buffer);
                PQfreeCancel(cancel);
            }
        }
        PQfinish(m_conn);
        m_conn = nullptr;
    }

private:
    PGconn *m_conn = nullptr;
    bool m_busy = false;
};

// Opens client sessions until the server refuses one: the slots left to non-superusers, filled
// by real sessions (the first named `first`, the others "filler").
inline std::vector<std::unique_ptr<ClientSession>> fillServer(const QString &conninfo, const char *first, int most = 20)
{
    std::vector<std::unique_ptr<ClientSession>> filling;
    for (int i = 0; i < most; ++i) {
        auto session = std::make_unique<ClientSession>(conninfo, i == 0 ? first : "filler");
        if (!session->ok())
            break;
        filling.push_back(std::move(session));
    }
    return filling;
}
