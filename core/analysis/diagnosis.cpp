#include "analysis/diagnosissupport.h"

namespace poolscope {

using namespace diagnosing;

QString causeKey(CauseKind kind)
{
    switch (kind) {
    case CauseKind::Leak: return QStringLiteral("leak");
    case CauseKind::ForgottenCheckout: return QStringLiteral("forgotten-checkout");
    case CauseKind::PoolExhausted: return QStringLiteral("pool-exhausted");
    case CauseKind::Flood: return QStringLiteral("flood");
    case CauseKind::ConnectStorm: return QStringLiteral("connect-storm");
    case CauseKind::LockPileUp: return QStringLiteral("lock-pile-up");
    case CauseKind::SlowServer: return QStringLiteral("slow-server");
    }
    return {};
}

QString causeTitle(CauseKind kind)
{
    switch (kind) {
    case CauseKind::Leak: return QStringLiteral("Connection leak");
    case CauseKind::ForgottenCheckout: return QStringLiteral("Forgotten checkout");
    case CauseKind::PoolExhausted: return QStringLiteral("Pool exhausted");
    case CauseKind::Flood: return QStringLiteral("Oversized pools flood the server");
    case CauseKind::ConnectStorm: return QStringLiteral("Connect storm");
    case CauseKind::LockPileUp: return QStringLiteral("Lock pile-up");
    case CauseKind::SlowServer: return QStringLiteral("Slow server");
    }
    return {};
}


const Diagnoser::Moment *Diagnoser::momentAtOrBefore(qint64 atMs) const
{
    const Moment *found = nullptr;
    for (const Moment &moment : m_moments) {
        if (moment.atMs > atMs)
            break;
        found = &moment;
    }
    return found;
}

// New connections a second over the last few seconds: from pg_stat_database.sessions where
// the server counts them (also those that came and went between two samples), else from the
// backend_start of the sessions seen.
double Diagnoser::connectRate(const Moment &now, QString *source) const
{
    const Moment *before = momentAtOrBefore(now.atMs - kRateWindowMs);
    if (!before && m_moments.size() >= 3)
        before = &m_moments.front();
    if (!before || before->atMs >= now.atMs)
        return -1;
    const double seconds = (now.atMs - before->atMs) / 1000.0;
    if (now.sessionsOpened >= 0 && before->sessionsOpened >= 0 && now.sessionsOpened >= before->sessionsOpened) {
        *source = QStringLiteral("pg_stat_database.sessions");
        return (now.sessionsOpened - before->sessionsOpened) / seconds;
    }
    int started = now.startedSincePrevious; // `now` is not among the moments yet
    for (const Moment &moment : m_moments) {
        if (moment.atMs > before->atMs)
            started += moment.startedSincePrevious;
    }
    *source = QStringLiteral("backend_start of the sessions seen");
    return started / seconds;
}

DiagnosisPtr Diagnoser::diagnose(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication)
{
    Moment now;
    now.atMs = snapshot.takenAtMs;
    now.slotsUsed = snapshot.totals.slotsUsed;
    now.sessionsOpened = snapshot.sessionsOpened;
    const qint64 previousAt = m_moments.empty() ? 0 : m_moments.back().atMs;
    auto diagnosis = std::make_shared<Diagnosis>();
    diagnosis->timeMs = snapshot.takenAtMs;
    QMap<QString, int> ignored;
    for (const Session &s : snapshot.sessions) {
        if (s.own)
            continue;
        if (!s.ignoredBecause.isEmpty()) {
            ++ignored[s.ignoredBecause];
            ++diagnosis->ignoredSessions;
            continue;
        }
        if (previousAt > 0 && s.backendStartMs > previousAt)
            ++now.startedSincePrevious;
    }
    // Per owner, from the grouping the pipeline made already: one pass over thousands of
    // sessions, not another.
    for (const OwnerSummary &owner : byApplication) {
        now.total.insert(owner.owner, owner.total);
        now.busy.insert(owner.owner, busyOf(owner));
        now.aborted.insert(owner.owner, owner.byClass[int(SessionClass::IdleInTransactionAborted)]);
    }
    for (auto it = ignored.cbegin(); it != ignored.cend(); ++it)
        diagnosis->ignoredBecause.append(QStringLiteral("%1: %2").arg(it.key(), sessionsText(it.value())));

    // A sample from an earlier server clock (a failover, a clock step) starts the past afresh.
    if (!m_moments.empty() && now.atMs <= m_moments.back().atMs)
        m_moments.clear();

    addLeaks(snapshot, now, *diagnosis);
    addForgottenCheckouts(snapshot, *diagnosis);
    addLockPileUps(snapshot, *diagnosis);
    addPinnedPools(snapshot, byApplication, *diagnosis);
    addFlood(snapshot, byApplication, *diagnosis);
    addConnectStorm(snapshot, now, *diagnosis);
    addSlowServer(snapshot, *diagnosis);

    QString source;
    diagnosis->connectsPerSecond = connectRate(now, &source);
    m_moments.push_back(std::move(now));
    while (!m_moments.empty() && m_moments.front().atMs < snapshot.takenAtMs - kKeepMs)
        m_moments.pop_front();

    std::stable_sort(diagnosis->causes.begin(), diagnosis->causes.end(),
                     [](const Cause &a, const Cause &b) { return a.score > b.score; });
    return diagnosis;
}

DiagnosisPtr Diagnoser::diagnose(const BouncerSnapshot &bouncer, const LinkedLayers &linked, const Snapshot *server)
{
    auto diagnosis = std::make_shared<Diagnosis>();
    diagnosis->timeMs = bouncer.takenAtMs;
    // The backends a pool's clients hold, for the stack of the code holding them.
    QHash<QString, QList<const Session *>> heldByPool;
    if (server) {
        for (const ClientLink &link : linked.clients) {
            if (link.backend < 0 || link.leak == LeakVerdict::None)
                continue;
            const BouncerClient &client = bouncer.clients[link.client];
            heldByPool[client.database + u'/' + client.user].append(&server->sessions[link.backend]);
        }
    }
    for (const BouncerPool &pool : bouncer.pools) {
        if (pool.isAdminConsole() || pool.clWaiting == 0 || pool.size <= 0)
            continue;
        if (pool.svIdle > 0 || pool.servers() < pool.size)
            continue; // a server to spare, or room to open one: waiting briefly, not exhausted
        const QString name = pool.database + u'/' + pool.user;
        const QList<const Session *> held = heldByPool.value(name);
        Cause cause;
        cause.kind = CauseKind::PoolExhausted;
        cause.severity = pool.maxWaitSeconds >= 5 ? Finding::Severity::Critical : Finding::Severity::Warning;
        cause.owner = name;
        setStack(cause, held);
        cause.score = severityWeight(cause.severity) + 10 * pool.clWaiting;
        cause.summary = held.isEmpty()
            ? QStringLiteral("Pool %1 is exhausted: %2 clients wait while all %3 servers are busy.")
                  .arg(name).arg(pool.clWaiting).arg(pool.servers())
            : QStringLiteral("Pool %1 is exhausted by leaked checkouts: %2 clients wait while %3 of its servers sit in "
                             "transactions idle on PostgreSQL.")
                  .arg(name).arg(pool.clWaiting).arg(held.size());
        cause.evidence.append({QStringLiteral("%1 clients waiting, the longest %2")
                                   .arg(pool.clWaiting).arg(formatDuration(pool.maxWaitSeconds)),
                               bouncer.takenAtMs});
        cause.evidence.append({QStringLiteral("servers: %1 active, %2 idle, %3 used, pool size %4 (%5)")
                                   .arg(pool.svActive).arg(pool.svIdle).arg(pool.svUsed).arg(pool.size)
                                   .arg(pool.sizeSource),
                               bouncer.takenAtMs});
        if (!held.isEmpty()) {
            // Ended on the PostgreSQL server, from its target: the console's connection cannot.
            QStringList pids;
            for (const Session *s : held)
                pids.append(QString::number(s->pid));
            cause.nextStep = QStringLiteral("Terminate the %1 backends held idle in transaction (pids %2, from the "
                                            "PostgreSQL target); fix the code%3 that keeps them.")
                                 .arg(held.size())
                                 .arg(pids.join(QStringLiteral(", ")),
                                      cause.codeLocation.isEmpty() ? QString() : u" at " + cause.codeLocation);
        } else {
            cause.nextStep = QStringLiteral("Find the slow transactions (the PostgreSQL target's Sessions tab); raise "
                                            "the pool's size only within the server's slots (Pool sizing).");
        }
        diagnosis->causes.append(cause);
    }
    for (const Finding &finding : linked.findings) {
        if (finding.code != QLatin1String("pool-budget"))
            continue;
        Cause cause;
        cause.kind = CauseKind::Flood;
        cause.severity = finding.severity;
        cause.score = severityWeight(cause.severity) + 1;
        cause.summary = QStringLiteral("The pools are oversized: %1.").arg(finding.message);
        cause.evidence.append({finding.message, bouncer.takenAtMs});
        cause.nextStep = QStringLiteral("Lower default_pool_size or the databases' pool_size so that they add up to "
                                        "less than the server's usable slots (Pool sizing).");
        diagnosis->causes.append(cause);
    }
    std::stable_sort(diagnosis->causes.begin(), diagnosis->causes.end(),
                     [](const Cause &a, const Cause &b) { return a.score > b.score; });
    return diagnosis;
}

DiagnosisPtr diagnoseOnce(const Snapshot &snapshot, const LeakRules &rules)
{
    Diagnoser diagnoser(rules);
    return diagnoser.diagnose(snapshot, groupOwners(snapshot, OwnerKey::Application, OwnerDetail::CountsOnly));
}

QList<Finding> alertingFindings(const Diagnosis &diagnosis)
{
    QList<Finding> findings;
    for (const Cause &cause : diagnosis.causes) {
        if (cause.kind == CauseKind::ConnectStorm)
            findings.append({cause.severity, causeKey(cause.kind), cause.summary});
    }
    return findings;
}

} // namespace poolscope
