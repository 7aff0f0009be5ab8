#include "output/snapshotjson.h"

#include "analysis/tracecontext.h"
#include "output/diagnosisjson.h"
#include "output/leaklogjson.h"

#include <QDateTime>

namespace poolscope {

namespace {

void classCounts(JsonWriter &json, const int (&byClass)[kSessionClassCount])
{
    json.beginObject();
    for (int c = 0; c < kSessionClassCount; ++c)
        json.field(qPrintable(sessionClassKey(SessionClass(c))), byClass[c]);
    json.endObject();
}

void writeLimits(JsonWriter &json, const char *name, const char *kind, const QList<ConnectionLimit> &limits)
{
    json.key(name);
    json.beginArray();
    for (const ConnectionLimit &limit : limits) {
        json.beginObject();
        json.field(kind, limit.name);
        json.field("limit", limit.limit);
        json.field("current", limit.current);
        json.endObject();
    }
    json.endArray();
}

void writeSession(JsonWriter &json, const Session &s, OwnerKey ownerKey, const SessionJsonExtra &extra)
{
    json.beginObject();
    json.field("pid", s.pid);
    json.field("own", s.own);
    json.key("state");
    json.textOrNull(s.visible ? s.state : QString());
    json.field("class", sessionClassKey(s.sessionClass));
    json.field("leak", leakVerdictName(s.leak));
    json.key("reasons");
    json.strings(s.reasons);
    json.field("owner", ownerOf(s, ownerKey));
    json.key("application_name");
    json.textOrNull(s.applicationName);
    json.key("user");
    json.textOrNull(s.user);
    json.key("database");
    json.textOrNull(s.database);
    json.key("client");
    json.textOrNull(s.clientAddr.isEmpty() ? QString() : s.clientAddr + u':' + QString::number(s.clientPort));
    writeTimeOrNull(json, "backend_start", s.backendStartMs);
    writeTimeOrNull(json, "xact_start", s.xactStartMs);
    writeTimeOrNull(json, "query_start", s.queryStartMs);
    writeTimeOrNull(json, "state_change", s.stateChangeMs);
    json.key("state_seconds");
    if (s.stateChangeMs > 0)
        json.value(s.stateSeconds);
    else
        json.null();
    json.key("transaction_seconds");
    if (s.xactStartMs > 0)
        json.value(s.transactionSeconds);
    else
        json.null();
    json.key("ignored_because");
    json.textOrNull(s.ignoredBecause.isEmpty() ? QString() : s.ignoredBecause);
    json.key("wait_event_type");
    json.textOrNull(s.waitEventType);
    json.key("wait_event");
    json.textOrNull(s.waitEvent);
    json.key("backend_xid");
    json.textOrNull(s.backendXid);
    json.key("backend_xmin");
    json.textOrNull(s.backendXmin);
    json.key("blocked_by");
    json.numbers(s.blockedBy);
    json.key("blocking");
    json.numbers(s.blocking);
    json.key("tags");
    json.beginObject();
    for (qsizetype i = 0; i < s.tags.size(); ++i) {
        const Tag &tag = s.tags[i];
        // A key given twice: the last one stands, as a JSON reader would keep it.
        const bool repeated = std::any_of(s.tags.cbegin() + i + 1, s.tags.cend(),
                                          [&tag](const Tag &later) { return later.key == tag.key; });
        if (!repeated)
            json.key(QStringView(tag.key)).value(tag.value);
    }
    json.endObject();
    json.field("tags_from_earlier_query", s.tagsRemembered);
    json.key("stack");
    json.strings(s.stack);
    json.key("stack_from");
    if (s.stack.isEmpty())
        json.null();
    else
        json.value(s.stackFromLeakLog ? "leak_log" : s.stackFromApplicationName ? "application_name" : "query_comment");
    json.key("leak_report");
    if (s.leakReport) {
        json.beginObject();
        json.field("join", leakJoinKey(s.leakJoin));
        json.field("pool", leakLogPoolName(s.leakReport->pool));
        json.field("file", s.leakReport->file);
        json.field("line", s.leakReport->line);
        json.field("logged_at", isoTime(s.leakReport->loggedAtMs));
        json.key("thread");
        json.textOrNull(s.leakReport->thread);
        json.endObject();
    } else {
        json.null();
    }
    json.field("stack_from_application_name", s.stackFromApplicationName);
    json.key("trace_id");
    json.textOrNull(traceIdOf(s));
    json.key("query");
    json.textOrNull(s.visible ? s.query : QString());
    if (s.leaderPid > 0)
        json.field("leader_pid", s.leaderPid);
    if (s.queryId)
        json.field("query_id", QString::number(*s.queryId));
    if (extra)
        extra(json, s);
    json.endObject();
}

} // namespace

void writeTimeOrNull(JsonWriter &json, const char *name, qint64 ms)
{
    json.key(name);
    char text[32];
    if (const int length = formatIsoTime(ms, text); length > 0)
        json.plainValue(std::string_view(text, size_t(length)));
    else if (ms > 0)
        json.value(isoTime(ms));
    else
        json.null();
}

int formatIsoTime(qint64 msSinceEpoch, char (&text)[32])
{
    // Years 1970 to 9999 only; the caller asks QDateTime for the rest.
    if (msSinceEpoch <= 0 || msSinceEpoch >= 253402300800000)
        return 0;
    // The civil date of a day count (Howard Hinnant's days_from_civil, inverted): QDateTime's
    // toString() cost 4 µs a time, four times a session in every watch --json document.
    const qint64 days = msSinceEpoch / 86'400'000;
    qint64 rest = msSinceEpoch % 86'400'000;
    const qint64 z = days + 719'468;
    const qint64 era = z / 146'097;
    const qint64 dayOfEra = z - era * 146'097;
    const qint64 yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36'524 - dayOfEra / 146'096) / 365;
    const qint64 dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    const qint64 shiftedMonth = (5 * dayOfYear + 2) / 153; // March is 0
    const int day = int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1);
    const int month = int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9);
    const int year = int(yearOfEra + era * 400 + (month <= 2));
    const int hour = int(rest / 3'600'000);
    rest %= 3'600'000;
    const int minute = int(rest / 60'000);
    rest %= 60'000;
    const int second = int(rest / 1000);
    const int millisecond = int(rest % 1000);
    const auto put = [&text](int at, int value, int digits) {
        for (int i = digits - 1; i >= 0; --i, value /= 10)
            text[at + i] = char('0' + value % 10);
    };
    put(0, year, 4);
    text[4] = '-';
    put(5, month, 2);
    text[7] = '-';
    put(8, day, 2);
    text[10] = 'T';
    put(11, hour, 2);
    text[13] = ':';
    put(14, minute, 2);
    text[16] = ':';
    put(17, second, 2);
    text[19] = '.';
    put(20, millisecond, 3);
    text[23] = 'Z';
    return 24;
}

QString isoTime(qint64 msSinceEpoch)
{
    if (msSinceEpoch <= 0)
        return {};
    char text[32];
    if (const int length = formatIsoTime(msSinceEpoch, text); length > 0)
        return QString::fromLatin1(text, length);
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch, Qt::UTC).toString(Qt::ISODateWithMs);
}

void writeSnapshotJson(JsonWriter &json, const AnalysedSample &sample, const SessionJsonExtra &extra)
{
    const Snapshot &snapshot = *sample.postgres;
    const Limits &limits = snapshot.limits;
    json.beginObject();
    json.key("target");
    json.beginObject();
    json.field("kind", "postgresql");
    json.field("name", snapshot.target);
    json.field("server_version", snapshot.serverVersion);
    json.field("server_version_num", snapshot.serverVersionNum);
    json.field("max_connections", limits.maxConnections);
    json.field("reserved", limits.superuserReserved + limits.reserved);
    json.field("superuser_reserved_connections", limits.superuserReserved);
    if (limits.hasReservedConnections)
        json.field("reserved_connections", limits.reserved);
    json.field("usable_slots", limits.usableSlots());
    json.field("idle_in_transaction_session_timeout_ms", limits.idleInTransactionTimeoutMs);
    if (limits.hasIdleSessionTimeout)
        json.field("idle_session_timeout_ms", limits.idleSessionTimeoutMs);
    writeLimits(json, "role_limits", "role", limits.roles);
    writeLimits(json, "database_limits", "database", limits.databases);
    json.field("own_pid", snapshot.ownPid);
    json.field("full_visibility", snapshot.fullVisibility);
    json.key("hidden_columns");
    json.strings(snapshot.hiddenColumns);
    json.endObject();

    json.field("taken_at", isoTime(snapshot.takenAtMs));
    json.field("read_ms", snapshot.readMs);
    json.field("owner_by", ownerKeyName(sample.ownerKey));

    const Totals &t = snapshot.totals;
    json.key("totals");
    json.beginObject();
    json.field("total", t.total);
    json.field("slots_used", t.slotsUsed);
    json.field("active", t.count(SessionClass::Active));
    json.field("waiting", t.count(SessionClass::Waiting));
    json.field("idle", t.count(SessionClass::Idle));
    json.field("idle_in_transaction", t.count(SessionClass::IdleInTransaction));
    json.field("idle_in_transaction_aborted", t.count(SessionClass::IdleInTransactionAborted));
    json.field("other", t.count(SessionClass::Other));
    json.field("hidden", t.count(SessionClass::Hidden));
    json.field("leaked", t.leaked);
    json.field("suspected", t.suspected);
    json.field("ignored", t.ignored);
    json.endObject();

    json.key("findings");
    writeFindings(json, sample.findings);
    if (sample.diagnosis) {
        json.key("diagnosis");
        writeDiagnosisJson(json, *sample.diagnosis);
    }

    if (sample.leakLog) {
        json.key("leak_logs");
        writeLeakLogJson(json, *sample.leakLog);
    }

    json.key("sessions");
    json.beginArray();
    for (const Session &s : snapshot.sessions)
        writeSession(json, s, sample.ownerKey, extra);
    json.endArray();

    json.key("owners");
    json.beginArray();
    for (const OwnerSummary &owner : sample.owners) {
        json.beginObject();
        json.field("owner", owner.owner);
        json.field("total", owner.total);
        json.key("by_class");
        classCounts(json, owner.byClass);
        json.field("leaked", owner.leaked);
        json.field("suspected", owner.suspected);
        json.key("stacks");
        json.beginArray();
        for (const StackGroup &group : owner.stacks) {
            json.beginObject();
            json.key("frames");
            json.strings(group.frames);
            json.field("sessions", group.sessions);
            json.field("leaked", group.leaked);
            json.key("from_leak_log");
            if (group.fromLeakLog == LeakJoin::None)
                json.null();
            else
                json.value(leakJoinKey(group.fromLeakLog));
            json.endObject();
        }
        json.endArray();
        json.endObject();
    }
    json.endArray();
    json.endObject();
}

void writeFindings(JsonWriter &json, const QList<Finding> &findings)
{
    json.beginArray();
    for (const Finding &finding : findings) {
        json.beginObject();
        json.field("severity", severityName(finding.severity));
        json.field("code", finding.code);
        json.field("message", finding.message);
        json.endObject();
    }
    json.endArray();
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

} // namespace poolscope
