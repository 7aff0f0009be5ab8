#include "actions/actions.h"

#include "model/duration.h"
#include "output/privatefiles.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <limits>

namespace poolscope {

SessionRef SessionRef::of(const Session &session)
{
    return {session.pid, session.backendStartMs > 0 ? std::optional<qint64>(session.backendStartMs) : std::nullopt};
}

QJsonObject SessionRef::auditArguments() const
{
    QJsonObject arguments{{QStringLiteral("pid"), pid}};
    if (backendStartMs)
        arguments.insert(QStringLiteral("backend_start_ms"), double(*backendStartMs));
    return arguments;
}

QString actionStatusName(ActionResult::Status status)
{
    switch (status) {
    case ActionResult::Status::Done: return QStringLiteral("done");
    case ActionResult::Status::NoSuchSession: return QStringLiteral("no_such_session");
    case ActionResult::Status::InsufficientPrivilege: return QStringLiteral("insufficient_privilege");
    case ActionResult::Status::TimedOut: return QStringLiteral("timed_out");
    case ActionResult::Status::NotFound: return QStringLiteral("not_found");
    case ActionResult::Status::InvalidArgument: return QStringLiteral("invalid_argument");
    case ActionResult::Status::NotChangeable: return QStringLiteral("not_changeable");
    case ActionResult::Status::NotSupported: return QStringLiteral("not_supported");
    case ActionResult::Status::Failed: return QStringLiteral("failed");
    }
    return {};
}

PgActions::PgActions(const ConnInfo &target, std::chrono::milliseconds timeout) : m_target(target), m_timeout(timeout)
{
}

PgActions::PgActions(PgConnection &open, std::chrono::milliseconds restoreTimeout, std::chrono::milliseconds timeout)
    : m_timeout(timeout), m_connection(&open), m_restoreTimeout(restoreTimeout)
{
}

PgError PgActions::connect()
{
    if (m_connection->isOpen())
        return {};
    if (m_restoreTimeout)
        return PgError::fromMessage(PgError::Kind::Connection, QStringLiteral("the sampling connection is closed"));
    PgError error = m_own.open(m_target, QByteArrayLiteral("poolscope-action"));
    if (!error.isError())
        error = m_own.setServerTimeouts(m_timeout);
    if (error.isError())
        m_own.close();
    return error;
}

void PgActions::disconnect()
{
    if (!m_restoreTimeout)
        m_own.close();
}

PgActions::ServerTimeouts::ServerTimeouts(PgActions &actions, std::chrono::milliseconds timeout) : m_actions(actions)
{
    if (actions.m_restoreTimeout)
        actions.m_connection->setServerTimeouts(timeout);
}

PgActions::ServerTimeouts::~ServerTimeouts()
{
    if (m_actions.m_restoreTimeout && m_actions.m_connection->isOpen())
        m_actions.m_connection->setServerTimeouts(*m_actions.m_restoreTimeout);
}

std::optional<ActionResult> PgActions::ensureConnected()
{
    const PgError error = connect();
    if (!error.isError())
        return std::nullopt;
    return fromError(error, {});
}

ActionResult PgActions::fromError(const PgError &error, const QString &requiredRole) const
{
    ActionResult result;
    result.sqlstate = error.sqlstate;
    result.message = error.message;
    switch (error.kind) {
    case PgError::Kind::Privilege:
        result.status = ActionResult::Status::InsufficientPrivilege;
        result.requiredRole = requiredRole;
        if (!requiredRole.isEmpty())
            result.message += QStringLiteral(" (grant %1 to this role)").arg(requiredRole);
        break;
    case PgError::Kind::Timeout:
        result.status = ActionResult::Status::TimedOut;
        break;
    default:
        result.status = ActionResult::Status::Failed;
        break;
    }
    return result;
}

ActionResult PgActions::terminate(const SessionRef &session, std::chrono::milliseconds wait)
{
    return signal(session, true, wait);
}

ActionResult PgActions::cancel(const SessionRef &session) { return signal(session, false, {}); }

ActionResult PgActions::signal(const SessionRef &session, bool terminate, std::chrono::milliseconds wait)
{
    if (session.pid <= 0)
        return {ActionResult::Status::InvalidArgument, QStringLiteral("invalid pid %1").arg(session.pid)};
    if (auto failed = ensureConnected())
        return *failed;
    const ServerTimeouts raised(*this, m_timeout + wait);
    if (session.pid == m_connection->backendPid())
        return {ActionResult::Status::InvalidArgument, QStringLiteral("refusing to signal PoolScope's own session")};
    // Match pid and, when the caller knows it, backend_start: a reused pid is another
    // session. backend_start is NULL for other roles' sessions without pg_monitor.
    const QByteArray sql = terminate
        ? "SELECT a.pid IS NOT NULL AS found, a.state, "
          "CASE WHEN a.pid IS NOT NULL THEN pg_terminate_backend(a.pid, $3::bigint) END AS signalled "
          "FROM (SELECT 1) AS one LEFT JOIN pg_stat_activity a ON a.pid = $1::int AND "
          "($2::float8 IS NULL OR a.backend_start IS NULL OR "
          "abs(extract(epoch from a.backend_start) * 1000 - $2::float8) < 1)"
        : "SELECT a.pid IS NOT NULL AS found, a.state, "
          "CASE WHEN a.pid IS NOT NULL THEN pg_cancel_backend(a.pid) END AS signalled "
          "FROM (SELECT 1) AS one LEFT JOIN pg_stat_activity a ON a.pid = $1::int AND "
          "($2::float8 IS NULL OR a.backend_start IS NULL OR "
          "abs(extract(epoch from a.backend_start) * 1000 - $2::float8) < 1)";
    QList<QByteArray> params{QByteArray::number(session.pid),
                             session.backendStartMs ? QByteArray::number(*session.backendStartMs) : QByteArray()};
    if (terminate)
        params.append(QByteArray::number(qint64(wait.count())));
    PgResult result;
    const PgError error = m_connection->exec(sql, params, m_timeout + wait, &result);
    m_connection->takeNotices();
    // PostgreSQL 13-15 say "must be a superuser to terminate superuser process", 16+ "Only roles
    // with the SUPERUSER attribute may …": pg_signal_backend never reaches a superuser's session.
    if (error.kind == PgError::Kind::Privilege && error.message.contains(QLatin1String("superuser"), Qt::CaseInsensitive)) {
        ActionResult refused = fromError(error, {});
        refused.requiredRole = QStringLiteral("superuser");
        refused.message += QStringLiteral(" (pid %1 is a superuser's session: only a superuser can %2 it; "
                                          "pg_signal_backend does not reach superusers)")
                               .arg(session.pid)
                               .arg(terminate ? QStringLiteral("end") : QStringLiteral("cancel the query of"));
        return refused;
    }
    if (error.isError())
        return fromError(error, QStringLiteral("pg_signal_backend"));
    if (!result.toBool(0, result.column("found")))
        return {ActionResult::Status::NoSuchSession, QStringLiteral("no session with pid %1%2")
                                                         .arg(session.pid)
                                                         .arg(session.backendStartMs ? QStringLiteral(" (and that backend start)")
                                                                                      : QString())};
    const QString state = result.text(0, result.column("state"));
    if (!result.toBool(0, result.column("signalled"))) {
        if (terminate)
            return {ActionResult::Status::TimedOut,
                    QStringLiteral("pid %1 was signalled but had not ended within %2 ms").arg(session.pid).arg(wait.count())};
        return {ActionResult::Status::Failed, QStringLiteral("pid %1 could not be signalled").arg(session.pid)};
    }
    if (terminate)
        return {ActionResult::Status::Done, QStringLiteral("terminated pid %1").arg(session.pid)};
    QString message = QStringLiteral("cancel sent to pid %1").arg(session.pid);
    if (state.startsWith(QLatin1String("idle")))
        message += QStringLiteral(" (it was %1: a cancel does not end an idle session or its transaction; "
                                  "terminate it instead)").arg(state);
    return {ActionResult::Status::Done, message};
}

ActionResult PgActions::setRoleConnectionLimit(const QString &role, int limit)
{
    return setConnectionLimit(ObjectKind::Role, role, limit);
}

ActionResult PgActions::setDatabaseConnectionLimit(const QString &database, int limit)
{
    return setConnectionLimit(ObjectKind::Database, database, limit);
}

ActionResult PgActions::setConnectionLimit(ObjectKind kind, const QString &name, int limit)
{
    if (name.isEmpty() || limit < -1)
        return {ActionResult::Status::InvalidArgument, QStringLiteral("a connection limit is -1 (none) or a count")};
    if (auto failed = ensureConnected())
        return *failed;
    const ServerTimeouts raised(*this, m_timeout);
    const bool isRole = kind == ObjectKind::Role;
    if (auto failed = alter(kind, name, QStringLiteral("CONNECTION LIMIT %1").arg(limit)))
        return *failed;
    // Read it back: the truth is what the catalog says now.
    PgResult check;
    const PgError error = m_connection->exec(isRole ? "SELECT rolconnlimit FROM pg_roles WHERE rolname = $1"
                                     : "SELECT datconnlimit FROM pg_database WHERE datname = $1",
                              {name.toUtf8()}, m_timeout, &check);
    if (error.isError())
        return fromError(error, {});
    const int now = check.rows() == 1 ? int(check.toInt64(0, 0, -2)) : -2;
    if (now != limit)
        return {ActionResult::Status::Failed,
                QStringLiteral("the limit reads %1 after the change, not %2").arg(now).arg(limit)};
    return {ActionResult::Status::Done, QStringLiteral("%1 %2 connection limit is now %3")
                                            .arg(isRole ? QStringLiteral("role") : QStringLiteral("database"), name,
                                                 limit < 0 ? QStringLiteral("unlimited") : QString::number(limit))};
}

std::optional<ActionResult> PgActions::alter(ObjectKind kind, const QString &name, const QString &change)
{
    const bool isRole = kind == ObjectKind::Role;
    const QString sql = QStringLiteral("ALTER %1 %2 %3")
                            .arg(isRole ? QStringLiteral("ROLE") : QStringLiteral("DATABASE"),
                                 m_connection->escapeIdentifier(name), change);
    PgResult ignored;
    const PgError error = m_connection->exec(sql.toUtf8(), {}, m_timeout, &ignored);
    if (!error.isError())
        return std::nullopt;
    // undefined_object (role) and invalid_catalog_name (database)
    if (error.sqlstate == QLatin1String("42704") || error.sqlstate == QLatin1String("3D000"))
        return ActionResult{ActionResult::Status::NotFound, error.message, error.sqlstate};
    return fromError(error, isRole ? QStringLiteral("CREATEROLE") : QStringLiteral("ownership of the database"));
}

ActionResult PgActions::setRoleIdleInTransactionTimeout(const QString &role,
                                                        std::optional<std::chrono::milliseconds> timeout)
{
    return setIdleTimeout(ObjectKind::Role, role, timeout);
}

ActionResult PgActions::setDatabaseIdleInTransactionTimeout(const QString &database,
                                                            std::optional<std::chrono::milliseconds> timeout)
{
    return setIdleTimeout(ObjectKind::Database, database, timeout);
}

ActionResult PgActions::setIdleTimeout(ObjectKind kind, const QString &name, std::optional<std::chrono::milliseconds> timeout)
{
    // The setting is an int of milliseconds on the server.
    if (name.isEmpty() || (timeout && (timeout->count() < 0 || timeout->count() > std::numeric_limits<int>::max())))
        return {ActionResult::Status::InvalidArgument,
                QStringLiteral("a timeout is from 0 (off) to 24 days, e.g. 60s or 5min; a bare number is seconds")};
    if (auto failed = ensureConnected())
        return *failed;
    const ServerTimeouts raised(*this, m_timeout);
    const bool isRole = kind == ObjectKind::Role;
    // Sent with its unit, so the catalog holds what the operator meant and shows it so.
    const QString change = !timeout
        ? QStringLiteral("RESET idle_in_transaction_session_timeout")
        : QStringLiteral("SET idle_in_transaction_session_timeout = ") + m_connection->escapeLiteral(durationSetting(*timeout));
    if (auto failed = alter(kind, name, change))
        return *failed;
    PgResult check;
    const PgError error = m_connection->exec(
        isRole ? "SELECT (SELECT s FROM pg_db_role_setting, unnest(setconfig) s WHERE setdatabase = 0 AND setrole = "
                 "r.oid AND s LIKE 'idle\\_in\\_transaction\\_session\\_timeout=%') FROM pg_roles r WHERE rolname = $1"
               : "SELECT (SELECT s FROM pg_db_role_setting, unnest(setconfig) s WHERE setrole = 0 AND setdatabase = "
                 "d.oid AND s LIKE 'idle\\_in\\_transaction\\_session\\_timeout=%') FROM pg_database d WHERE datname = $1",
        {name.toUtf8()}, m_timeout, &check);
    if (error.isError())
        return fromError(error, {});
    const QString stored = check.text(0, 0);
    if (!timeout ? !stored.isEmpty() : stored.isEmpty())
        return {ActionResult::Status::Failed, QStringLiteral("the setting reads '%1' after the change").arg(stored)};
    return {ActionResult::Status::Done,
            QStringLiteral("%1 %2: %3 (applies to new sessions)")
                .arg(isRole ? QStringLiteral("role") : QStringLiteral("database"), name,
                     !timeout ? QStringLiteral("idle_in_transaction_session_timeout reset to the server default") : stored)};
}

// ---- AuditLog --------------------------------------------------------------------------

AuditLog::AuditLog(QString path) : m_path(std::move(path)) {}

QString AuditLog::defaultPath()
{
    const QString overridden = qEnvironmentVariable("POOLSCOPE_AUDIT_LOG");
    if (!overridden.isEmpty())
        return overridden;
    return dataDirectory() + QStringLiteral("/audit.jsonl");
}

bool AuditLog::append(const QString &target, const QString &action, const QJsonObject &arguments,
                      const ActionResult &result, QString *error) const
{
    QJsonObject resultObject{{QStringLiteral("status"), actionStatusName(result.status)},
                             {QStringLiteral("message"), redactSecrets(result.message)}};
    if (!result.sqlstate.isEmpty())
        resultObject.insert(QStringLiteral("sqlstate"), result.sqlstate);
    const QJsonObject line{
        {QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
        {QStringLiteral("target"), redactSecrets(target)},
        {QStringLiteral("action"), action},
        {QStringLiteral("arguments"), arguments},
        {QStringLiteral("result"), resultObject},
    };
    // Who ended which session, and what it ran: the owner's alone, file (created 0600, not
    // loosened by the umask first) and directory.
    QString directoryError;
    if (!makePrivateDirectory(QFileInfo(m_path).absolutePath(), &directoryError)) {
        if (error)
            *error = QStringLiteral("cannot write the audit log %1: %2").arg(m_path, directoryError);
        return false;
    }
    QFile file(m_path);
    // One write() of a whole line in append mode: concurrent PoolScopes do not interleave.
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append, QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        if (error)
            *error = QStringLiteral("cannot write the audit log %1: %2").arg(m_path, file.errorString());
        return false;
    }
    const QByteArray bytes = QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
    if (file.write(bytes) != bytes.size() || !file.flush()) {
        if (error)
            *error = QStringLiteral("cannot write the audit log %1: %2").arg(m_path, file.errorString());
        return false;
    }
    return true;
}

} // namespace poolscope
