#pragma once

#include "postgres/conninfo.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <atomic>
#include <chrono>
#include <memory>

struct pg_conn;
struct pg_result;

namespace poolscope {

using Clock = std::chrono::steady_clock;

// What went wrong with a libpq call, in words a DBA can act on.
struct PgError
{
    // Options: libpq refused the connection options before connecting (sslmode=bogus, a
    // service that is not defined): the conninfo is wrong, not the server.
    enum class Kind { None, Connection, Authentication, TooManyConnections, Timeout, Aborted, Query, Privilege, Options };
    Kind kind = Kind::None;
    QString sqlstate; // five characters, when the server sent one
    QString message;  // libpq's or the server's message, passwords redacted

    bool isError() const { return kind != Kind::None; }
    // What to do about it, when there is something to say (how to get into a full server,
    // what to check for a refused login or a silent one); empty otherwise.
    QString advice() const;
    static PgError fromMessage(Kind kind, const QString &message, const QString &sqlstate = {});
};

// Owns one PGresult. Columns are looked up by name because they differ by server version.
class PgResult
{
public:
    PgResult() = default;
    explicit PgResult(pg_result *result);

    bool isNull() const { return !m_result; }
    int rows() const;
    int columnCount() const;
    QString columnName(int column) const;
    int column(const char *name) const; // -1 when the server did not send that column
    bool isNull(int row, int column) const;
    const char *raw(int row, int column) const;
    int length(int row, int column) const;
    QString text(int row, int column) const;
    qint64 toInt64(int row, int column, qint64 fallback = 0) const;
    double toDouble(int row, int column, double fallback = 0) const;
    bool toBool(int row, int column) const;

private:
    struct Deleter { void operator()(pg_result *result) const; };
    std::shared_ptr<pg_result> m_result;
};

// One libpq connection with a deadline on every call. Blocking, so it lives on a worker
// thread; abort() may be called from any thread and makes a blocked connect or query give up
// within ~100 ms and close the connection.
//
// No cancel request is ever sent: PQcancel has no timeout and, on a network that stops
// passing bytes, blocks its thread for good. What ends a query on the server is the server
// itself: every PoolScope session sets statement_timeout and lock_timeout to its client
// deadline (setServerTimeouts), so a query whose client gave up or went away ends there within
// that time, also when PoolScope crashed.
class PgConnection
{
public:
    PgConnection() = default;
    ~PgConnection();
    PgConnection(const PgConnection &) = delete;
    PgConnection &operator=(const PgConnection &) = delete;

    // Opens a connection; any previous one is closed first. Returns an error on failure,
    // with the connection closed (PQfinish on every path).
    PgError open(const ConnInfo &info, const QByteArray &applicationName);
    void close();
    bool isOpen() const;

    // PostgreSQL: extended protocol with text parameters. Exactly one statement.
    PgError exec(const QByteArray &sql, const QList<QByteArray> &params, std::chrono::milliseconds timeout,
                 PgResult *result);
    // Simple query protocol, for the PgBouncer console and multi-statement reads. Every
    // result is returned, in order.
    PgError execSimple(const QByteArray &sql, std::chrono::milliseconds timeout, QList<PgResult> *results);

    // Sets statement_timeout and lock_timeout of this session (PostgreSQL, not the PgBouncer
    // console) to `timeout`, so that a query ends on the server when its client gives up.
    PgError setServerTimeouts(std::chrono::milliseconds timeout);

    // Thread-safe: interrupts a connect or query in progress on another thread; the
    // connection is closed and cannot be used again.
    void abort();

    int serverVersion() const;
    int backendPid() const;
    QString parameter(const char *name) const; // server parameter such as server_version
    QString escapeIdentifier(const QString &identifier) const;
    QString escapeLiteral(const QString &literal) const;
    QStringList takeNotices();

private:
    PgError waitForResults(Clock::time_point deadline, QList<PgResult> *results);
    PgError connectionError(PgError::Kind kind) const;

    pg_conn *m_conn = nullptr;
    ConnInfo m_info; // what the connection was opened with: its password is masked in every message
    std::atomic<bool> m_aborted{false};
    QStringList m_notices;
};

} // namespace poolscope
