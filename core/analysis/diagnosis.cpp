#include "analysis/diagnosis.h"

#include <QLocale>

#include <algorithm>

namespace poolscope {

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

namespace {

// Causes are ordered by severity first, then by how much each weighs within it.
double severityWeight(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Critical: return 1000;
    case Finding::Severity::Warning: return 100;
    case Finding::Severity::Info: return 10;
    }
    return 0;
}

QString sessionsText(int n)
{
    return n == 1 ? QStringLiteral("1 session") : QLocale().toString(n) + QStringLiteral(" sessions");
}

bool inTransaction(SessionClass c)
{
    return c == SessionClass::IdleInTransaction || c == SessionClass::IdleInTransactionAborted;
}

bool busy(SessionClass c)
{
    return c == SessionClass::Active || c == SessionClass::Waiting || inTransaction(c);
}

bool judged(const Session &s) { return !s.own && s.ignoredBecause.isEmpty() && s.visible; }

QString ownerName(const Session &s)
{
    return s.applicationName.isEmpty() ? QStringLiteral("(no application_name)") : s.applicationName;
}

// The stack most of a group's sessions sent, and its innermost frame.
struct CommonStack
{
    QStringList frames;
    int sessions = 0;
};
CommonStack commonStack(const QList<const Session *> &sessions)
{
    QHash<QStringList, int> counts;
    for (const Session *s : sessions) {
        if (!s->stack.isEmpty())
            ++counts[s->stack];
    }
    CommonStack best;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        if (it.value() > best.sessions || (it.value() == best.sessions && it.key() < best.frames))
            best = {it.key(), it.value()};
    }
    return best;
}

QList<int> pidsOf(const QList<const Session *> &sessions)
{
    QList<int> pids;
    for (const Session *s : sessions)
        pids.append(s->pid);
    return pids;
}

void setStack(Cause &cause, const QList<const Session *> &sessions)
{
    const CommonStack common = commonStack(sessions);
    cause.stack = common.frames;
    if (!common.frames.isEmpty())
        cause.codeLocation = common.frames.first();
}

// Groups sessions by application, largest group first (then by name, so that equal groups
// keep one order from sample to sample).
QList<std::pair<QString, QList<const Session *>>> byOwner(const QList<const Session *> &sessions)
{
    QHash<QString, QList<const Session *>> groups;
    for (const Session *s : sessions)
        groups[ownerName(*s)].append(s);
    QList<std::pair<QString, QList<const Session *>>> ordered;
    for (auto it = groups.cbegin(); it != groups.cend(); ++it)
        ordered.append({it.key(), it.value()});
    std::sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
        return a.second.size() != b.second.size() ? a.second.size() > b.second.size() : a.first < b.first;
    });
    return ordered;
}

double oldest(const QList<const Session *> &sessions, double Session::*age)
{
    double most = 0;
    for (const Session *s : sessions)
        most = qMax(most, s->*age);
    return most;
}

Remedy terminate(const QList<const Session *> &sessions)
{
    Remedy remedy;
    remedy.kind = Remedy::Kind::Terminate;
    remedy.pids = pidsOf(sessions);
    remedy.label = sessions.size() == 1 ? QStringLiteral("Terminate session %1").arg(sessions.first()->pid)
                                        : QStringLiteral("Terminate the %1 sessions").arg(sessions.size());
    return remedy;
}

} // namespace

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

DiagnosisPtr Diagnoser::diagnose(const Snapshot &snapshot)
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
        const QString owner = ownerName(s);
        ++now.total[owner];
        if (busy(s.sessionClass))
            ++now.busy[owner];
        if (s.sessionClass == SessionClass::IdleInTransactionAborted)
            ++now.aborted[owner];
    }
    for (auto it = ignored.cbegin(); it != ignored.cend(); ++it)
        diagnosis->ignoredBecause.append(QStringLiteral("%1: %2").arg(it.key(), sessionsText(it.value())));

    // A sample from an earlier server clock (a failover, a clock step) starts the past afresh.
    if (!m_moments.empty() && now.atMs <= m_moments.back().atMs)
        m_moments.clear();

    addLeaks(snapshot, *diagnosis);
    addForgottenCheckouts(snapshot, *diagnosis);
    addLockPileUps(snapshot, *diagnosis);
    addPinnedPools(snapshot, *diagnosis);
    addFlood(snapshot, *diagnosis);
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

// Sessions left in failed transactions: the ORM error path that never rolled back.
void Diagnoser::addLeaks(const Snapshot &snapshot, Diagnosis &diagnosis) const
{
    QList<const Session *> leaked;
    for (const Session &s : snapshot.sessions) {
        if (judged(s) && s.sessionClass == SessionClass::IdleInTransactionAborted && s.leak == LeakVerdict::Leaked)
            leaked.append(&s);
    }
    const Moment *earlier = momentAtOrBefore(snapshot.takenAtMs - kGrowthMs);
    if (!earlier && !m_moments.empty())
        earlier = &m_moments.front();
    for (const auto &[owner, sessions] : byOwner(leaked)) {
        Cause cause;
        cause.kind = CauseKind::Leak;
        cause.severity = Finding::Severity::Critical;
        cause.owner = owner;
        setStack(cause, sessions);
        const int held = int(sessions.size());
        const int before = earlier ? earlier->aborted.value(owner) : -1;
        int aborted = 0; // leaked or not yet: what the growth compares
        for (const Session &s : snapshot.sessions)
            aborted += judged(s) && s.sessionClass == SessionClass::IdleInTransactionAborted && ownerName(s) == owner;
        const bool growing = before >= 0 && aborted > before;
        cause.score = severityWeight(cause.severity) + 10 * held + (growing ? 50 : 0);
        cause.summary = QStringLiteral("%1 leaks connections on an error path: %2 held in failed transactions that "
                                       "nobody rolled back%3.")
                            .arg(owner, sessionsText(held),
                                 growing ? QStringLiteral(", and growing") : QString());
        cause.evidence.append({QStringLiteral("%1 of %2 idle in transaction (aborted) for %3 or more, oldest %4")
                                   .arg(sessionsText(held), owner, formatDuration(m_rules.abortedLeakedAfter),
                                        formatDuration(oldest(sessions, &Session::stateSeconds))),
                               snapshot.takenAtMs});
        if (earlier && earlier->atMs < snapshot.takenAtMs)
            cause.evidence.append({QStringLiteral("%1 in failed transactions then, %2 now")
                                       .arg(before).arg(aborted),
                                   earlier->atMs});
        // (PostgreSQL forgets a failed transaction's start: its age is the time since the error.)
        cause.nextStep = QStringLiteral("Terminate them to give the slots back; then fix the code%1 so that an "
                                        "exception rolls back and returns the connection (try/finally, a with-block).")
                             .arg(cause.codeLocation.isEmpty() ? QString() : u" at " + cause.codeLocation);
        cause.remedy = terminate(sessions);
        diagnosis.causes.append(cause);
    }
}

// Transactions left open without an error: a checkout that never committed. Sessions that
// block others are the lock pile-up's, named there.
void Diagnoser::addForgottenCheckouts(const Snapshot &snapshot, Diagnosis &diagnosis) const
{
    QList<const Session *> held;
    for (const Session &s : snapshot.sessions) {
        if (judged(s) && s.sessionClass == SessionClass::IdleInTransaction && s.blocking.isEmpty()
            && (s.stateSeconds >= m_rules.idleInTxWarnAfter || s.leak != LeakVerdict::None))
            held.append(&s);
    }
    for (const auto &[owner, sessions] : byOwner(held)) {
        int leaked = 0, suspected = 0;
        for (const Session *s : sessions) {
            leaked += s->leak == LeakVerdict::Leaked;
            suspected += s->leak == LeakVerdict::Suspected;
        }
        // One short pause between two statements is normal; several, or one suspected, is not.
        if (sessions.size() < 2 && leaked + suspected == 0)
            continue;
        Cause cause;
        cause.kind = CauseKind::ForgottenCheckout;
        cause.severity = leaked > 0 ? Finding::Severity::Critical : Finding::Severity::Warning;
        cause.owner = owner;
        setStack(cause, sessions);
        cause.score = severityWeight(cause.severity) + 10 * sessions.size();
        cause.summary = QStringLiteral("%1 checks out connections and leaves their transactions open: %2 idle in "
                                       "transaction, no error, ageing.")
                            .arg(owner, sessionsText(int(sessions.size())));
        cause.evidence.append({QStringLiteral("%1 idle in transaction for %2 or more (longest %3); %4 leaked, %5 "
                                              "suspected")
                                   .arg(sessionsText(int(sessions.size())), formatDuration(m_rules.idleInTxWarnAfter),
                                        formatDuration(oldest(sessions, &Session::stateSeconds)))
                                   .arg(leaked)
                                   .arg(suspected),
                               snapshot.takenAtMs});
        cause.evidence.append({QStringLiteral("oldest transaction began %1 ago")
                                   .arg(formatDuration(oldest(sessions, &Session::transactionSeconds))),
                               snapshot.takenAtMs});
        const qint64 timeout = snapshot.limits.idleInTransactionTimeoutMs;
        cause.evidence.append({timeout > 0 ? QStringLiteral("idle_in_transaction_session_timeout is %1")
                                                 .arg(formatDuration(timeout / 1000.0))
                                           : QStringLiteral("idle_in_transaction_session_timeout is off"),
                               snapshot.takenAtMs});
        cause.nextStep = QStringLiteral("Terminate them; make the code%1 commit or roll back before it returns the "
                                        "connection%2.")
                             .arg(cause.codeLocation.isEmpty() ? QString() : u" at " + cause.codeLocation,
                                  timeout > 0 ? QString()
                                              : QStringLiteral(", and set idle_in_transaction_session_timeout for its "
                                                               "role as a safety net"));
        cause.remedy = terminate(sessions);
        diagnosis.causes.append(cause);
    }
}

// Root blockers: sessions that block others and wait on nobody, scored by every session
// queued behind them, directly or through a chain.
void Diagnoser::addLockPileUps(const Snapshot &snapshot, Diagnosis &diagnosis) const
{
    QHash<int, const Session *> byPid;
    for (const Session &s : snapshot.sessions)
        byPid.insert(s.pid, &s);
    for (const Session &root : snapshot.sessions) {
        if (root.blocking.isEmpty() || !root.blockedBy.isEmpty() || root.own)
            continue;
        QSet<int> behind;
        QList<int> queue = root.blocking;
        double longestWait = 0;
        while (!queue.isEmpty()) {
            const int pid = queue.takeFirst();
            if (pid == root.pid || behind.contains(pid))
                continue;
            behind.insert(pid);
            if (const Session *waiter = byPid.value(pid)) {
                longestWait = qMax(longestWait, waiter->stateSeconds);
                queue += waiter->blocking;
            }
        }
        if (!root.ignoredBecause.isEmpty()) // shown as ignored, not judged
            continue;
        Cause cause;
        cause.kind = CauseKind::LockPileUp;
        cause.severity = behind.size() >= 3 || longestWait >= 30 ? Finding::Severity::Critical : Finding::Severity::Warning;
        cause.owner = ownerName(root);
        cause.stack = root.stack;
        if (!root.stack.isEmpty())
            cause.codeLocation = root.stack.first();
        cause.score = severityWeight(cause.severity) + 20 * behind.size() + 5;
        const bool idle = inTransaction(root.sessionClass);
        cause.summary = QStringLiteral("Session %1 of %2 blocks %3 (%4 directly): %5.")
                            .arg(root.pid)
                            .arg(cause.owner, sessionsText(int(behind.size())))
                            .arg(root.blocking.size())
                            .arg(idle ? QStringLiteral("it holds its locks in a transaction left idle")
                                      : QStringLiteral("its statement holds the locks they wait for"));
        cause.evidence.append({QStringLiteral("session %1 is %2 for %3, its transaction open for %4")
                                   .arg(root.pid)
                                   .arg(sessionClassName(root.sessionClass), formatDuration(root.stateSeconds),
                                        formatDuration(root.transactionSeconds)),
                               snapshot.takenAtMs});
        cause.evidence.append({QStringLiteral("%1 waiting behind it, the longest for %2")
                                   .arg(sessionsText(int(behind.size())), formatDuration(longestWait)),
                               snapshot.takenAtMs});
        if (idle) {
            cause.nextStep = QStringLiteral("Terminate session %1 to let the queue through; then find why the code%2 "
                                            "keeps its transaction open.")
                                 .arg(root.pid)
                                 .arg(cause.codeLocation.isEmpty() ? QString() : u" at " + cause.codeLocation);
            cause.remedy = terminate({&root});
        } else {
            cause.nextStep = QStringLiteral("Cancel the statement of session %1 if it can run later; a lock_timeout "
                                            "for the waiters keeps a queue from growing behind it.")
                                 .arg(root.pid);
            cause.remedy.kind = Remedy::Kind::Cancel;
            cause.remedy.pids = {root.pid};
            cause.remedy.label = QStringLiteral("Cancel the statement of session %1").arg(root.pid);
        }
        diagnosis.causes.append(cause);
    }
}

// An application's sessions pinned at one count for a while, nearly all busy: its pool is at
// its maximum, and its requests queue inside the application where no server view sees them.
void Diagnoser::addPinnedPools(const Snapshot &snapshot, Diagnosis &diagnosis) const
{
    const Moment *start = momentAtOrBefore(snapshot.takenAtMs - kPinnedMs);
    if (!start)
        return;
    QHash<QString, QList<const Session *>> byApplication;
    for (const Session &s : snapshot.sessions) {
        if (judged(s))
            byApplication[ownerName(s)].append(&s);
    }
    for (auto it = byApplication.cbegin(); it != byApplication.cend(); ++it) {
        const QString &owner = it.key();
        const QList<const Session *> &sessions = it.value();
        const int count = int(sessions.size());
        int busyNow = 0;
        for (const Session *s : sessions)
            busyNow += busy(s->sessionClass);
        if (count < 3 || busyNow * 10 < count * 9)
            continue;
        bool pinned = true;
        for (const Moment &moment : m_moments) {
            if (moment.atMs < start->atMs)
                continue;
            if (moment.total.value(owner) != count || moment.busy.value(owner) * 10 < count * 9) {
                pinned = false;
                break;
            }
        }
        if (!pinned)
            continue;
        // A leak or a forgotten checkout of the same owner is why its pool is full: said there,
        // this one follows it.
        const bool explained = std::any_of(diagnosis.causes.cbegin(), diagnosis.causes.cend(), [&](const Cause &c) {
            return c.owner == owner && (c.kind == CauseKind::Leak || c.kind == CauseKind::ForgottenCheckout);
        });
        Cause cause;
        cause.kind = CauseKind::PoolExhausted;
        cause.severity = Finding::Severity::Warning;
        cause.owner = owner;
        cause.score = severityWeight(cause.severity) + count - (explained ? 60 : 0);
        cause.summary = QStringLiteral("%1's pool is exhausted: its %2 have stayed at that count, %3 of them busy, for "
                                       "%4; its requests wait inside the application.")
                            .arg(owner, sessionsText(count))
                            .arg(busyNow)
                            .arg(formatDuration((snapshot.takenAtMs - start->atMs) / 1000.0));
        cause.evidence.append({QStringLiteral("%1 sessions of %2 then").arg(start->total.value(owner)).arg(owner), start->atMs});
        cause.evidence.append({QStringLiteral("%1 now, %2 busy (active, waiting or in a transaction)")
                                   .arg(count).arg(busyNow),
                               snapshot.takenAtMs});
        cause.nextStep = explained ? QStringLiteral("Deal with the leak or forgotten checkout of %1 above: it is what "
                                                    "holds the pool.").arg(owner)
                                   : QStringLiteral("Find what keeps its connections busy (the Sessions tab, sorted by "
                                                    "age); raise its pool size only if the server has slots to spare.");
        diagnosis.causes.append(cause);
    }
}

// Sessions near the usable slots: which owners grew since the quietest moment remembered.
void Diagnoser::addFlood(const Snapshot &snapshot, Diagnosis &diagnosis) const
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
    QHash<QString, int> total, idle;
    for (const Session &s : snapshot.sessions) {
        if (s.own)
            continue;
        ++total[ownerName(s)];
        idle[ownerName(s)] += s.sessionClass == SessionClass::Idle;
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
        if (!judged(s) || s.state != QLatin1String("active"))
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
    return diagnoser.diagnose(snapshot);
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
