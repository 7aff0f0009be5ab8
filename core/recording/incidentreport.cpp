#include "recording/incidentreport.h"

#include "analysis/classifier.h"
#include "output/safetext.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>

namespace poolscope {

namespace {

// The baseline is the start of the recording: its first minute, or its first fifth if shorter.
constexpr int kBaselineSamples = 60;
// Back to baseline for this many samples in a row counts as recovered, not as a lull.
constexpr int kRecoveredFor = 5;

struct Levels
{
    qint64 timeMs = 0;
    int limit = 0;
    int total = 0;
    int leaked = 0;
    int idleInTransaction = 0;
    int waiting = 0;
};

Levels levelsOf(const HistoryPoint &p, TargetKind kind)
{
    Levels levels;
    levels.timeMs = p.timeMs;
    levels.limit = p.limit;
    levels.total = p.total();
    levels.leaked = p.leaked;
    levels.waiting = p.waiting;
    if (kind == TargetKind::PostgreSQL)
        levels.idleInTransaction = p.bands[std::size_t(SessionClass::IdleInTransaction)] +
                                   p.bands[std::size_t(SessionClass::IdleInTransactionAborted)];
    return levels;
}

// What is off the baseline at this level, in words; empty when nothing is.
QStringList deviations(const Levels &now, const Levels &base, TargetKind kind)
{
    QStringList what;
    if (now.leaked > base.leaked)
        what.append(QStringLiteral("%1 leaked sessions (baseline %2)").arg(now.leaked).arg(base.leaked));
    if (now.idleInTransaction > base.idleInTransaction + std::max(2, base.idleInTransaction / 5))
        what.append(QStringLiteral("%1 idle in transaction (baseline %2)").arg(now.idleInTransaction).arg(base.idleInTransaction));
    if (now.total > base.total + std::max(3, base.total / 4))
        what.append(QStringLiteral("%1 %2 (baseline %3)")
                        .arg(now.total)
                        .arg(kind == TargetKind::PgBouncer ? QStringLiteral("server connections") : QStringLiteral("sessions"))
                        .arg(base.total));
    if (now.waiting > base.waiting + 2)
        what.append(QStringLiteral("%1 %2 (baseline %3)")
                        .arg(now.waiting)
                        .arg(kind == TargetKind::PgBouncer ? QStringLiteral("clients waiting for a server")
                                                           : QStringLiteral("sessions waiting on a lock"))
                        .arg(base.waiting));
    return what;
}

QString timeText(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("HH:mm:ss")) : QStringLiteral("–");
}

QString dateTimeText(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

// Everything a server, a database user or a recording file supplied goes through this (or
// markdownCode/markdownCodeBlock): inline, it cannot end a table cell, open a link or HTML,
// or bring a control or bidi character back through an entity.
QString cell(const QString &text) { return markdownInline(text); }

const char *severityWord(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Critical: return "critical";
    case Finding::Severity::Warning: return "warning";
    case Finding::Severity::Info: return "info";
    }
    return "";
}

struct Event
{
    qint64 timeMs = 0;
    QString target;
    QString text;
};

} // namespace

TargetTimeline analyseTarget(Recording &recording, int targetIndex, const TimelineOptions &options)
{
    const RecordedTarget &target = recording.targets().at(targetIndex);
    TargetTimeline timeline;
    timeline.target = target.name;
    // The i-th point that is not a gap is the i-th sample.
    QList<Levels> levels;
    for (int i = 0; i < target.history.size(); ++i) {
        if (!target.history.at(i).gap)
            levels.append(levelsOf(target.history.at(i), target.kind));
    }
    if (levels.isEmpty())
        return timeline;
    const int baselineEnd = std::clamp(int(levels.size()) / 5, 1, kBaselineSamples);
    // A leak is never normal: leaked sessions in the first samples mean the incident was under
    // way when the recording began, and its first sample is the first deviation.
    Levels base;
    for (int i = 0; i < baselineEnd; ++i) {
        base.total = std::max(base.total, levels[i].total);
        base.idleInTransaction = std::max(base.idleInTransaction, levels[i].idleInTransaction);
        base.waiting = std::max(base.waiting, levels[i].waiting);
    }
    const int firstLeaked = int(std::find_if(levels.cbegin(), levels.cend(), [](const Levels &l) { return l.leaked > 0; }) -
                                levels.cbegin());
    int deviation = -1;
    for (int i = std::min(baselineEnd, firstLeaked); i < levels.size(); ++i) {
        const QStringList what = deviations(levels[i], base, target.kind);
        if (!what.isEmpty()) {
            deviation = i;
            timeline.deviated = true;
            timeline.deviationMs = levels[i].timeMs;
            timeline.deviation = what.join(QStringLiteral(", "));
            break;
        }
    }
    if (!timeline.deviated)
        return timeline;

    // The peak: the most leaked sessions if any leaked, else the most waiting clients of a
    // console, else the most sessions.
    const bool leaks = firstLeaked < levels.size();
    const auto score = [&](const Levels &l) {
        return leaks ? l.leaked : target.kind == TargetKind::PgBouncer && l.waiting > 0 ? l.waiting : l.total;
    };
    int peak = deviation;
    for (int i = peak; i < levels.size(); ++i) {
        if (score(levels[i]) > score(levels[peak]))
            peak = i;
    }
    timeline.peakSample = peak;
    const Levels &top = levels[peak];
    timeline.peakMs = top.timeMs;
    timeline.peakWhat = leaks ? QStringLiteral("%1 leaked sessions, %2 in all").arg(top.leaked).arg(top.total)
                        : target.kind == TargetKind::PgBouncer && top.waiting > 0
                            ? QStringLiteral("%1 clients waiting for a server").arg(top.waiting)
                            : QStringLiteral("%1 sessions").arg(top.total);
    if (top.limit > 0)
        timeline.peakWhat += QStringLiteral(" (limit %1)").arg(top.limit);

    if (target.kind == TargetKind::PostgreSQL) {
        // The diagnosis as the window showed it at the peak: the quietest sample before it as
        // the baseline, then the minute that led to it.
        Diagnoser diagnoser(recording.rules());
        int quietest = 0;
        for (int i = 0; i < peak; ++i) {
            if (levels[i].total < levels[quietest].total)
                quietest = i;
        }
        const int windowStart = qMax(0, peak - options.diagnosisSamples);
        QList<int> fed;
        if (quietest < windowStart)
            fed.append(quietest);
        for (int i = windowStart; i <= peak; ++i)
            fed.append(i);
        for (int i : std::as_const(fed)) {
            Snapshot earlier;
            if (recording.snapshotAt(targetIndex, i, &earlier))
                timeline.peakDiagnosis = diagnoser.diagnose(earlier, groupOwners(earlier, OwnerKey::Application, OwnerDetail::CountsOnly));
        }
        Snapshot snapshot;
        if (recording.snapshotAt(targetIndex, peak, &snapshot)) {
            timeline.peakOwners = groupOwners(snapshot, options.ownerKey);
            for (const Session &s : std::as_const(snapshot.sessions)) {
                if (s.own || s.leak != LeakVerdict::Leaked || s.stateChangeMs <= 0)
                    continue;
                if (timeline.leakBeganMs == 0 || s.stateChangeMs < timeline.leakBeganMs) {
                    timeline.leakBeganMs = s.stateChangeMs;
                    timeline.leakBeganOwner = ownerOf(s, options.ownerKey);
                    timeline.leakBeganState = s.state;
                }
            }
        }
    }

    for (int i = peak + 1; i < levels.size(); ++i) {
        bool clean = true;
        for (int j = i; j < std::min<int>(int(levels.size()), i + kRecoveredFor) && clean; ++j)
            clean = deviations(levels[j], base, target.kind).isEmpty();
        if (clean) {
            timeline.recovered = true;
            timeline.recoveryMs = levels[i].timeMs;
            break;
        }
    }
    return timeline;
}

QString incidentTimeline(Recording &recording, const TimelineOptions &options)
{
    QString md;
    QTextStream s(&md);
    const qint64 first = recording.firstMs();
    const qint64 last = recording.lastMs();
    qint64 samples = 0;
    QStringList names;
    for (const RecordedTarget &t : recording.targets()) {
        samples += t.samples.size();
        names.append(markdownCode(t.name));
    }
    s << "# Incident timeline\n\n";
    s << "Recorded by PoolScope " << cell(recording.start().value(QStringLiteral("poolscope")).toString()) << " on "
      << cell(recording.start().value(QStringLiteral("host")).toString()) << ": "
      << (names.isEmpty() ? QStringLiteral("no target") : names.join(QStringLiteral(", "))) << ", ";
    if (first > 0)
        s << dateTimeText(first) << " – " << timeText(last) << " UTC (" << formatDuration((last - first) / 1000.0) << "), ";
    s << samples << " samples. All times are UTC, on the recording machine's clock.\n\n";
    if (samples == 0) {
        s << "No target was sampled while this recording ran: there is no timeline to write.\n";
        s.flush();
        return md;
    }
    if (recording.stoppedBecause() == QLatin1String("disk_full"))
        s << "> The recording stopped because the disk was full (" << cell(recording.stopError())
          << "): it ends with its last complete sample.\n\n";
    else if (!recording.stoppedBecause().isEmpty())
        s << "> The recording stopped because the file could not be written (" << cell(recording.stopError())
          << "): it ends with its last complete sample.\n\n";
    else if (!recording.endedCleanly())
        s << "> The recording was cut short (PoolScope was killed or the machine stopped): it ends with its last "
             "complete sample.\n\n";
    for (const QString &problem : recording.problems())
        s << "> Damaged: " << cell(problem) << "\n";
    if (!recording.problems().isEmpty())
        s << "\n";
    if (!options.chartImage.isEmpty())
        s << "![Connections by class over the recording](" << options.chartImage << ")\n\n";

    QList<Event> events;
    QList<TargetTimeline> timelines;
    for (int t = 0; t < recording.targets().size(); ++t) {
        const RecordedTarget &target = recording.targets()[t];
        const TargetTimeline tl = analyseTarget(recording, t, options);
        timelines.append(tl);
        if (target.samples.isEmpty())
            continue;
        events.append({target.samples.first().timeMs, target.name, QStringLiteral("First sample")});
        if (!tl.deviated) {
            events.append({target.samples.last().timeMs, target.name, QStringLiteral("Last sample: no deviation from the baseline")});
            continue;
        }
        if (tl.leakBeganMs > 0 && tl.leakBeganMs <= tl.deviationMs)
            events.append({tl.leakBeganMs, target.name,
                           QStringLiteral("**Leak began**: the first of the sessions leaked at the peak (owner **%1**) went %2")
                               .arg(cell(tl.leakBeganOwner), cell(tl.leakBeganState))});
        events.append({tl.deviationMs, target.name,
                       tl.deviationMs == target.samples.first().timeMs
                           ? QStringLiteral("**Already off the baseline when the recording began**: %1").arg(tl.deviation)
                           : QStringLiteral("**First deviation from the baseline**: %1").arg(tl.deviation)});
        if (tl.leakBeganMs > tl.deviationMs)
            events.append({tl.leakBeganMs, target.name,
                           QStringLiteral("**Leak began**: the first of the sessions leaked at the peak (owner **%1**) went %2")
                               .arg(cell(tl.leakBeganOwner), cell(tl.leakBeganState))});
        QString peak = QStringLiteral("**Peak**: %1").arg(tl.peakWhat);
        if (!tl.peakOwners.isEmpty())
            peak += QStringLiteral("; most held by **%1** (%2)") // one arg(): a "%2" in the owner stays as it is
                        .arg(cell(tl.peakOwners.first().owner), QString::number(tl.peakOwners.first().total));
        events.append({tl.peakMs, target.name, peak});
        events.append(tl.recovered ? Event{tl.recoveryMs, target.name,
                                           QStringLiteral("**Recovered**: back to the baseline, %1 after the first deviation")
                                               .arg(formatDuration((tl.recoveryMs - tl.deviationMs) / 1000.0))}
                                   : Event{target.samples.last().timeMs, target.name,
                                           QStringLiteral("Last sample: **not recovered** by the end of the recording")});
        for (int i = 0; i < target.history.size(); ++i) {
            if (target.history.at(i).gap)
                events.append({target.history.at(i).timeMs, target.name, QStringLiteral("Could not be sampled (gap in the data)")});
        }
    }
    for (const Alert &alert : recording.alerts()) {
        events.append({alert.firedAtMs, alert.target, QStringLiteral("Alert: %1").arg(cell(alert.message))});
        if (!alert.isActive())
            events.append({alert.clearedAtMs, alert.target, QStringLiteral("Alert cleared: %1").arg(cell(alert.code))});
    }
    for (const recording::RecordedLeakReport &leak : recording.leakReports()) {
        const JoinedLeakReport &j = leak.joined;
        QString text = QStringLiteral("Leak report: %1 (thread %2) %3")
                           .arg(leakLogPoolName(j.report->pool), cell(j.report->thread.isEmpty() ? QStringLiteral("?") : j.report->thread),
                                j.pid > 0 ? QStringLiteral("explains pid %1 (%2)").arg(j.pid).arg(leakJoinName(j.join))
                                          : QStringLiteral("matches no session"));
        if (!j.report->stack.isEmpty())
            text += QStringLiteral(", checked out at ") + cell(j.report->stack.first()); // a table cell: no code span
        events.append({j.report->loggedAtMs > 0 ? j.report->loggedAtMs : leak.firstSeenMs, leak.target, text});
    }
    for (const AuditEntry &action : recording.actions()) {
        QString text = QStringLiteral("Action from PoolScope: %1 %2 → %3")
                           .arg(action.action,
                                QString::fromUtf8(QJsonDocument(action.arguments).toJson(QJsonDocument::Compact)),
                                action.status);
        if (!action.message.isEmpty())
            text += QStringLiteral(" (%1)").arg(action.message);
        events.append({action.time.toMSecsSinceEpoch(), action.target, cell(text)});
    }
    std::stable_sort(events.begin(), events.end(), [](const Event &a, const Event &b) { return a.timeMs < b.timeMs; });

    s << "## Timeline\n\n| Time | Target | Event |\n|---|---|---|\n";
    for (const Event &e : std::as_const(events))
        s << "| " << timeText(e.timeMs) << " | " << cell(e.target) << " | " << e.text << " |\n";
    s << "\n";

    for (const TargetTimeline &tl : std::as_const(timelines)) {
        if (tl.peakOwners.isEmpty())
            continue;
        s << "## At the peak: " << cell(tl.target) << ", " << timeText(tl.peakMs) << "\n\n";
        s << tl.peakWhat << ". Owners by " << ownerKeyName(options.ownerKey) << ":\n\n";
        s << "| Owner | Sessions | Leaked | Idle in transaction | Oldest transaction |\n|---|---:|---:|---:|---:|\n";
        for (const OwnerSummary &o : tl.peakOwners.mid(0, options.owners)) {
            const int idleTx = o.byClass[int(SessionClass::IdleInTransaction)] +
                               o.byClass[int(SessionClass::IdleInTransactionAborted)];
            s << "| " << cell(o.owner.isEmpty() ? QStringLiteral("(none)") : o.owner) << " | " << o.total << " | "
              << o.leaked << " | " << idleTx << " | "
              << (o.oldestTransactionSeconds > 0 ? formatDuration(o.oldestTransactionSeconds) : QStringLiteral("–"))
              << " |\n";
        }
        s << "\n";
        for (const OwnerSummary &o : tl.peakOwners.mid(0, options.owners)) {
            for (const StackGroup &stack : o.stacks) {
                // With a leak, the stacks that leaked, and those held idle in a transaction long
                // enough to be evidence before the rules call them leaked; without a leak, where
                // the sessions came from.
                const int held = stack.byClass[int(SessionClass::IdleInTransaction)]
                    + stack.byClass[int(SessionClass::IdleInTransactionAborted)];
                const bool evidence = held > 0 && stack.oldestTransactionSeconds >= options.heldEvidenceSeconds;
                if (stack.frames.isEmpty() || (tl.leakBeganMs > 0 && stack.leaked == 0 && !evidence))
                    continue;
                s << "**" << (o.owner.isEmpty() ? QStringLiteral("(none)") : cell(o.owner)) << "**: " << stack.sessions
                  << " sessions, " << stack.leaked << " leaked";
                if (evidence && held > stack.leaked)
                    s << ", " << held << " idle in transaction (the oldest "
                      << formatDuration(stack.oldestTransactionSeconds) << ")";
                s << ", checked out at:\n\n";
                QStringList frames = stack.frames.mid(0, options.stackFrames);
                if (stack.frames.size() > options.stackFrames)
                    frames.append(QStringLiteral("… %1 more frames").arg(stack.frames.size() - options.stackFrames));
                s << markdownCodeBlock(frames) << "\n";
            }
        }
    }
    for (const TargetTimeline &tl : std::as_const(timelines)) {
        if (!tl.peakDiagnosis)
            continue;
        s << "## Diagnosis at the peak: " << cell(tl.target) << ", " << timeText(tl.peakMs) << "\n\n";
        if (tl.peakDiagnosis->causes.isEmpty())
            s << "Nothing wrong found.\n\n";
        int number = 0;
        for (const Cause &cause : tl.peakDiagnosis->causes) {
            s << ++number << ". **" << causeTitle(cause.kind) << "** (" << severityWord(cause.severity) << ")";
            if (!cause.owner.isEmpty())
                s << ", " << cell(cause.owner);
            s << ": " << cell(cause.summary) << "\n";
            if (!cause.codeLocation.isEmpty())
                s << "   - at " << markdownCode(cause.codeLocation) << "\n";
            for (const Evidence &evidence : cause.evidence)
                s << "   - " << timeText(evidence.atMs) << " " << cell(evidence.text) << "\n";
            s << "   - next: " << cell(cause.nextStep) << "\n";
        }
        if (!tl.peakDiagnosis->ignoredBecause.isEmpty())
            s << "\nIgnored by rule: " << cell(tl.peakDiagnosis->ignoredBecause.join(QStringLiteral("; "))) << "\n";
        s << "\n";
    }
    if (!recording.leakReports().isEmpty()) {
        s << "## Leak reports from the pools' logs\n\n";
        s << "| Logged | Target | Pool | Thread | Session | Join | Log |\n|---|---|---|---|---|---|---|\n";
        for (const recording::RecordedLeakReport &leak : recording.leakReports()) {
            const JoinedLeakReport &j = leak.joined;
            QString session = j.withdrawn ? QStringLiteral("returned to the pool")
                              : j.pid > 0 ? QStringLiteral("pid %1%2").arg(j.pid).arg(j.sessionEnded ? QStringLiteral(", ended") : QString())
                                          : QStringLiteral("none");
            s << "| " << timeText(j.report->loggedAtMs > 0 ? j.report->loggedAtMs : leak.firstSeenMs) << " | "
              << cell(leak.target) << " | " << leakLogPoolName(j.report->pool) << " | " << cell(j.report->thread) << " | "
              << session << " | " << (j.pid > 0 ? leakJoinName(j.join) : QStringLiteral("–")) << " | "
              << cell(QStringLiteral("%1:%2").arg(j.report->file).arg(j.report->line)) << " |\n";
        }
        s << "\n";
        for (const recording::RecordedLeakReport &leak : recording.leakReports()) {
            const JoinedLeakReport &j = leak.joined;
            if (j.report->stack.isEmpty() || j.pid == 0)
                continue;
            s << "pid " << j.pid << " (" << cell(leak.target) << "), as " << leakLogPoolName(j.report->pool)
              << " reported its checkout:\n\n";
            QStringList frames = j.report->stack.mid(0, options.stackFrames);
            if (j.report->stack.size() > options.stackFrames)
                frames.append(QStringLiteral("… %1 more frames").arg(j.report->stack.size() - options.stackFrames));
            s << markdownCodeBlock(frames) << "\n";
        }
    }
    if (!recording.actions().isEmpty()) {
        s << "## Actions taken from PoolScope\n\n";
        for (const AuditEntry &a : recording.actions())
            s << "- " << timeText(a.time.toMSecsSinceEpoch()) << " " << markdownCode(a.target) << " " << cell(a.action) << " "
              << cell(QString::fromUtf8(QJsonDocument(a.arguments).toJson(QJsonDocument::Compact))) << ": "
              << cell(a.status) << (a.message.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(cell(a.message))) << "\n";
        s << "\n";
    }
    s.flush();
    return md;
}

} // namespace poolscope
