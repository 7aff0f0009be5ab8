#include "output/snapshotjson.h"

#include <QDateTime>
#include <QJsonArray>

namespace poolscope {

namespace {

QJsonValue timeValue(qint64 ms) { return ms > 0 ? QJsonValue(isoTime(ms)) : QJsonValue(QJsonValue::Null); }
QJsonValue textValue(const QString &text) { return text.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(text); }

QJsonArray toArray(const QStringList &list)
{
    QJsonArray array;
    for (const QString &item : list)
        array.append(item);
    return array;
}

QJsonArray pidArray(const QList<int> &pids)
{
    QJsonArray array;
    for (int pid : pids)
        array.append(pid);
    return array;
}

QJsonObject classCounts(const int (&byClass)[kSessionClassCount])
{
    QJsonObject counts;
    for (int c = 0; c < kSessionClassCount; ++c)
        counts.insert(sessionClassKey(SessionClass(c)), byClass[c]);
    return counts;
}

QString severityName(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Info: return QStringLiteral("info");
    case Finding::Severity::Warning: return QStringLiteral("warning");
    case Finding::Severity::Critical: return QStringLiteral("critical");
    }
    return {};
}

} // namespace

QString isoTime(qint64 msSinceEpoch)
{
    if (msSinceEpoch <= 0)
        return {};
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch, Qt::UTC).toString(Qt::ISODateWithMs);
}

QJsonObject snapshotToJson(const Snapshot &snapshot, const QList<OwnerSummary> &owners, OwnerKey ownerKey,
                           const QList<Finding> &extraFindings)
{
    const Limits &limits = snapshot.limits;
    QJsonArray roleLimits, databaseLimits;
    for (const ConnectionLimit &limit : limits.roles)
        roleLimits.append(QJsonObject{{QStringLiteral("role"), limit.name},
                                      {QStringLiteral("limit"), limit.limit},
                                      {QStringLiteral("current"), limit.current}});
    for (const ConnectionLimit &limit : limits.databases)
        databaseLimits.append(QJsonObject{{QStringLiteral("database"), limit.name},
                                          {QStringLiteral("limit"), limit.limit},
                                          {QStringLiteral("current"), limit.current}});
    QJsonObject target{
        {QStringLiteral("kind"), QStringLiteral("postgresql")},
        {QStringLiteral("name"), snapshot.target},
        {QStringLiteral("server_version"), snapshot.serverVersion},
        {QStringLiteral("server_version_num"), snapshot.serverVersionNum},
        {QStringLiteral("max_connections"), limits.maxConnections},
        {QStringLiteral("reserved"), limits.superuserReserved + limits.reserved},
        {QStringLiteral("superuser_reserved_connections"), limits.superuserReserved},
        {QStringLiteral("usable_slots"), limits.usableSlots()},
        {QStringLiteral("idle_in_transaction_session_timeout_ms"), limits.idleInTransactionTimeoutMs},
        {QStringLiteral("role_limits"), roleLimits},
        {QStringLiteral("database_limits"), databaseLimits},
        {QStringLiteral("own_pid"), snapshot.ownPid},
        {QStringLiteral("full_visibility"), snapshot.fullVisibility},
        {QStringLiteral("hidden_columns"), toArray(snapshot.hiddenColumns)},
    };
    if (limits.hasReservedConnections)
        target.insert(QStringLiteral("reserved_connections"), limits.reserved);
    if (limits.hasIdleSessionTimeout)
        target.insert(QStringLiteral("idle_session_timeout_ms"), limits.idleSessionTimeoutMs);

    const Totals &t = snapshot.totals;
    QJsonObject totals{
        {QStringLiteral("total"), t.total},
        {QStringLiteral("active"), t.count(SessionClass::Active)},
        {QStringLiteral("waiting"), t.count(SessionClass::Waiting)},
        {QStringLiteral("idle"), t.count(SessionClass::Idle)},
        {QStringLiteral("idle_in_transaction"), t.count(SessionClass::IdleInTransaction)},
        {QStringLiteral("idle_in_transaction_aborted"), t.count(SessionClass::IdleInTransactionAborted)},
        {QStringLiteral("other"), t.count(SessionClass::Other)},
        {QStringLiteral("hidden"), t.count(SessionClass::Hidden)},
        {QStringLiteral("leaked"), t.leaked},
        {QStringLiteral("suspected"), t.suspected},
    };

    QJsonArray sessions;
    for (const Session &s : snapshot.sessions) {
        QJsonObject tags;
        for (const Tag &tag : s.tags)
            tags.insert(tag.key, tag.value);
        QJsonObject session{
            {QStringLiteral("pid"), s.pid},
            {QStringLiteral("own"), s.own},
            {QStringLiteral("state"), textValue(s.visible ? s.state : QString())},
            {QStringLiteral("class"), sessionClassKey(s.sessionClass)},
            {QStringLiteral("leak"), leakVerdictName(s.leak)},
            {QStringLiteral("reasons"), toArray(s.reasons)},
            {QStringLiteral("owner"), ownerOf(s, ownerKey)},
            {QStringLiteral("application_name"), textValue(s.applicationName)},
            {QStringLiteral("user"), textValue(s.user)},
            {QStringLiteral("database"), textValue(s.database)},
            {QStringLiteral("client"), s.clientAddr.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                              : QJsonValue(s.clientAddr + u':' + QString::number(s.clientPort))},
            {QStringLiteral("backend_start"), timeValue(s.backendStartMs)},
            {QStringLiteral("xact_start"), timeValue(s.xactStartMs)},
            {QStringLiteral("query_start"), timeValue(s.queryStartMs)},
            {QStringLiteral("state_change"), timeValue(s.stateChangeMs)},
            {QStringLiteral("state_seconds"), s.stateChangeMs > 0 ? QJsonValue(s.stateSeconds) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("wait_event_type"), textValue(s.waitEventType)},
            {QStringLiteral("wait_event"), textValue(s.waitEvent)},
            {QStringLiteral("backend_xid"), textValue(s.backendXid)},
            {QStringLiteral("backend_xmin"), textValue(s.backendXmin)},
            {QStringLiteral("blocked_by"), pidArray(s.blockedBy)},
            {QStringLiteral("blocking"), pidArray(s.blocking)},
            {QStringLiteral("tags"), tags},
            {QStringLiteral("tags_from_earlier_query"), s.tagsRemembered},
            {QStringLiteral("stack"), toArray(s.stack)},
            {QStringLiteral("query"), textValue(s.visible ? s.query : QString())},
        };
        if (s.leaderPid > 0)
            session.insert(QStringLiteral("leader_pid"), s.leaderPid);
        if (s.queryId)
            session.insert(QStringLiteral("query_id"), QString::number(*s.queryId));
        sessions.append(session);
    }

    QJsonArray ownerArray;
    for (const OwnerSummary &owner : owners) {
        QJsonArray stacks;
        for (const StackGroup &group : owner.stacks)
            stacks.append(QJsonObject{{QStringLiteral("frames"), toArray(group.frames)},
                                      {QStringLiteral("sessions"), group.sessions},
                                      {QStringLiteral("leaked"), group.leaked}});
        ownerArray.append(QJsonObject{{QStringLiteral("owner"), owner.owner},
                                      {QStringLiteral("total"), owner.total},
                                      {QStringLiteral("by_class"), classCounts(owner.byClass)},
                                      {QStringLiteral("leaked"), owner.leaked},
                                      {QStringLiteral("suspected"), owner.suspected},
                                      {QStringLiteral("stacks"), stacks}});
    }

    QJsonArray findings;
    QList<Finding> all = snapshot.findings;
    all.append(extraFindings);
    for (const Finding &finding : all)
        findings.append(QJsonObject{{QStringLiteral("severity"), severityName(finding.severity)},
                                    {QStringLiteral("code"), finding.code},
                                    {QStringLiteral("message"), finding.message}});

    return QJsonObject{
        {QStringLiteral("target"), target},
        {QStringLiteral("taken_at"), isoTime(snapshot.takenAtMs)},
        {QStringLiteral("read_ms"), snapshot.readMs},
        {QStringLiteral("owner_by"), ownerKeyName(ownerKey)},
        {QStringLiteral("totals"), totals},
        {QStringLiteral("findings"), findings},
        {QStringLiteral("sessions"), sessions},
        {QStringLiteral("owners"), ownerArray},
    };
}

} // namespace poolscope
