#include "treerows.h"

#include "classifier.h"
#include "querytags.h"

#include <QSet>

namespace poolscope::ui {

namespace {

enum OwnerColumn { OwnerName, OwnerSessions, OwnerLeaked, OwnerActive, OwnerIdle, OwnerIdleInTx, OwnerWaiting,
                   OwnerOldest, OwnerColumnCount };

struct Counts
{
    int sessions = 0, leaked = 0, active = 0, idle = 0, idleInTx = 0, waiting = 0;
    double oldestTx = 0;

    void add(const Session &s)
    {
        ++sessions;
        leaked += s.leak == LeakVerdict::Leaked ? 1 : 0;
        switch (s.sessionClass) {
        case SessionClass::Active: ++active; break;
        case SessionClass::Idle: ++idle; break;
        case SessionClass::IdleInTransaction:
        case SessionClass::IdleInTransactionAborted:
            ++idleInTx;
            oldestTx = std::max(oldestTx, s.stateSeconds);
            break;
        case SessionClass::Waiting: ++waiting; break;
        default: break;
        }
    }
    void fill(TreeRow &row) const
    {
        row.display = {row.display.value(0), sessions, leaked, active, idle, idleInTx, waiting,
                       oldestTx > 0 ? formatDuration(oldestTx) : QString()};
        row.sortValues = {row.display.value(0), sessions, leaked, active, idle, idleInTx, waiting, oldestTx};
        row.emphasised = leaked > 0;
    }
};

QString sessionLabel(const Session &s)
{
    return QStringLiteral("pid %1 · %2 · %3").arg(s.pid).arg(s.user, sessionClassName(s.sessionClass));
}

QString stackLabel(const QStringList &frames)
{
    return frames.isEmpty() ? QStringLiteral("(no stack sent)") : frames.first();
}

} // namespace

QStringList ownerColumns()
{
    return {QStringLiteral("Owner / stack / session"), QStringLiteral("Sessions"), QStringLiteral("Leaked"),
            QStringLiteral("Active"), QStringLiteral("Idle"), QStringLiteral("Idle in tx"),
            QStringLiteral("Lock wait"), QStringLiteral("Oldest transaction")};
}

QList<TreeRow> ownerRows(const Snapshot &snapshot, OwnerKey key)
{
    struct Stack { QStringList frames; Counts counts; QList<const Session *> sessions; };
    struct Owner { Counts counts; QList<QString> stackOrder; QHash<QString, Stack> stacks; };
    QHash<QString, Owner> owners;
    QStringList order;
    for (const Session &s : snapshot.sessions) {
        if (s.own)
            continue;
        const QString name = ownerOf(s, key);
        auto it = owners.find(name);
        if (it == owners.end()) {
            it = owners.insert(name, Owner{});
            order.append(name);
        }
        it->counts.add(s);
        const QString stackKey = s.stack.join(u'\n');
        auto stack = it->stacks.find(stackKey);
        if (stack == it->stacks.end()) {
            stack = it->stacks.insert(stackKey, Stack{s.stack, {}, {}});
            it->stackOrder.append(stackKey);
        }
        stack->counts.add(s);
        stack->sessions.append(&s);
    }
    QList<TreeRow> rows;
    rows.reserve(order.size());
    for (const QString &name : std::as_const(order)) {
        const Owner &owner = owners[name];
        TreeRow row;
        row.key = name;
        row.display = {name};
        owner.counts.fill(row);
        for (const QString &stackKey : owner.stackOrder) {
            const Stack &stack = owner.stacks[stackKey];
            TreeRow stackRow;
            stackRow.key = stackKey;
            stackRow.display = {stackLabel(stack.frames)};
            stack.counts.fill(stackRow);
            stackRow.frames = stack.frames;
            stackRow.toolTip = stack.frames.join(u'\n');
            for (const Session *s : stack.sessions) {
                TreeRow leaf;
                leaf.key = QString::number(s->key());
                leaf.display = {sessionLabel(*s)};
                Counts one;
                one.add(*s);
                one.fill(leaf);
                leaf.frames = s->stack;
                leaf.pids = {s->pid};
                leaf.toolTip = s->reasons.join(u'\n');
                stackRow.pids.append(s->pid);
                stackRow.children.append(leaf);
            }
            row.pids += stackRow.pids;
            if (row.frames.isEmpty())
                row.frames = stack.frames;
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
        for (int blocker : s.blockedBy)
            waitersOf[blocker].append(s.pid);
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

QList<TreeRow> poolRows(const BouncerSnapshot &snapshot)
{
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
        const auto connectionRow = [&](const BouncerConnection &c, bool client) {
            TreeRow r;
            r.key = (client ? QStringLiteral("c:") : QStringLiteral("s:")) + c.ptr;
            QString label = client ? QStringLiteral("client %1:%2").arg(c.addr).arg(c.port)
                                   : QStringLiteral("server → backend pid %1").arg(c.remotePid);
            if (!c.applicationName.isEmpty())
                label += QStringLiteral(" · ") + c.applicationName;
            r.display = {label, c.state};
            if (client && c.waitSeconds > 0) {
                r.display.append(QVariant());
                r.display.append(QVariant());
                r.display.append(QVariant());
                r.display.append(formatDuration(c.waitSeconds));
            }
            r.toolTip = QStringLiteral("ptr %1, link %2, connected %3").arg(c.ptr, c.link.isEmpty() ? QStringLiteral("none") : c.link, c.connectTime);
            if (!client && c.remotePid > 0)
                r.pids = {c.remotePid};
            return r;
        };
        for (const BouncerConnection &c : snapshot.clients) {
            if (c.database == pool.database && c.user == pool.user)
                row.children.append(connectionRow(c, true));
        }
        for (const BouncerConnection &s : snapshot.servers) {
            if (s.database == pool.database && s.user == pool.user)
                row.children.append(connectionRow(s, false));
        }
        rows.append(row);
    }
    return rows;
}

} // namespace poolscope::ui
