// The causes that are connections held: a leak on an error path, a forgotten checkout, a lock
// pile-up behind a root blocker, an application's pool pinned at its maximum.
#include "analysis/diagnosissupport.h"

namespace poolscope {

using namespace diagnosing;

// Sessions left in failed transactions: the ORM error path that never rolled back.
void Diagnoser::addLeaks(const Snapshot &snapshot, const Moment &now, Diagnosis &diagnosis) const
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
        const int aborted = now.aborted.value(owner); // leaked or not yet: what the growth compares
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
    // Lock waits are rare: only the waiters are indexed, the sessions a `blocking` list names.
    QHash<int, const Session *> waiterByPid;
    for (const Session &s : snapshot.sessions) {
        if (!s.blockedBy.isEmpty())
            waiterByPid.insert(s.pid, &s);
    }
    if (waiterByPid.isEmpty())
        return;
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
            if (const Session *waiter = waiterByPid.value(pid)) {
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
void Diagnoser::addPinnedPools(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication,
                               Diagnosis &diagnosis) const
{
    const Moment *start = momentAtOrBefore(snapshot.takenAtMs - kPinnedMs);
    if (!start)
        return;
    for (const OwnerSummary &summary : byApplication) {
        const QString &owner = summary.owner;
        const int count = summary.total;
        const int busyNow = busyOf(summary);
        if (count < 3 || busyNow * 10 < count * 9 || owner == QLatin1String("(hidden)"))
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

} // namespace poolscope
