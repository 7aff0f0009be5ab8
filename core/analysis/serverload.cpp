// The causes that are load on the server: a flood of connections, a connect storm, a slow
// server.
#include "analysis/diagnosissupport.h"

namespace poolscope {

using namespace diagnosing;

// Sessions near the usable slots: which owners grew since the quietest moment remembered.
void Diagnoser::addFlood(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication, Diagnosis &diagnosis) const
{
    const int usable = snapshot.limits.usableSlots();
    if (usable <= 0)
        return;
    const int used = snapshot.totals.slotsUsed;
    const double percent = used * 100.0 / usable;
    if (percent < m_rules.floodWarnPercent)
        return;
    Cause cause;
    cause.kind = CauseKind::Flood;
    cause.severity = percent >= m_rules.floodCriticalPercent ? Finding::Severity::Critical : Finding::Severity::Warning;
    cause.score = severityWeight(cause.severity) + percent;
    const Moment *baseline = nullptr;
    for (const Moment &moment : m_moments) {
        if (!baseline || moment.slotsUsed < baseline->slotsUsed)
            baseline = &moment;
    }
    // Per application, from the grouping the pipeline made already (and by its names, which
    // the baseline's counts were kept by).
    QHash<QString, int> total, idle;
    for (const OwnerSummary &owner : byApplication) {
        total.insert(owner.owner, owner.total);
        idle.insert(owner.owner, owner.byClass[int(SessionClass::Idle)]);
    }
    QList<std::pair<QString, int>> growth;
    for (auto it = total.cbegin(); it != total.cend(); ++it)
        growth.append({it.key(), it.value() - (baseline ? baseline->total.value(it.key()) : 0)});
    std::sort(growth.begin(), growth.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    int idleAll = 0;
    for (int n : std::as_const(idle))
        idleAll += n;
    if (!growth.isEmpty())
        cause.owner = growth.first().first;
    QStringList grew;
    for (int i = 0; i < growth.size() && i < 3 && growth[i].second > 0; ++i)
        grew.append(QStringLiteral("%1 +%2 (now %3, %4 idle)")
                        .arg(growth[i].first)
                        .arg(growth[i].second)
                        .arg(total.value(growth[i].first))
                        .arg(idle.value(growth[i].first)));
    // Mostly idle: more connections than work. Mostly busy: the pools together allow more
    // connections than the server has slots, and the load fills them.
    const bool mostlyIdle = idleAll * 10 >= used * 3;
    cause.summary = QStringLiteral("The server is nearly out of connection slots: %1 of %2 usable (%3 %), %4 of them "
                                   "idle: %5%6.")
                        .arg(used).arg(usable).arg(qRound(percent)).arg(idleAll)
                        .arg(mostlyIdle ? QStringLiteral("the pools hold more connections than the work needs")
                                        : QStringLiteral("the pools together may open more connections than the server "
                                                         "has slots, and the load fills them"),
                             grew.isEmpty() ? QString() : QStringLiteral("; %1 grew most").arg(cause.owner));
    cause.evidence.append({QStringLiteral("%1 of %2 usable slots in use (max_connections %3, %4 reserved)")
                               .arg(used).arg(usable).arg(snapshot.limits.maxConnections)
                               .arg(snapshot.limits.superuserReserved + snapshot.limits.reserved),
                           snapshot.takenAtMs});
    if (baseline && !grew.isEmpty())
        cause.evidence.append({QStringLiteral("since the baseline (%1 slots in use): %2")
                                   .arg(baseline->slotsUsed).arg(grew.join(QStringLiteral(", "))),
                               baseline->atMs});
    cause.nextStep = QStringLiteral("Cap the applications' pools so that they add up to less than %1 usable slots "
                                    "(or put PgBouncer in front with a small pool); new connections are refused at %1.")
                         .arg(usable);
    diagnosis.causes.append(cause);
}

void Diagnoser::addConnectStorm(const Snapshot &snapshot, const Moment &now, Diagnosis &diagnosis) const
{
    QString source;
    const double rate = connectRate(now, &source);
    if (rate < m_rules.connectStormPerSecond)
        return;
    // Who is connecting: the sessions seen that began within the window.
    QHash<QString, int> started;
    int young = 0;
    for (const Session &s : snapshot.sessions) {
        if (judged(s) && s.backendStartMs > snapshot.takenAtMs - kRateWindowMs) {
            ++started[ownerName(s)];
            ++young;
        }
    }
    QList<std::pair<QString, int>> owners;
    for (auto it = started.cbegin(); it != started.cend(); ++it)
        owners.append({it.key(), it.value()});
    std::sort(owners.begin(), owners.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    QStringList named;
    for (int i = 0; i < owners.size() && i < 3; ++i)
        named.append(QStringLiteral("%1 %2").arg(owners[i].first).arg(owners[i].second));
    Cause cause;
    cause.kind = CauseKind::ConnectStorm;
    cause.severity = rate >= 5 * m_rules.connectStormPerSecond ? Finding::Severity::Critical : Finding::Severity::Warning;
    cause.score = severityWeight(cause.severity) + qMin(rate, 90.0);
    // An owner is named only when its young sessions account for a fair share of the storm:
    // connections that come and go between samples leave nothing to attribute, and naming
    // whoever happened to connect lately would be a guess.
    const double openedInWindow = rate * kRateWindowMs / 1000.0;
    if (!owners.isEmpty() && owners.first().second >= qMax(3.0, openedInWindow / 4))
        cause.owner = owners.first().first;
    cause.summary = QStringLiteral("A connect storm: %1 new connections a second%2; each costs the server a process "
                                   "and an authentication.")
                        .arg(QLocale().toString(rate, 'f', 1))
                        .arg(cause.owner.isEmpty() ? QString() : QStringLiteral(", most from %1").arg(cause.owner));
    cause.evidence.append({QStringLiteral("%1 new connections a second over the last %2 (%3)")
                               .arg(QLocale().toString(rate, 'f', 1), formatDuration(kRateWindowMs / 1000.0), source),
                           snapshot.takenAtMs});
    cause.evidence.append({named.isEmpty()
                               ? QStringLiteral("none of them is still connected: they live less than a sample")
                               : QStringLiteral("sessions begun in that time and still connected: %1 (%2)")
                                     .arg(young).arg(named.join(QStringLiteral(", "))),
                           snapshot.takenAtMs});
    if (cause.owner.isEmpty() && young > 0)
        cause.evidence.append({QStringLiteral("most came and went between samples: too few stayed to say whose they are "
                                              "(a server log with log_connections names them)"),
                               snapshot.takenAtMs});
    cause.nextStep = QStringLiteral("Connect once and reuse: a pool in the application (check that its idle timeout "
                                    "and max lifetime are not churning it) or PgBouncer in front.");
    diagnosis.causes.append(cause);
}

// Statements that run long while waiting on the server itself (I/O, LWLocks, CPU) rather than
// on a lock another session holds or on a client that reads slowly.
void Diagnoser::addSlowServer(const Snapshot &snapshot, Diagnosis &diagnosis) const
{
    QList<const Session *> slow;
    int active = 0;
    QMap<QString, int> waits;
    for (const Session &s : snapshot.sessions) {
        if ((s.sessionClass != SessionClass::Active && s.sessionClass != SessionClass::Waiting) || !judged(s))
            continue;
        ++active;
        const double running = s.queryStartMs > 0 ? (snapshot.takenAtMs - s.queryStartMs) / 1000.0 : 0;
        if (running < m_rules.slowStatementAfter || s.waitEventType == QLatin1String("Lock")
            || s.waitEventType == QLatin1String("Client") || s.waitEventType == QLatin1String("Timeout"))
            continue;
        slow.append(&s);
        ++waits[s.waitEventType.isEmpty() ? QStringLiteral("CPU") : s.waitEventType];
    }
    if (slow.size() < 3)
        return;
    const auto runningOf = [&](const Session *s) { return (snapshot.takenAtMs - s->queryStartMs) / 1000.0; };
    std::sort(slow.begin(), slow.end(), [&](const Session *a, const Session *b) { return runningOf(a) > runningOf(b); });
    QStringList waitText;
    for (auto it = waits.cbegin(); it != waits.cend(); ++it)
        waitText.append(QStringLiteral("%1 %2").arg(it.key()).arg(it.value()));
    const Session &longest = *slow.first();
    const int usable = snapshot.limits.usableSlots();
    Cause cause;
    cause.kind = CauseKind::SlowServer;
    cause.severity = usable > 0 && active * 2 >= usable ? Finding::Severity::Critical : Finding::Severity::Warning;
    cause.score = severityWeight(cause.severity) + slow.size();
    cause.owner = ownerName(longest);
    cause.stack = longest.stack;
    if (!longest.stack.isEmpty())
        cause.codeLocation = longest.stack.first();
    cause.summary = QStringLiteral("The server is slow, not the pools: %1 statements have run longer than %2 while "
                                   "waiting on the server (%3).")
                        .arg(slow.size())
                        .arg(formatDuration(m_rules.slowStatementAfter), waitText.join(QStringLiteral(", ")));
    cause.evidence.append({QStringLiteral("%1 active, %2 running longer than %3")
                               .arg(sessionsText(active)).arg(slow.size()).arg(formatDuration(m_rules.slowStatementAfter)),
                           snapshot.takenAtMs});
    cause.evidence.append({QStringLiteral("longest: session %1 of %2, %3, waiting on %4")
                               .arg(longest.pid)
                               .arg(cause.owner, formatDuration(runningOf(&longest)),
                                    longest.waitEventType.isEmpty() ? QStringLiteral("nothing (on CPU)")
                                                                    : longest.waitEventType + u'/' + longest.waitEvent),
                           snapshot.takenAtMs});
    cause.nextStep = QStringLiteral("Look at the longest statements (EXPLAIN), at the disk and the cache hit ratio; "
                                    "cancel what can run later. More connections would make it slower.");
    const QList<const Session *> longestFew = slow.mid(0, 5);
    cause.remedy.kind = Remedy::Kind::Cancel;
    cause.remedy.pids = pidsOf(longestFew);
    cause.remedy.label = longestFew.size() == 1 ? QStringLiteral("Cancel the longest statement")
                                                : QStringLiteral("Cancel the %1 longest statements").arg(longestFew.size());
    diagnosis.causes.append(cause);
}

} // namespace poolscope
