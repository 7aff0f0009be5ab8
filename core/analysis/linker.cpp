#include "analysis/linker.h"

namespace poolscope {

namespace {

bool inTransaction(SessionClass c)
{
    return c == SessionClass::IdleInTransaction || c == SessionClass::IdleInTransactionAborted;
}

// Servers each pool may open at most, against the server's usable slots: the flood incident
// was a pool allowed to open more than PostgreSQL could take.
void checkBudget(const BouncerSnapshot &bouncer, const Snapshot &postgres, LinkedLayers &linked)
{
    const int usable = postgres.limits.usableSlots();
    if (usable <= 0)
        return;
    qint64 budget = 0;
    QStringList parts;
    for (const BouncerPool &pool : bouncer.pools) {
        if (pool.isAdminConsole())
            continue;
        int most = pool.size + pool.reserve;
        const auto db = std::find_if(bouncer.databases.cbegin(), bouncer.databases.cend(),
                                     [&](const BouncerDatabase &d) { return d.name == pool.database; });
        if (db != bouncer.databases.cend() && db->maxConnections > 0)
            most = qMin(most, db->maxConnections);
        budget += most;
        parts.append(QStringLiteral("%1/%2 %3").arg(pool.database, pool.user).arg(most));
    }
    if (budget > usable)
        linked.findings.append({Finding::Severity::Warning, QStringLiteral("pool-budget"),
                                QStringLiteral("the pools can open %1 server connections (%2) but PostgreSQL has %3 "
                                               "usable slots: under load they will flood it")
                                    .arg(budget)
                                    .arg(parts.join(QStringLiteral(", ")))
                                    .arg(usable)});
}

} // namespace

LinkedLayers linkLayers(const BouncerSnapshot &bouncer, const Snapshot *postgres)
{
    LinkedLayers linked;
    QHash<QString, int> serverByPtr;
    for (int i = 0; i < bouncer.servers.size(); ++i)
        serverByPtr.insert(bouncer.servers[i].ptr, i);
    QHash<int, int> sessionByPid;
    if (postgres) {
        for (int i = 0; i < postgres->sessions.size(); ++i)
            sessionByPid.insert(postgres->sessions[i].pid, i);
    }

    // Per pool: how many of its servers are held by a client whose transaction sits idle, and
    // how many of those are leaked by the rules.
    QHash<QString, int> heldIdle;
    QMap<QString, int> heldLeaked;
    for (int c = 0; c < bouncer.clients.size(); ++c) {
        const BouncerClient &client = bouncer.clients[c];
        ClientLink link;
        link.client = c;
        if (!client.link.isEmpty())
            link.server = serverByPtr.value(client.link, -1);
        if (link.server >= 0 && postgres) {
            const BouncerServer &server = bouncer.servers[link.server];
            const int index = sessionByPid.value(server.remotePid, -1);
            if (index >= 0 && (server.localPort == 0 || postgres->sessions[index].clientPort == server.localPort))
                link.backend = index;
        }
        if (link.backend >= 0) {
            const Session &backend = postgres->sessions[link.backend];
            linked.clientOfPid.insert(backend.pid, c);
            // The signature nobody else shows: busy as far as PgBouncer knows, doing nothing
            // on the server, inside an open transaction.
            if (client.state == QLatin1String("active") && inTransaction(backend.sessionClass)) {
                link.leak = backend.leak;
                if (backend.leak != LeakVerdict::None) {
                    link.reasons.append(QStringLiteral("holds server pid %1, which is %2 for %3")
                                            .arg(backend.pid)
                                            .arg(sessionClassName(backend.sessionClass), formatDuration(backend.stateSeconds)));
                    ++heldIdle[client.database + u'/' + client.user];
                    if (backend.leak == LeakVerdict::Leaked)
                        ++heldLeaked[client.database + u'/' + client.user];
                }
            }
        }
        linked.clients.append(link);
    }

    for (const BouncerPool &pool : bouncer.pools) {
        const int held = heldIdle.value(pool.database + u'/' + pool.user);
        if (pool.clWaiting > 0 && held > 0 && held >= pool.svActive)
            linked.findings.append({Finding::Severity::Critical, QStringLiteral("pool-starved"),
                                    QStringLiteral("pool %1/%2: %3 client(s) waiting (longest %4) while all %5 active "
                                                   "servers are held by transactions idle on PostgreSQL: leaked "
                                                   "checkouts")
                                        .arg(pool.database, pool.user)
                                        .arg(pool.clWaiting)
                                        .arg(formatDuration(pool.maxWaitSeconds))
                                        .arg(pool.svActive)});
    }
    for (auto it = heldLeaked.cbegin(); it != heldLeaked.cend(); ++it)
        linked.findings.append({Finding::Severity::Warning, QStringLiteral("held-leak"),
                                QStringLiteral("%1 client(s) of pool %2 hold servers whose PostgreSQL backends are "
                                               "leaked in an open transaction")
                                    .arg(it.value())
                                    .arg(it.key())});
    if (postgres)
        checkBudget(bouncer, *postgres, linked);
    return linked;
}

const Snapshot *serverBehind(const BouncerSnapshot &bouncer, const QList<SnapshotPtr> &candidates)
{
    const Snapshot *best = nullptr;
    int bestFound = 0;
    for (const SnapshotPtr &candidate : candidates) {
        if (!candidate)
            continue;
        QHash<int, int> portOfPid;
        for (const Session &s : candidate->sessions)
            portOfPid.insert(s.pid, s.clientPort);
        int found = 0;
        for (const BouncerConnection &server : bouncer.servers) {
            const auto it = portOfPid.constFind(server.remotePid);
            if (it != portOfPid.cend() && (server.localPort == 0 || *it == server.localPort))
                ++found;
        }
        if (found > bestFound) {
            best = candidate.get();
            bestFound = found;
        }
    }
    return best;
}

} // namespace poolscope
