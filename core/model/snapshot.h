#pragma once

#include "model/leakreport.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace poolscope {

// What a target is: a PostgreSQL server, or a PgBouncer admin console.
enum class TargetKind { PostgreSQL, PgBouncer };

enum class SessionClass {
    Active,
    Waiting,
    Idle,
    IdleInTransaction,
    IdleInTransactionAborted,
    Other,  // fastpath function call, disabled, or a state PoolScope does not know
    Hidden, // another role's session, invisible without pg_monitor
};
constexpr int kSessionClassCount = 7;

enum class LeakVerdict { None, Suspected, Leaked };

// A tag read from a query comment, in the order it appeared.
struct Tag
{
    QString key;
    QString value;
    friend bool operator==(const Tag &, const Tag &) = default;
};
using Tags = QList<Tag>;

// One client backend as pg_stat_activity shows it, plus what PoolScope derived from it.
// Times are milliseconds since the epoch on the server's clock (0 = NULL), so ages never
// depend on the client's clock.
struct Session
{
    int pid = 0;
    QString database;
    QString user;
    QString applicationName;
    QString clientAddr; // empty: local socket (or hidden)
    int clientPort = -1;
    qint64 backendStartMs = 0;
    qint64 xactStartMs = 0;
    qint64 queryStartMs = 0;
    qint64 stateChangeMs = 0;
    QString waitEventType;
    QString waitEvent;
    QString state; // pg_stat_activity.state as the server wrote it
    QString backendXid;
    QString backendXmin;
    QString query;
    QString backendType;
    int leaderPid = 0;                // 0: none, or not offered by this server (< 13)
    std::optional<qint64> queryId;    // PostgreSQL 14+ with compute_query_id
    QList<int> blockedBy;             // only read for sessions waiting on a lock
    QList<int> blocking;              // derived: sessions that list this one in blockedBy
    bool visible = true;              // false: "<insufficient privilege>"
    bool own = false;                 // PoolScope's own sampling session

    // Derived by the analysis.
    SessionClass sessionClass = SessionClass::Other;
    LeakVerdict leak = LeakVerdict::None;
    QStringList reasons;
    double stateSeconds = 0;       // time in the current state
    double transactionSeconds = 0; // time since the transaction began (0: none open)
    QString ignoredBecause;        // the ignore rule that matched ("application pg_dump"), or empty
    Tags tags;
    QStringList stack;
    // From application_name when a call-site pattern reads it ("billing@OrderRepo.java:212"):
    // the owner it names, and whether `stack` is its frame (no stack came with the query).
    QString applicationOwner;
    bool stackFromApplicationName = false;
    bool tagsRemembered = false; // tags come from an earlier query of this session
    // A pool's leak report joined to this session (leaklog/), and how sure the join is. When
    // its queries carried no stack, `stack` is the report's and stackFromLeakLog says so.
    LeakReportPtr leakReport;
    LeakJoin leakJoin = LeakJoin::None;
    bool stackFromLeakLog = false;

    // Rows are keyed by pid + backend_start: pids are reused.
    quint64 key() const { return (quint64(quint32(pid)) << 40) ^ quint64(backendStartMs); }
};

struct ConnectionLimit
{
    QString name;
    int limit = -1;   // -1: unlimited
    int current = 0;  // sessions seen now
    friend bool operator==(const ConnectionLimit &, const ConnectionLimit &) = default;
};

struct Limits
{
    int maxConnections = 0;
    int superuserReserved = 0;
    int reserved = 0; // reserved_connections, PostgreSQL 16+
    int usableSlots() const { return qMax(0, maxConnections - superuserReserved - reserved); }
    qint64 idleInTransactionTimeoutMs = 0;
    qint64 idleSessionTimeoutMs = 0; // PostgreSQL 14+
    bool hasIdleSessionTimeout = false;
    bool hasReservedConnections = false;
    QList<ConnectionLimit> roles;     // only roles with a CONNECTION LIMIT
    QList<ConnectionLimit> databases; // only databases with a CONNECTION LIMIT
};

// A snapshot-wide finding: flood, owner share, rising leaks.
struct Finding
{
    enum class Severity { Info, Warning, Critical };
    Severity severity = Severity::Warning;
    QString code;    // stable identifier: "flood", "owner-share", "leak-rising", "visibility"
    QString message; // one line a DBA reads
    friend bool operator==(const Finding &, const Finding &) = default;
};

struct Totals
{
    int total = 0;     // client sessions, PoolScope's own excluded
    int slotsUsed = 0; // client sessions, PoolScope's own included: what the usable slots hold
    int byClass[kSessionClassCount] = {};
    int leaked = 0;
    int suspected = 0;
    int ignored = 0; // sessions an ignore rule matched: never judged leaked
    int count(SessionClass c) const { return byClass[int(c)]; }
};

// What one sample of a PostgreSQL server saw. Immutable once the sampler publishes it.
struct Snapshot
{
    QString target;        // redacted display name
    QString serverVersion; // e.g. "15.18"
    int serverVersionNum = 0;
    qint64 takenAtMs = 0;  // server clock
    double readMs = 0;     // round trip of the read, as the client measured it
    int ownPid = 0;
    bool fullVisibility = true;     // superuser or pg_read_all_stats (pg_monitor)
    QStringList hiddenColumns;      // columns other roles' rows came back without
    int backgroundProcesses = 0;    // autovacuum, walwriter…: not counted as sessions
    qint64 sessionsOpened = -1;     // pg_stat_database.sessions summed (14+): connections ever made; -1 unknown
    Limits limits;
    QList<Session> sessions;        // client backends, PoolScope's own included
    Totals totals;                  // excludes PoolScope's own session
    QList<Finding> findings;
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

QString sessionClassName(SessionClass c);      // "idle in transaction (aborted)"
QString sessionClassKey(SessionClass c);       // "idle_in_transaction_aborted", for JSON
QString leakVerdictName(LeakVerdict verdict);  // "none" | "suspected" | "leaked"

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::SnapshotPtr)
