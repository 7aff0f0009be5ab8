#pragma once

// Thousands of real idle sessions on the bench for the benchmarks, each having run one tagged
// query of about 1 KB (what an ORM with sqlcommenter sends), and the measures the benchmarks
// take of them: CPU time of a process or thread from /proc, and of the server backend that
// served a connection.

#include <QByteArray>
#include <QFile>
#include <QString>

#include <libpq-fe.h>

#include <chrono>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

namespace bench {

// A valid query of about 1 KB with a sqlcommenter comment carrying a stack.
inline QByteArray taggedQuery(int i)
{
    QByteArray columns;
    for (int c = 0; c < 60; ++c)
        columns += QByteArray::number(c) + " AS c" + QByteArray::number(c) + ", ";
    return "SELECT " + columns + "'a /* b */' AS note /*application='service-" + QByteArray::number(i % 12)
        + "',route='%2Fapi%2Fitems',stack='shop%3A%3AItems%3A%3Alist%20items.cpp%3A" + QByteArray::number(40 + i % 9)
        + "|shop%3A%3AHttp%3A%3Adispatch%20http.cpp%3A120|main%20main.cpp%3A10'*/";
}

class IdleSessions
{
public:
    // Opens `count` sessions from four threads; each runs one tagged query and then idles.
    IdleSessions(const QString &conninfo, int count) : m_conns(size_t(count), nullptr)
    {
        rlimit files{};
        getrlimit(RLIMIT_NOFILE, &files);
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
        const QByteArray info = conninfo.toUtf8();
        std::vector<std::thread> openers;
        for (int t = 0; t < 4; ++t) {
            openers.emplace_back([&, t] {
                for (int i = t; i < count; i += 4) {
                    const QByteArray app = "service-" + QByteArray::number(i % 12);
                    const char *keywords[] = {"dbname", "application_name", nullptr};
                    const char *values[] = {info.constData(), app.constData(), nullptr};
                    PGconn *conn = PQconnectdbParams(keywords, values, 1);
                    if (PQstatus(conn) == CONNECTION_OK)
                        PQclear(PQexec(conn, taggedQuery(i).constData()));
                    m_conns[size_t(i)] = conn;
                }
            });
        }
        for (std::thread &opener : openers)
            opener.join();
    }
    ~IdleSessions()
    {
        for (PGconn *conn : m_conns)
            PQfinish(conn);
    }
    IdleSessions(const IdleSessions &) = delete;
    IdleSessions &operator=(const IdleSessions &) = delete;

    int opened() const
    {
        int ok = 0;
        for (PGconn *conn : m_conns)
            ok += PQstatus(conn) == CONNECTION_OK;
        return ok;
    }
    QString lastError() const { return m_conns.empty() ? QString() : QString::fromUtf8(PQerrorMessage(m_conns.back())); }

private:
    std::vector<PGconn *> m_conns;
};

// 2,000 backends exiting at once keep the server slow to log in for seconds; call this before
// leaving the bench to the next test.
inline void waitForQuickLogins(const QString &superuser)
{
    const QByteArray probeInfo = superuser.toUtf8() + " connect_timeout=10";
    for (int attempt = 0; attempt < 60; ++attempt) {
        const auto started = std::chrono::steady_clock::now();
        PGconn *probe = PQconnectdb(probeInfo.constData());
        const bool quick = PQstatus(probe) == CONNECTION_OK
            && std::chrono::steady_clock::now() - started < std::chrono::milliseconds(500);
        PQfinish(probe);
        if (quick)
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

inline double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// CPU time a process has used so far (user + system, all its threads), from /proc; -1 when
// it cannot be read.
inline double processCpuMs(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    // Fields after the command name, which may hold spaces: utime and stime are 14th and 15th.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    return (fields[11].toDouble() + fields[12].toDouble()) * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

// CPU time of one process to the nanosecond (the scheduler's count), for a server backend;
// -1 when it cannot be read (another user's process without root).
inline double backendCpuMs(qint64 pid)
{
    QFile schedstat(QStringLiteral("/proc/%1/schedstat").arg(pid));
    if (!schedstat.open(QIODevice::ReadOnly))
        return -1;
    return schedstat.readAll().split(' ').value(0).toDouble() / 1e6;
}

} // namespace bench
