#include "treerows.h"

#include "analysis/classifier.h"
#include "analysis/querytags.h"
#include "analysis/tracecontext.h"

#include <QSet>

namespace poolscope::ui {

namespace {

// The counting columns of an owner, stack or session row.
void fillCounts(TreeRow &row, const QString &label, int sessions, int leaked, const int (&byClass)[kSessionClassCount],
                double oldestTransaction)
{
    const int active = byClass[int(SessionClass::Active)];
    const int idle = byClass[int(SessionClass::Idle)];
    const int idleInTx = byClass[int(SessionClass::IdleInTransaction)] + byClass[int(SessionClass::IdleInTransactionAborted)];
    const int waiting = byClass[int(SessionClass::Waiting)];
    row.display = {label, sessions, leaked, active, idle, idleInTx, waiting,
                   oldestTransaction > 0 ? formatDuration(oldestTransaction) : QString()};
    row.sortValues = {label, sessions, leaked, active, idle, idleInTx, waiting, oldestTransaction};
    row.emphasised = leaked > 0;
}

QString sessionLabel(const Session &s)
{
    return QStringLiteral("pid %1 · %2 · %3").arg(s.pid).arg(s.user, sessionClassName(s.sessionClass));
}

QString stackLabel(const QStringList &frames, LeakJoin fromLeakLog)
{
    if (frames.isEmpty())
        return QStringLiteral("(no stack sent)");
    if (fromLeakLog != LeakJoin::None)
        return QStringLiteral("%1  [leak log, %2]").arg(frames.first(), leakJoinName(fromLeakLog));
    return frames.first();
}

TreeRow sessionRow(const Session &s)
{
    TreeRow leaf;
    leaf.key = QString::number(s.key());
    int byClass[kSessionClassCount] = {};
    byClass[int(s.sessionClass)] = 1;
    const bool inTransaction = s.sessionClass == SessionClass::IdleInTransaction
        || s.sessionClass == SessionClass::IdleInTransactionAborted;
    fillCounts(leaf, sessionLabel(s), 1, s.leak == LeakVerdict::Leaked ? 1 : 0, byClass,
               inTransaction ? s.stateSeconds : 0);
    leaf.frames = s.stack;
    if (s.stackFromApplicationName)
        leaf.notes.append(QStringLiteral("(from application_name %1)").arg(s.applicationName));
    if (const QString traceId = traceIdOf(s); !traceId.isEmpty())
        leaf.notes.append(u"trace " + traceId);
    leaf.pids = {s.pid};
    leaf.toolTip = s.reasons.join(u'\n');
    return leaf;
}

} // namespace

QStringList ownerColumns()
{
    return {QStringLiteral("Owner / stack / session"), QStringLiteral("Sessions"), QStringLiteral("Leaked"),
            QStringLiteral("Active"), QStringLiteral("Idle"), QStringLiteral("Idle in tx"),
            QStringLiteral("Lock wait"), QStringLiteral("Oldest transaction")};
}

QList<TreeRow> ownerRows(const SnapshotPtr &snapshot, const QList<OwnerSummary> &owners)
{
    QList<TreeRow> rows;
    rows.reserve(owners.size());
    for (const OwnerSummary &owner : owners) {
        TreeRow row;
        row.key = owner.owner;
        fillCounts(row, owner.owner, owner.total, owner.leaked, owner.byClass, owner.oldestTransactionSeconds);
        for (const StackGroup &stack : owner.stacks) {
            TreeRow stackRow;
            stackRow.key = stack.frames.join(u'\n');
            fillCounts(stackRow, stackLabel(stack.frames, stack.fromLeakLog), stack.sessions, stack.leaked, stack.byClass,
                       stack.oldestTransactionSeconds);
            stackRow.frames = stack.frames;
            stackRow.toolTip = stack.frames.join(u'\n');
            if (stack.fromLeakLog != LeakJoin::None)
                stackRow.toolTip += QStringLiteral("\n\nFrom a pool's leak log, joined to these sessions by %1, not sent "
                                                   "by them in a query comment.")
                                        .arg(leakJoinName(stack.fromLeakLog));
            stackRow.pids.reserve(stack.members.size());
            for (int member : stack.members)
                stackRow.pids.append(snapshot->sessions[member].pid);
            // The sessions under a stack are built when it is expanded: a flood has thousands.
            stackRow.lazyChildren = [snapshot, members = stack.members] {
                QList<TreeRow> leaves;
                leaves.reserve(members.size());
                for (int member : members)
                    leaves.append(sessionRow(snapshot->sessions[member]));
                return leaves;
            };
            row.pids += stackRow.pids;
            if (row.frames.isEmpty())
                row.frames = stack.frames; // the owner's first stack: its top leak site
            row.children.append(stackRow);
        }
        rows.append(row);
    }
    return rows;
}

QStringList blockingColumns()
{
    return {QStringLiteral("Session"), QStringLiteral("Class"), QStringLiteral("In state"), QStringLiteral("Waits on"),
            QStringLiteral("Blocks"), QStringLiteral("Query")};
}

QList<TreeRow> blockingRows(const Snapshot &snapshot)
{
    QHash<int, const Session *> byPid;
    QHash<int, QList<int>> waitersOf;
    for (const Session &s : snapshot.sessions) {
        byPid.insert(s.pid, &s);
        for (int blocker : s.blockedBy) {
            // pg_blocking_pids names a blocker once per lock it holds against the waiter.
            QList<int> &waiters = waitersOf[blocker];
            if (!waiters.contains(s.pid))
                waiters.append(s.pid);
        }
    }
    const auto rowOf = [&](const Session &s) {
        TreeRow row;
        row.key = QString::number(s.key());
        const QString wait = s.waitEventType.isEmpty() ? QString() : s.waitEventType + u'/' + s.waitEvent;
        QString query = s.query.simplified();
        if (query.size() > 200)
            query = query.left(200) + QStringLiteral("…");
        row.display = {QStringLiteral("pid %1 · %2").arg(s.pid).arg(ownerOf(s, OwnerKey::Application)),
                       sessionClassName(s.sessionClass), formatDuration(s.stateSeconds), wait,
                       int(waitersOf.value(s.pid).size()), query};
        row.sortValues = {s.pid, int(s.sessionClass), s.stateSeconds, wait, int(waitersOf.value(s.pid).size()), query};
        row.emphasised = s.leak == LeakVerdict::Leaked;
        row.frames = s.stack;
        row.pids = {s.pid};
        row.toolTip = s.reasons.join(u'\n');
        return row;
    };
    // Depth-first from each root; a session already on the path is not entered again
    // (pg_blocking_pids can name each other while a deadlock is being detected).
    std::function<TreeRow(int, QSet<int> &)> build = [&](int pid, QSet<int> &path) {
        TreeRow row = rowOf(*byPid[pid]);
        path.insert(pid);
        for (int waiter : waitersOf.value(pid)) {
            if (byPid.contains(waiter) && !path.contains(waiter))
                row.children.append(build(waiter, path));
        }
        path.remove(pid);
        return row;
    };
    QList<TreeRow> rows;
    QList<int> roots;
    for (auto it = waitersOf.cbegin(); it != waitersOf.cend(); ++it) {
        const Session *blocker = byPid.value(it.key());
        if (blocker && blocker->blockedBy.isEmpty())
            roots.append(it.key());
    }
    if (roots.isEmpty() && !waitersOf.isEmpty()) // every blocker also waits: a cycle
        roots.append(waitersOf.cbegin().key());
    std::sort(roots.begin(), roots.end());
    for (int pid : std::as_const(roots)) {
        if (!byPid.contains(pid))
            continue;
        QSet<int> path;
        rows.append(build(pid, path));
    }
    return rows;
}

QStringList poolColumns()
{
    return {QStringLiteral("Pool / connection"), QStringLiteral("Mode"), QStringLiteral("Servers in use"),
            QStringLiteral("Clients active"), QStringLiteral("Clients waiting"), QStringLiteral("Longest wait"),
            QStringLiteral("Servers active"), QStringLiteral("Servers idle"), QStringLiteral("Servers other")};
}

QList<TreeRow> poolRows(const BouncerSnapshot &snapshot, const Snapshot *postgres, const LinkedLayers *linked)
{
    QHash<int, const Session *> backendOfPid;
    if (postgres) {
        for (const Session &s : postgres->sessions)
            backendOfPid.insert(s.pid, &s);
    }
    QList<TreeRow> rows;
    for (const BouncerPool &pool : snapshot.pools) {
        TreeRow row;
        row.key = pool.database + u'/' + pool.user;
        const double utilisation = pool.utilisation();
        row.display = {row.key, pool.poolMode,
                       pool.size > 0 ? QStringLiteral("%1 of %2 (%3 %)").arg(pool.svActive).arg(pool.size).arg(qRound(utilisation * 100))
                                     : QString::number(pool.svActive),
                       pool.clActive, pool.clWaiting, formatDuration(pool.maxWaitSeconds), pool.svActive, pool.svIdle,
                       pool.svUsed + pool.svTested + pool.svLogin};
        row.sortValues = {row.key, pool.poolMode, utilisation, pool.clActive, pool.clWaiting, pool.maxWaitSeconds,
                          pool.svActive, pool.svIdle, pool.svUsed + pool.svTested + pool.svLogin};
        row.emphasised = pool.clWaiting > 0;
        row.toolTip = QStringLiteral("effective size %1 (%2), reserve %3").arg(pool.size).arg(pool.sizeSource).arg(pool.reserve);
        for (int c = 0; c < snapshot.clients.size(); ++c) {
            const BouncerConnection &client = snapshot.clients[c];
            if (client.database != pool.database || client.user != pool.user)
                continue;
            TreeRow r;
            r.key = QStringLiteral("c:") + client.ptr;
            QString label = QStringLiteral("client %1:%2").arg(client.addr).arg(client.port);
            if (!client.applicationName.isEmpty())
                label += QStringLiteral(" · ") + client.applicationName;
            r.toolTip = QStringLiteral("ptr %1, link %2, connected %3")
                            .arg(client.ptr, client.link.isEmpty() ? QStringLiteral("none") : client.link, client.connectTime);
            if (linked && c < linked->clients.size()) {
                const ClientLink &link = linked->clients[c];
                if (link.backend >= 0 && postgres)
                    label += QStringLiteral(" · holds backend pid %1").arg(postgres->sessions[link.backend].pid);
                if (link.leak != LeakVerdict::None) {
                    r.emphasised = link.leak == LeakVerdict::Leaked;
                    r.toolTip = link.reasons.join(u'\n') + u'\n' + r.toolTip;
                    label += QStringLiteral(" · ") + leakVerdictName(link.leak);
                }
            }
            r.display = {label, client.state};
            if (client.waitSeconds > 0)
                r.display += QVariantList{QVariant(), QVariant(), QVariant(), formatDuration(client.waitSeconds)};
            row.children.append(r);
        }
        for (const BouncerConnection &server : snapshot.servers) {
            if (server.database != pool.database || server.user != pool.user)
                continue;
            TreeRow r;
            r.key = QStringLiteral("s:") + server.ptr;
            QString label = QStringLiteral("server → backend pid %1").arg(server.remotePid);
            if (const Session *backend = backendOfPid.value(server.remotePid)) {
                label += QStringLiteral(" · %1 for %2").arg(sessionClassName(backend->sessionClass), formatDuration(backend->stateSeconds));
                r.emphasised = backend->leak == LeakVerdict::Leaked;
                r.frames = backend->stack;
                if (!backend->reasons.isEmpty())
                    r.toolTip = backend->reasons.join(u'\n') + u'\n';
            } else if (!server.applicationName.isEmpty()) {
                label += QStringLiteral(" · ") + server.applicationName;
            }
            r.display = {label, server.state};
            r.toolTip += QStringLiteral("ptr %1, link %2, connected %3")
                             .arg(server.ptr, server.link.isEmpty() ? QStringLiteral("none") : server.link, server.connectTime);
            if (server.remotePid > 0)
                r.pids = {server.remotePid};
            row.children.append(r);
        }
        rows.append(row);
    }
    return rows;
}

} // namespace poolscope::ui
