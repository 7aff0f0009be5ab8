#include "analysis/health.h"

#include "analysis/classifier.h"

#include <algorithm>

namespace poolscope {

namespace {

constexpr int kMostParts = 3; // a line, not a report

int idleInTransaction(const OwnerSummary &owner)
{
    return owner.byClass[int(SessionClass::IdleInTransaction)]
        + owner.byClass[int(SessionClass::IdleInTransactionAborted)];
}

} // namespace

QString healthLine(const Snapshot &snapshot, const QList<OwnerSummary> &owners, OwnerKey key)
{
    QStringList parts;
    const int usable = snapshot.limits.usableSlots();
    for (const Finding &finding : snapshot.findings) {
        if (finding.severity == Finding::Severity::Critical)
            parts.append(finding.message);
    }
    // groupOwners puts the owners with leaks first.
    for (const OwnerSummary &owner : owners) {
        if (owner.leaked == 0 || parts.size() >= kMostParts)
            break;
        const QString holder = key == OwnerKey::CodeLocation ? QStringLiteral("code at %1").arg(owner.owner) : owner.owner;
        QString part = usable > 0 ? QStringLiteral("%1 holds %2 of %3 usable slots idle in transaction")
                                        .arg(holder).arg(idleInTransaction(owner)).arg(usable)
                                  : QStringLiteral("%1 holds %2 sessions idle in transaction")
                                        .arg(holder).arg(idleInTransaction(owner));
        part += QStringLiteral(", %1 leaked").arg(owner.leaked);
        if (owner.oldestTransactionSeconds > 0)
            part += QStringLiteral("; oldest %1").arg(formatDuration(owner.oldestTransactionSeconds));
        parts.append(part);
    }
    for (const Finding &finding : snapshot.findings) {
        if (finding.severity == Finding::Severity::Warning && parts.size() < kMostParts)
            parts.append(finding.message);
    }
    const int lockWaits = int(std::count_if(snapshot.sessions.cbegin(), snapshot.sessions.cend(),
                                            [](const Session &s) { return !s.blockedBy.isEmpty(); }));
    if (lockWaits > 0 && parts.size() < kMostParts)
        parts.append(QStringLiteral("%1 session(s) waiting on a lock").arg(lockWaits));
    if (!parts.isEmpty())
        return parts.join(QStringLiteral("; "));
    if (usable > 0)
        return QStringLiteral("Healthy: %1 of %2 usable slots in use (%3 %), nothing leaked")
            .arg(snapshot.totals.slotsUsed)
            .arg(usable)
            .arg(qRound(snapshot.totals.slotsUsed * 100.0 / usable));
    return QStringLiteral("Healthy: %1 sessions, nothing leaked").arg(snapshot.totals.total);
}

QString healthLine(const BouncerSnapshot &snapshot, const QList<Finding> &linked)
{
    QStringList parts;
    const auto isDatabaseState = [](const Finding &finding) {
        return finding.code == QLatin1String("database-paused") || finding.code == QLatin1String("database-disabled");
    };
    const auto addFindings = [&](Finding::Severity severity) {
        for (const QList<Finding> *findings : {&linked, &snapshot.findings}) {
            for (const Finding &finding : *findings) {
                if (finding.severity == severity && !isDatabaseState(finding) && parts.size() < kMostParts)
                    parts.append(finding.message);
            }
        }
    };
    addFindings(Finding::Severity::Critical);
    // Out of client slots, PgBouncer refuses every new application connection: that outranks
    // everything a pool can say. Console clients count against the limit too (PgBouncer lets
    // the console itself in past it), so here the console's pool is counted.
    const int maxClients = snapshot.setting(QStringLiteral("max_client_conn")).toInt();
    int clients = 0;
    for (const BouncerPool &pool : snapshot.pools)
        clients += pool.clActive + pool.clWaiting + pool.clIdle.value_or(0);
    if (maxClients > 0 && clients >= maxClients && parts.size() < kMostParts)
        parts.append(QStringLiteral("at max_client_conn: %1 of %2 client connections, new clients are refused").arg(clients).arg(maxClients));
    else if (maxClients > 0 && clients * 10 >= maxClients * 9 && parts.size() < kMostParts)
        parts.append(QStringLiteral("near max_client_conn: %1 of %2 client connections").arg(clients).arg(maxClients));
    // A paused or disabled database holds every client back by design: say so before the
    // waiting it causes, or the waiting looks like a pool that is too small.
    for (const Finding &finding : snapshot.findings) {
        if (isDatabaseState(finding) && parts.size() < kMostParts)
            parts.append(finding.message);
    }
    QList<const BouncerPool *> waiting;
    for (const BouncerPool &pool : snapshot.pools) {
        if (!pool.isAdminConsole() && pool.clWaiting > 0)
            waiting.append(&pool);
    }
    std::sort(waiting.begin(), waiting.end(),
              [](const BouncerPool *a, const BouncerPool *b) { return a->clWaiting > b->clWaiting; });
    for (const BouncerPool *pool : std::as_const(waiting)) {
        if (parts.size() >= kMostParts)
            break;
        parts.append(QStringLiteral("pool %1/%2: %3 client(s) waiting, longest %4; %5 of %6 servers active")
                         .arg(pool->database, pool->user)
                         .arg(pool->clWaiting)
                         .arg(formatDuration(pool->maxWaitSeconds))
                         .arg(pool->svActive)
                         .arg(pool->size));
    }
    addFindings(Finding::Severity::Warning);
    addFindings(Finding::Severity::Info);
    if (!parts.isEmpty())
        return parts.join(QStringLiteral("; "));
    const BouncerTotals totals = snapshot.totals();
    return QStringLiteral("Healthy: %1 client(s) on %2 server connection(s), none waiting")
        .arg(totals.clients())
        .arg(totals.servers());
}

} // namespace poolscope
