#include "analysis/classifier.h"

#include "analysis/nameindex.h"

#include <QHash>

namespace poolscope {

namespace {

// Why an idle session's owner cannot get another connection: its role or its database at its
// connection limit, or the whole server nearly out of slots. Worked out once per sample, and
// looked up for each idle session.
struct Starvation
{
    QHash<QString, QString> roles;     // role -> why
    QHash<QString, QString> databases; // database -> why
    QString server;

    QString of(const Session &session) const
    {
        if (const auto role = roles.constFind(session.user); role != roles.cend())
            return *role;
        if (const auto database = databases.constFind(session.database); database != databases.cend())
            return *database;
        return server;
    }
};

Starvation starvationOf(const Snapshot &snapshot, const LeakRules &rules, int clientSessions)
{
    Starvation starvation;
    for (const ConnectionLimit &role : snapshot.limits.roles) {
        if (role.limit >= 0 && role.current >= role.limit && !starvation.roles.contains(role.name))
            starvation.roles.insert(role.name, QStringLiteral("role %1 is at its connection limit (%2 of %3)")
                                                   .arg(role.name)
                                                   .arg(role.current)
                                                   .arg(role.limit));
    }
    for (const ConnectionLimit &database : snapshot.limits.databases) {
        if (database.limit >= 0 && database.current >= database.limit
            && !starvation.databases.contains(database.name))
            starvation.databases.insert(database.name, QStringLiteral("database %1 is at its connection limit (%2 of %3)")
                                                           .arg(database.name)
                                                           .arg(database.current)
                                                           .arg(database.limit));
    }
    const int usable = snapshot.limits.usableSlots();
    if (usable > 0 && clientSessions * 100.0 >= usable * rules.floodCriticalPercent)
        starvation.server = QStringLiteral("the server is nearly out of connection slots (%1 of %2)")
                                .arg(clientSessions)
                                .arg(usable);
    return starvation;
}

void judgeIdleInTransaction(Session &s, const LeakRules &rules)
{
    const bool blocks = !s.blocking.isEmpty();
    if (s.stateSeconds >= rules.idleInTxLeakedAfter) {
        s.leak = LeakVerdict::Leaked;
    } else if (s.stateSeconds >= rules.idleInTxSuspectAfter) {
        s.leak = blocks ? LeakVerdict::Leaked : LeakVerdict::Suspected;
    } else if (s.stateSeconds >= rules.idleInTxWarnAfter) {
        // The other age: a transaction open for longer than a leak's threshold, idle again, is
        // a checkout held across other work even if each pause is short.
        const bool heldLong = s.transactionSeconds >= rules.idleInTxLeakedAfter;
        s.leak = blocks || heldLong ? LeakVerdict::Suspected : LeakVerdict::None;
    } else {
        return; // a transaction between two statements: normal
    }
    QString reason = u"idle in transaction for " + formatDuration(s.stateSeconds);
    if (s.transactionSeconds >= s.stateSeconds + 1)
        reason += u", its transaction open for " + formatDuration(s.transactionSeconds);
    s.reasons.append(reason);
}

} // namespace

bool IgnoreRules::add(const QString &rule)
{
    const qsizetype eq = rule.indexOf(u'=');
    if (eq <= 0 || eq == rule.size() - 1)
        return false;
    const QString kind = rule.first(eq).trimmed();
    const QString value = rule.sliced(eq + 1).trimmed();
    if (value.isEmpty())
        return false;
    QStringList *list = kind == QLatin1String("application") ? &applications
                        : kind == QLatin1String("user")      ? &users
                        : kind == QLatin1String("database")  ? &databases
                                                             : nullptr;
    if (!list)
        return false;
    if (!list->contains(value))
        list->append(value);
    return true;
}

QStringList IgnoreRules::toStrings() const
{
    QStringList rules;
    for (const QString &name : applications)
        rules.append(u"application=" + name);
    for (const QString &name : users)
        rules.append(u"user=" + name);
    for (const QString &name : databases)
        rules.append(u"database=" + name);
    return rules;
}

QString IgnoreRules::match(const Session &session) const
{
    // Asked of every session of every sample: most rule lists are empty, and few tags are
    // poolscope's.
    if (!applications.isEmpty()) {
        if (!session.applicationName.isEmpty() && applications.contains(session.applicationName))
            return u"application " + session.applicationName;
        if (!session.applicationOwner.isEmpty() && applications.contains(session.applicationOwner))
            return u"application " + session.applicationOwner; // billing@OrderRepo.java:212 is billing's
    }
    if (!users.isEmpty() && !session.user.isEmpty() && users.contains(session.user))
        return u"user " + session.user;
    if (!databases.isEmpty() && !session.database.isEmpty() && databases.contains(session.database))
        return u"database " + session.database;
    for (const Tag &tag : session.tags) {
        if (tag.key == QLatin1String("poolscope") && tag.value == QLatin1String("ignore"))
            return QStringLiteral("its query comment poolscope:ignore");
    }
    return {};
}

SessionClass classOf(const Session &session)
{
    if (!session.visible)
        return SessionClass::Hidden;
    const QString &state = session.state;
    if (state == QLatin1String("active")) {
        // "Activity" waits are a background process sleeping, not a client waiting; "Timeout"
        // waits (pg_sleep, vacuum delay) are a pause the session asked for, not contention.
        if (!session.waitEventType.isEmpty() && session.waitEventType != QLatin1String("Activity")
            && session.waitEventType != QLatin1String("Timeout"))
            return SessionClass::Waiting;
        return SessionClass::Active;
    }
    if (state == QLatin1String("idle"))
        return SessionClass::Idle;
    if (state == QLatin1String("idle in transaction"))
        return SessionClass::IdleInTransaction;
    if (state == QLatin1String("idle in transaction (aborted)"))
        return SessionClass::IdleInTransactionAborted;
    return SessionClass::Other;
}

QString formatDuration(double seconds)
{
    // Called for every leaked or waiting session of every sample: numbers and concatenation,
    // not arg(), which parses its format each time.
    const auto twoDigits = [](qint64 n) { return n < 10 ? u'0' + QString::number(n) : QString::number(n); };
    if (seconds < 0)
        seconds = 0;
    if (seconds < 10)
        return QString::number(seconds, 'f', 1) + u" s";
    const qint64 whole = qint64(seconds);
    if (whole < 120)
        return QString::number(whole) + u" s";
    if (whole < 3600)
        return QString::number(whole / 60) + u" min " + twoDigits(whole % 60) + u" s";
    if (whole < 86400)
        return QString::number(whole / 3600) + u" h " + twoDigits((whole % 3600) / 60) + u" min";
    return QString::number(whole / 86400) + u" d " + QString::number((whole % 86400) / 3600) + u" h";
}

void classify(Snapshot &snapshot, const LeakRules &rules)
{
    // Who blocks whom, from the blockers read for lock waiters. Lock waits are few, sessions
    // many: only the blockers named are looked for.
    for (Session &s : snapshot.sessions)
        s.blocking.clear();
    QHash<int, QList<int>> waitersByBlocker;
    for (const Session &s : std::as_const(snapshot.sessions)) {
        for (int blocker : s.blockedBy)
            waitersByBlocker[blocker].append(s.pid);
    }
    if (!waitersByBlocker.isEmpty()) {
        for (Session &s : snapshot.sessions) {
            if (const auto waiters = waitersByBlocker.constFind(s.pid); waiters != waitersByBlocker.cend())
                s.blocking = *waiters;
        }
    }

    NameTally perRole;
    NameTally perDatabase;
    int clientSessions = 0;
    for (const Session &s : std::as_const(snapshot.sessions)) {
        ++clientSessions; // PoolScope's own session takes a slot too
        if (!s.user.isEmpty())
            perRole.add(s.user);
        if (!s.database.isEmpty())
            perDatabase.add(s.database);
    }
    for (ConnectionLimit &role : snapshot.limits.roles)
        role.current = perRole.count(role.name);
    for (ConnectionLimit &database : snapshot.limits.databases)
        database.current = perDatabase.count(database.name);

    const Starvation starvation = starvationOf(snapshot, rules, clientSessions);
    Totals totals;
    for (Session &s : snapshot.sessions) {
        s.sessionClass = classOf(s);
        s.stateSeconds = s.stateChangeMs > 0 ? qMax(0.0, (snapshot.takenAtMs - s.stateChangeMs) / 1000.0) : 0;
        s.transactionSeconds = s.xactStartMs > 0 ? qMax(0.0, (snapshot.takenAtMs - s.xactStartMs) / 1000.0) : 0;
        s.leak = LeakVerdict::None;
        s.reasons.clear();
        s.ignoredBecause = s.own ? QString() : rules.ignore.match(s);
        if (!s.ignoredBecause.isEmpty()) {
            s.reasons.append(u"ignored: " + s.ignoredBecause);
            if (!s.blocking.isEmpty())
                s.reasons.append(s.blocking.size() == 1 ? QStringLiteral("blocks 1 session")
                                                        : QStringLiteral("blocks %1 sessions").arg(s.blocking.size()));
            ++totals.total;
            ++totals.byClass[int(s.sessionClass)];
            ++totals.ignored;
            continue;
        }
        switch (s.sessionClass) {
        case SessionClass::IdleInTransactionAborted:
            if (s.stateSeconds >= rules.abortedLeakedAfter) {
                s.leak = LeakVerdict::Leaked;
                s.reasons.append(u"idle in transaction (aborted) for " + formatDuration(s.stateSeconds)
                                 + u": an error path that never rolled back");
            }
            break;
        case SessionClass::IdleInTransaction:
            judgeIdleInTransaction(s, rules);
            break;
        case SessionClass::Idle:
            if (s.stateSeconds >= rules.idleStarvedAfter) {
                const QString why = starvation.of(s);
                if (!why.isEmpty()) {
                    s.leak = LeakVerdict::Suspected;
                    s.reasons.append(u"idle for " + formatDuration(s.stateSeconds) + u" while " + why);
                }
            }
            break;
        case SessionClass::Waiting: {
            QString reason = QStringLiteral("waiting on %1/%2 for %3")
                                 .arg(s.waitEventType, s.waitEvent, formatDuration(s.stateSeconds));
            if (!s.blockedBy.isEmpty()) {
                QStringList pids;
                for (int pid : std::as_const(s.blockedBy))
                    pids.append(QString::number(pid));
                reason += QStringLiteral("; blocked by ") + pids.join(QStringLiteral(", "));
            }
            s.reasons.append(reason);
            break;
        }
        default:
            break;
        }
        if (!s.blocking.isEmpty())
            s.reasons.append(s.blocking.size() == 1 ? QStringLiteral("blocks 1 session")
                                                    : QStringLiteral("blocks %1 sessions").arg(s.blocking.size()));
        const bool inTransaction = s.sessionClass == SessionClass::IdleInTransaction
            || s.sessionClass == SessionClass::IdleInTransactionAborted;
        if (inTransaction && s.leak != LeakVerdict::None) {
            if (!s.backendXid.isEmpty())
                s.reasons.append(QStringLiteral("holds transaction id %1").arg(s.backendXid));
            else if (!s.backendXmin.isEmpty())
                s.reasons.append(QStringLiteral("holds back the xmin horizon at %1 (vacuum cannot clean up)")
                                     .arg(s.backendXmin));
        }
        if (s.own)
            continue;
        ++totals.total;
        ++totals.byClass[int(s.sessionClass)];
        if (s.leak == LeakVerdict::Leaked)
            ++totals.leaked;
        else if (s.leak == LeakVerdict::Suspected)
            ++totals.suspected;
    }
    totals.slotsUsed = clientSessions;
    snapshot.totals = totals;

    snapshot.findings.clear();
    const int usable = snapshot.limits.usableSlots();
    if (usable > 0) {
        const double percent = clientSessions * 100.0 / usable;
        if (percent >= rules.floodWarnPercent) {
            const bool critical = percent >= rules.floodCriticalPercent;
            snapshot.findings.append({critical ? Finding::Severity::Critical : Finding::Severity::Warning,
                                      QStringLiteral("flood"),
                                      QStringLiteral("%1 of %2 usable connection slots in use (%3 %); new connections "
                                                     "will be refused at %2")
                                          .arg(clientSessions)
                                          .arg(usable)
                                          .arg(qRound(percent))});
        }
    }
    for (const ConnectionLimit &role : std::as_const(snapshot.limits.roles)) {
        if (role.limit >= 0 && role.current >= role.limit)
            snapshot.findings.append({Finding::Severity::Warning, QStringLiteral("role-limit"),
                                      QStringLiteral("role %1 is at its connection limit (%2 of %3)")
                                          .arg(role.name).arg(role.current).arg(role.limit)});
    }
    for (const ConnectionLimit &database : std::as_const(snapshot.limits.databases)) {
        if (database.limit >= 0 && database.current >= database.limit)
            snapshot.findings.append({Finding::Severity::Warning, QStringLiteral("database-limit"),
                                      QStringLiteral("database %1 is at its connection limit (%2 of %3)")
                                          .arg(database.name).arg(database.current).arg(database.limit)});
    }
    if (!snapshot.fullVisibility && totals.count(SessionClass::Hidden) > 0) {
        snapshot.findings.append(
            {Finding::Severity::Info, QStringLiteral("visibility"),
             QStringLiteral("%1 session(s) of other roles are hidden (columns %2 not visible): grant pg_monitor to "
                            "see them")
                 .arg(totals.count(SessionClass::Hidden))
                 .arg(snapshot.hiddenColumns.join(QStringLiteral(", ")))});
    }
}

} // namespace poolscope
