#include "recording/leakrecords.h"

#include <QJsonArray>

namespace poolscope::recording {

namespace {

QString signatureOf(const JoinedLeakReport &joined)
{
    // Not the session's state: it changes every time the session works, and a recording
    // would write the report again each time.
    return QStringLiteral("%1/%2/%3/%4").arg(leakJoinKey(joined.join)).arg(joined.pid).arg(joined.sessionEnded).arg(joined.withdrawn);
}

std::optional<LeakLogPool> poolFromName(const QString &name)
{
    for (LeakLogPool pool : {LeakLogPool::HikariCP, LeakLogPool::C3P0, LeakLogPool::DBCP2, LeakLogPool::TomcatJdbc,
                             LeakLogPool::SQLAlchemy}) {
        if (leakLogPoolName(pool) == name)
            return pool;
    }
    return std::nullopt;
}

std::optional<LeakJoin> joinFromKey(const QString &key)
{
    for (LeakJoin join : {LeakJoin::None, LeakJoin::OwnerOnly, LeakJoin::TimeWindow, LeakJoin::ExactTime}) {
        if (leakJoinKey(join) == key)
            return join;
    }
    return std::nullopt;
}

} // namespace

QJsonObject leakReportToJson(int targetId, qint64 timeMs, const JoinedLeakReport &joined)
{
    const LeakReport &r = *joined.report;
    QJsonObject report{
        {QStringLiteral("pool"), leakLogPoolName(r.pool)},
        {QStringLiteral("file"), r.file},
        {QStringLiteral("line"), double(r.line)},
        {QStringLiteral("logged_at_ms"), double(r.loggedAtMs)},
        {QStringLiteral("checkout_at_ms"), double(r.checkoutAtMs)},
        {QStringLiteral("checkout_from_text"), r.checkoutExact},
        {QStringLiteral("pool_closed_connection"), r.closesConnection},
        {QStringLiteral("connection"), r.connection},
        {QStringLiteral("thread"), r.thread},
        {QStringLiteral("owner"), r.owner},
        {QStringLiteral("message"), r.message},
        {QStringLiteral("stack"), QJsonArray::fromStringList(r.stack)},
        {QStringLiteral("library_frames_dropped"), r.framesDropped},
    };
    return {
        {QStringLiteral("target"), targetId},
        {QStringLiteral("time_ms"), double(timeMs)},
        {QStringLiteral("join"), leakJoinKey(joined.join)},
        {QStringLiteral("pid"), joined.pid},
        {QStringLiteral("session_state"), joined.sessionState},
        {QStringLiteral("session_ended"), joined.sessionEnded},
        {QStringLiteral("withdrawn"), joined.withdrawn},
        {QStringLiteral("seconds_from_checkout"), joined.gapSeconds},
        {QStringLiteral("report"), report},
    };
}

std::optional<RecordedLeakReport> leakReportFromJson(const QJsonObject &object, const QString &targetName)
{
    const QJsonObject r = object.value(QStringLiteral("report")).toObject();
    const auto pool = poolFromName(r.value(QStringLiteral("pool")).toString());
    const auto join = joinFromKey(object.value(QStringLiteral("join")).toString());
    if (!pool || !join)
        return std::nullopt;
    auto report = std::make_shared<LeakReport>();
    report->pool = *pool;
    report->file = r.value(QStringLiteral("file")).toString();
    report->line = qint64(r.value(QStringLiteral("line")).toDouble());
    report->loggedAtMs = qint64(r.value(QStringLiteral("logged_at_ms")).toDouble());
    report->checkoutAtMs = qint64(r.value(QStringLiteral("checkout_at_ms")).toDouble());
    report->checkoutExact = r.value(QStringLiteral("checkout_from_text")).toBool();
    report->closesConnection = r.value(QStringLiteral("pool_closed_connection")).toBool();
    report->connection = r.value(QStringLiteral("connection")).toString();
    report->thread = r.value(QStringLiteral("thread")).toString();
    report->owner = r.value(QStringLiteral("owner")).toString();
    report->message = r.value(QStringLiteral("message")).toString();
    for (const QJsonValue &frame : r.value(QStringLiteral("stack")).toArray())
        report->stack.append(frame.toString());
    report->framesDropped = r.value(QStringLiteral("library_frames_dropped")).toInt();

    RecordedLeakReport recorded;
    recorded.target = targetName;
    recorded.timeMs = qint64(object.value(QStringLiteral("time_ms")).toDouble());
    recorded.firstSeenMs = recorded.timeMs;
    recorded.joined.report = std::move(report);
    recorded.joined.join = *join;
    recorded.joined.pid = object.value(QStringLiteral("pid")).toInt();
    recorded.joined.sessionState = object.value(QStringLiteral("session_state")).toString();
    recorded.joined.sessionEnded = object.value(QStringLiteral("session_ended")).toBool();
    recorded.joined.withdrawn = object.value(QStringLiteral("withdrawn")).toBool();
    recorded.joined.gapSeconds = object.value(QStringLiteral("seconds_from_checkout")).toDouble();
    return recorded;
}

QList<JoinedLeakReport> LeakRecordTracker::changes(const LeakLogState &state)
{
    QList<JoinedLeakReport> changed;
    QHash<const LeakReport *, Seen> seen;
    seen.reserve(state.reports.size());
    for (const JoinedLeakReport &joined : state.reports) {
        const QString signature = signatureOf(joined);
        const auto before = m_seen.constFind(joined.report.get());
        if (before == m_seen.cend() || before->signature != signature)
            changed.append(joined);
        seen.insert(joined.report.get(), Seen{joined.report, signature});
    }
    m_seen = std::move(seen);
    return changed;
}

} // namespace poolscope::recording
