#include "postgres/pgconnection.h"

#include <QLoggingCategory>

#include <libpq-fe.h>

#include <poll.h>

Q_LOGGING_CATEGORY(lcConnection, "poolscope.core.connection", QtWarningMsg)

namespace poolscope {

namespace {

// Slices of waiting, so abort() is noticed promptly.
constexpr std::chrono::milliseconds kPollSlice{100};
// After our deadline, how long we let the server answer with its own statement_timeout error
// before giving the connection up.
constexpr std::chrono::milliseconds kServerTimeoutGrace{2000};

enum class Wait { Read, Write };

// Waits until the socket is ready, the deadline passes or abort is requested.
// Returns true when ready.
bool waitSocket(int socket, Wait wait, Clock::time_point deadline, const std::atomic<bool> &aborted)
{
    while (!aborted) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        pollfd fd{socket, short(wait == Wait::Read ? POLLIN : POLLOUT), 0};
        const int ready = ::poll(&fd, 1, int(std::min(left, kPollSlice).count()));
        if (ready > 0)
            return true;
        if (ready < 0 && errno != EINTR)
            return true; // let libpq report the socket error
    }
    return false;
}

void collectNotice(void *arg, const PGresult *result)
{
    auto *notices = static_cast<QStringList *>(arg);
    if (notices->size() < 100)
        notices->append(QString::fromUtf8(PQresultErrorMessage(result)).trimmed());
}

// "permission denied to terminate process — Only roles with privileges of … (hint: …)", without
// libpq's "ERROR:  " prefix and line breaks.
QString serverMessage(const PGresult *result)
{
    const char *primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (!primary)
        return QString::fromUtf8(PQresultErrorMessage(result)).simplified();
    QString message = QString::fromUtf8(primary);
    if (const char *detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL))
        message += QStringLiteral(" — ") + QString::fromUtf8(detail);
    if (const char *hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT))
        message += QStringLiteral(" (hint: ") + QString::fromUtf8(hint) + u')';
    return message.simplified();
}

PgError::Kind kindForSqlstate(const QString &sqlstate)
{
    if (sqlstate == QLatin1String("53300"))
        return PgError::Kind::TooManyConnections;
    if (sqlstate == QLatin1String("28P01") || sqlstate == QLatin1String("28000"))
        return PgError::Kind::Authentication;
    if (sqlstate == QLatin1String("42501"))
        return PgError::Kind::Privilege;
    if (sqlstate == QLatin1String("57014"))
        return PgError::Kind::Timeout;
    if (sqlstate.startsWith(QLatin1String("08")) || sqlstate.startsWith(QLatin1String("57P")))
        return PgError::Kind::Connection;
    return PgError::Kind::Query;
}

// What libpq says when it refuses the options themselves, before any connection is tried
// (libpq 15: connectOptions2, the service file lookup, the port and integer checks). Only
// asked of a connection that failed at once, so "Connection refused" on loopback, which can
// fail just as fast, is never taken for one.
bool isOptionsError(const QString &message)
{
    static const char *const patterns[] = {
        " value: \"",                 // invalid sslmode value: "bogus" (and gssencmode, target_session_attrs…)
        "service file",               // service file "…" not found; syntax error in service file
        "definition of service",      // definition of service "x" not found
        "nested service specifications",
        "could not match ",           // could not match 2 port numbers to 1 hosts
        "invalid port number",
        "invalid integer value",
        "invalid SSL protocol version range",
        "sslmode value",
        "may not be used with",
        "not supported on this platform",
        "could not get home directory to locate service definition file",
    };
    for (const char *pattern : patterns) {
        if (message.contains(QLatin1String(pattern)))
            return true;
    }
    return false;
}

} // namespace

QString PgError::advice() const
{
    switch (kind) {
    case Kind::TooManyConnections:
        if (message.contains(QLatin1String("max_client_conn")))
            return QStringLiteral("PgBouncer has no client slot left (max_client_conn). Its admin console (dbname=pgbouncer) "
                                  "still lets admin and stats users in: inspect it there, end some clients, or raise "
                                  "max_client_conn (SET on the console, or in pgbouncer.ini and RELOAD).");
        return QStringLiteral("The server is out of connection slots (SQLSTATE 53300). To get in: connect as a superuser "
                              "(superuser_reserved_connections keeps slots for them), use a role with "
                              "pg_use_reserved_connections on PostgreSQL 16+, or inspect through the PgBouncer admin "
                              "console instead.");
    case Kind::Authentication:
        return QStringLiteral("Check the user and password (~/.pgpass or PGPASSWORD) and pg_hba.conf.");
    case Kind::Timeout:
        return QStringLiteral("The server did not answer in time: is it hung, or is a firewall dropping packets? "
                              "connect_timeout in the conninfo changes the wait.");
    default:
        return {};
    }
}

PgError PgError::fromMessage(Kind kind, const QString &message, const QString &sqlstate)
{
    return PgError{kind, sqlstate, redactSecrets(message.trimmed())};
}

// ---- PgResult --------------------------------------------------------------------------

void PgResult::Deleter::operator()(pg_result *result) const { PQclear(result); }

PgResult::PgResult(pg_result *result) : m_result(result, Deleter{}) {}

int PgResult::rows() const { return m_result ? PQntuples(m_result.get()) : 0; }
int PgResult::columnCount() const { return m_result ? PQnfields(m_result.get()) : 0; }
QString PgResult::columnName(int column) const
{
    return m_result ? QString::fromUtf8(PQfname(m_result.get(), column)) : QString();
}
int PgResult::column(const char *name) const { return m_result ? PQfnumber(m_result.get(), name) : -1; }
bool PgResult::isNull(int row, int column) const
{
    return column < 0 || PQgetisnull(m_result.get(), row, column);
}
const char *PgResult::raw(int row, int column) const
{
    return column < 0 ? "" : PQgetvalue(m_result.get(), row, column);
}
int PgResult::length(int row, int column) const
{
    return column < 0 ? 0 : PQgetlength(m_result.get(), row, column);
}
QString PgResult::text(int row, int column) const
{
    if (isNull(row, column))
        return {};
    return QString::fromUtf8(raw(row, column), length(row, column));
}
qint64 PgResult::toInt64(int row, int column, qint64 fallback) const
{
    if (isNull(row, column))
        return fallback;
    char *end = nullptr;
    const long long value = std::strtoll(raw(row, column), &end, 10);
    return end && *end == '\0' ? value : fallback;
}
double PgResult::toDouble(int row, int column, double fallback) const
{
    if (isNull(row, column))
        return fallback;
    char *end = nullptr;
    const double value = std::strtod(raw(row, column), &end);
    return end && *end == '\0' ? value : fallback;
}
bool PgResult::toBool(int row, int column) const
{
    return !isNull(row, column) && raw(row, column)[0] == 't';
}

// ---- PgConnection ----------------------------------------------------------------------

PgConnection::~PgConnection() { close(); }

bool PgConnection::isOpen() const { return m_conn && PQstatus(m_conn) == CONNECTION_OK; }

void PgConnection::close()
{
    if (m_conn) {
        PQfinish(m_conn);
        m_conn = nullptr;
    }
}

PgError PgConnection::connectionError(PgError::Kind kind) const
{
    const QString message = m_info.masked(m_conn ? QString::fromUtf8(PQerrorMessage(m_conn)) : QStringLiteral("out of memory"));
    // libpq puts the SQLSTATE of a refused login only in the text; map the ones we act on.
    QString sqlstate;
    if (message.contains(QLatin1String("too many clients already"))
        || message.contains(QLatin1String("remaining connection slots are reserved"))
        || message.contains(QLatin1String("too many connections for"))) { // role or database limit
        sqlstate = QStringLiteral("53300");
        kind = PgError::Kind::TooManyConnections;
    } else if (message.contains(QLatin1String("no more connections allowed (max_client_conn)"))) {
        kind = PgError::Kind::TooManyConnections; // PgBouncer's own limit; it sends no SQLSTATE for it
    } else if (message.contains(QLatin1String("password authentication failed"))
               || message.contains(QLatin1String("no password supplied"))
               || message.contains(QLatin1String("no pg_hba.conf entry"))) {
        sqlstate = QStringLiteral("28P01");
        kind = PgError::Kind::Authentication;
    }
    return PgError::fromMessage(kind, message, sqlstate);
}

PgError PgConnection::open(const ConnInfo &info, const QByteArray &applicationName)
{
    close();
    m_info = info;
    const auto params = info.connectParams(applicationName);
    std::vector<const char *> keywords;
    std::vector<const char *> values;
    for (const auto &[key, value] : params) {
        keywords.push_back(key.constData());
        values.push_back(value.constData());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);

    // Non-blocking connect so that our own deadline and abort() hold even where libpq's
    // connect_timeout would not (several hosts, a peer that accepts and never answers).
    m_conn = PQconnectStartParams(keywords.data(), values.data(), 0);
    if (!m_conn || PQstatus(m_conn) == CONNECTION_BAD) {
        PgError error = connectionError(PgError::Kind::Connection);
        if (error.kind == PgError::Kind::Connection && isOptionsError(error.message))
            error.kind = PgError::Kind::Options;
        close();
        return error;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(info.connectTimeoutSeconds());
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) {
            PgError error = connectionError(PgError::Kind::Connection);
            close();
            return error;
        }
        if (!waitSocket(PQsocket(m_conn), status == PGRES_POLLING_READING ? Wait::Read : Wait::Write, deadline,
                        m_aborted)) {
            const bool aborted = m_aborted;
            close();
            return aborted ? PgError::fromMessage(PgError::Kind::Aborted, QStringLiteral("connection attempt aborted"))
                           : PgError::fromMessage(PgError::Kind::Timeout,
                                                  QStringLiteral("timeout expired after %1 s while connecting to %2")
                                                      .arg(info.connectTimeoutSeconds())
                                                      .arg(info.displayName()));
        }
        status = PQconnectPoll(m_conn);
    }
    PQsetNoticeReceiver(m_conn, collectNotice, &m_notices);
    return {};
}

PgError PgConnection::setServerTimeouts(std::chrono::milliseconds timeout)
{
    PgResult result;
    return exec("SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false)",
                {QByteArray::number(qint64(timeout.count()))}, timeout + std::chrono::seconds(1), &result);
}

void PgConnection::abort()
{
    m_aborted = true;
}

PgError PgConnection::exec(const QByteArray &sql, const QList<QByteArray> &params, std::chrono::milliseconds timeout,
                           PgResult *result)
{
    if (!isOpen())
        return PgError::fromMessage(PgError::Kind::Connection, QStringLiteral("not connected"));
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const QByteArray &param : params)
        values.push_back(param.isNull() ? nullptr : param.constData());
    if (!PQsendQueryParams(m_conn, sql.constData(), int(values.size()), nullptr, values.data(), nullptr, nullptr, 0))
        return connectionError(PgError::Kind::Connection);
    QList<PgResult> results;
    PgError error = waitForResults(Clock::now() + timeout, &results);
    if (!error.isError() && result)
        *result = results.isEmpty() ? PgResult() : results.last();
    return error;
}

PgError PgConnection::execSimple(const QByteArray &sql, std::chrono::milliseconds timeout, QList<PgResult> *results)
{
    if (!isOpen())
        return PgError::fromMessage(PgError::Kind::Connection, QStringLiteral("not connected"));
    if (!PQsendQuery(m_conn, sql.constData()))
        return connectionError(PgError::Kind::Connection);
    QList<PgResult> collected;
    PgError error = waitForResults(Clock::now() + timeout, &collected);
    if (!error.isError() && results)
        *results = collected;
    return error;
}

PgError PgConnection::waitForResults(Clock::time_point deadline, QList<PgResult> *results)
{
    PgError firstError;
    bool pastDeadline = false;
    while (true) {
        if (m_aborted) {
            close();
            return PgError::fromMessage(PgError::Kind::Aborted, QStringLiteral("query aborted"));
        }
        while (PQflush(m_conn) == 1) {
            if (!waitSocket(PQsocket(m_conn), Wait::Write, deadline, m_aborted))
                break;
        }
        if (!PQisBusy(m_conn)) {
            PGresult *raw = PQgetResult(m_conn);
            if (!raw)
                break; // all results of this query are in
            PgResult result(raw);
            const ExecStatusType status = PQresultStatus(raw);
            if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
                results->append(result);
            } else if (!firstError.isError()) {
                const QString sqlstate = QString::fromLatin1(PQresultErrorField(raw, PG_DIAG_SQLSTATE));
                firstError = PgError::fromMessage(kindForSqlstate(sqlstate), serverMessage(raw), sqlstate);
            }
            continue;
        }
        if (!waitSocket(PQsocket(m_conn), Wait::Read, deadline, m_aborted)) {
            if (m_aborted)
                continue; // closes above
            if (pastDeadline) {
                // Not even the server's own timeout came back: the network or the server is
                // gone. Give the connection up; the server ends the query by its timeouts.
                close();
                return firstError;
            }
            // Our deadline passed. The server's statement_timeout is the same, so its answer
            // (an error) is on the way: drain it for a grace period and keep the connection.
            pastDeadline = true;
            firstError = PgError::fromMessage(PgError::Kind::Timeout,
                                              QStringLiteral("query timed out; the server ends it by its statement_timeout"));
            deadline = Clock::now() + kServerTimeoutGrace;
            continue;
        }
        if (!PQconsumeInput(m_conn)) {
            PgError error = connectionError(PgError::Kind::Connection);
            close();
            return error;
        }
    }
    if (pastDeadline) // the server's own "canceling statement" error is not the story
        return firstError;
    if (PQstatus(m_conn) != CONNECTION_OK) {
        PgError error = firstError.isError() ? firstError : connectionError(PgError::Kind::Connection);
        error.kind = PgError::Kind::Connection;
        close();
        return error;
    }
    // The PgBouncer console reports every refusal as 08P01; with the connection still up,
    // that is an answer to the query, not a lost connection.
    if (firstError.kind == PgError::Kind::Connection)
        firstError.kind = PgError::Kind::Query;
    return firstError;
}

int PgConnection::serverVersion() const { return m_conn ? PQserverVersion(m_conn) : 0; }
int PgConnection::backendPid() const { return m_conn ? PQbackendPID(m_conn) : 0; }

QString PgConnection::parameter(const char *name) const
{
    const char *value = m_conn ? PQparameterStatus(m_conn, name) : nullptr;
    return value ? QString::fromUtf8(value) : QString();
}

namespace {

QString escapeWith(pg_conn *conn, char *(*escape)(PGconn *, const char *, size_t), const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    char *escaped = conn ? escape(conn, utf8.constData(), size_t(utf8.size())) : nullptr;
    QString result = escaped ? QString::fromUtf8(escaped) : QString();
    PQfreemem(escaped);
    return result;
}

} // namespace

QString PgConnection::escapeIdentifier(const QString &identifier) const
{
    return escapeWith(m_conn, PQescapeIdentifier, identifier);
}

QString PgConnection::escapeLiteral(const QString &literal) const
{
    return escapeWith(m_conn, PQescapeLiteral, literal);
}

QStringList PgConnection::takeNotices()
{
    QStringList notices;
    notices.swap(m_notices);
    return notices;
}

} // namespace poolscope
