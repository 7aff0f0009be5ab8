#pragma once

#include "postgres/conninfo.h"
#include "postgres/pgconnection.h"
#include "model/snapshot.h"

#include <QJsonObject>
#include <QString>

#include <chrono>
#include <optional>

namespace poolscope {

struct ActionResult
{
    enum class Status {
        Done,
        NoSuchSession,
        InsufficientPrivilege,
        TimedOut,
        NotFound,
        InvalidArgument,
        NotChangeable, // PgBouncer: a setting fixed until restart
        NotSupported,  // PgBouncer: a command this version lacks
        Failed
    };
    Status status = Status::Failed;
    QString message;      // one line for the operator
    QString sqlstate;     // when the server sent one
    QString requiredRole; // what to grant, for InsufficientPrivilege

    bool ok() const { return status == Status::Done; }
};

QString actionStatusName(ActionResult::Status status); // "done", "no_such_session", …

// A session as the operator saw it: the pid, and when known the backend start, so that a
// pid reused by a new backend since the operator looked is never signalled.
struct SessionRef
{
    int pid = 0;
    std::optional<qint64> backendStartMs;

    static SessionRef of(const Session &session); // backend_start when the sample had it
    QJsonObject auditArguments() const;          // {"pid", "backend_start_ms"}: the audit log's form
};

// Actions on a PostgreSQL server, parameterised or with quoted identifiers: over a connection
// opened only for them (application_name "poolscope-action"), or over one that is in already -
// the sampling connection - because a server at max_connections refuses a new one, a
// superuser's too once the reserved slots are gone, and that is when an action is needed most.
class PgActions
{
public:
    explicit PgActions(const ConnInfo &target, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Over `open`, which stays open and is not closed here; its statement_timeout is raised
    // for each action and set back to `restoreTimeout` after it.
    PgActions(PgConnection &open, std::chrono::milliseconds restoreTimeout,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // Opens the action connection; the actions call it themselves when needed.
    PgError connect();
    void disconnect();
    PgConnection &connection() { return *m_connection; }

    ActionResult terminate(const SessionRef &session, std::chrono::milliseconds wait = std::chrono::seconds(5));
    ActionResult cancel(const SessionRef &session);
    // limit -1 removes the limit.
    ActionResult setRoleConnectionLimit(const QString &role, int limit);
    ActionResult setDatabaseConnectionLimit(const QString &database, int limit);
    // std::nullopt resets the setting to the server default; 0 turns the timeout off.
    ActionResult setRoleIdleInTransactionTimeout(const QString &role, std::optional<std::chrono::milliseconds> timeout);
    ActionResult setDatabaseIdleInTransactionTimeout(const QString &database,
                                                     std::optional<std::chrono::milliseconds> timeout);

private:
    enum class ObjectKind { Role, Database };
    ActionResult signal(const SessionRef &session, bool terminate, std::chrono::milliseconds wait);
    ActionResult setConnectionLimit(ObjectKind kind, const QString &name, int limit);
    ActionResult setIdleTimeout(ObjectKind kind, const QString &name, std::optional<std::chrono::milliseconds> timeout);
    // Runs ALTER ROLE|DATABASE name change; the failure, or nothing when it went through.
    std::optional<ActionResult> alter(ObjectKind kind, const QString &name, const QString &change);
    std::optional<ActionResult> ensureConnected();
    ActionResult fromError(const PgError &error, const QString &requiredRole) const;

    // Raises the server's statement and lock timeouts of a borrowed connection for one action
    // (a terminate may wait longer than a sample), and sets them back when it goes.
    class ServerTimeouts
    {
    public:
        ServerTimeouts(PgActions &actions, std::chrono::milliseconds timeout);
        ~ServerTimeouts();

    private:
        PgActions &m_actions;
    };

    ConnInfo m_target;
    std::chrono::milliseconds m_timeout;
    PgConnection m_own;
    PgConnection *m_connection = &m_own;
    std::optional<std::chrono::milliseconds> m_restoreTimeout; // set: m_connection is borrowed
};

// Appends every action, done or not, as one JSON line: time, target (redacted), action,
// arguments, result. The default file is audit.jsonl in the user's data directory.
class AuditLog
{
public:
    explicit AuditLog(QString path = defaultPath());
    static QString defaultPath();
    const QString &path() const { return m_path; }

    // Returns false (and sets *error) when the line could not be written.
    bool append(const QString &target, const QString &action, const QJsonObject &arguments, const ActionResult &result,
                QString *error = nullptr) const;

private:
    QString m_path;
};

} // namespace poolscope
