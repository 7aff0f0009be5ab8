#pragma once

// What a replay must give back of a recorded snapshot: every field, stored or derived, and the
// owners and stacks grouped from it.

#include "analysis/owners.h"
#include "model/snapshot.h"

namespace snapshotcompare {

using namespace poolscope;

// Every field a reader of the recording sees, stored or derived: empty when equal, else
// the first difference.
inline QString differenceOf(const Session &a, const Session &b)
{
#define FIELD(f)                                                                                                   \
    if (!(a.f == b.f))                                                                                             \
        return QStringLiteral("pid %1: " #f " differs").arg(a.pid);
    FIELD(pid) FIELD(database) FIELD(user) FIELD(applicationName) FIELD(clientAddr) FIELD(clientPort)
    FIELD(backendStartMs) FIELD(xactStartMs) FIELD(queryStartMs) FIELD(stateChangeMs) FIELD(waitEventType)
    FIELD(waitEvent) FIELD(state) FIELD(backendXid) FIELD(backendXmin) FIELD(query) FIELD(backendType)
    FIELD(leaderPid) FIELD(queryId) FIELD(blockedBy) FIELD(blocking) FIELD(visible) FIELD(own)
    FIELD(sessionClass) FIELD(leak) FIELD(reasons) FIELD(stateSeconds) FIELD(tags) FIELD(stack) FIELD(tagsRemembered)
    FIELD(applicationOwner) FIELD(stackFromApplicationName)
#undef FIELD
    return {};
}

inline QString differenceOf(const Snapshot &a, const Snapshot &b)
{
    if (a.takenAtMs != b.takenAtMs || a.serverVersion != b.serverVersion || a.readMs != b.readMs ||
        a.ownPid != b.ownPid || a.fullVisibility != b.fullVisibility || a.hiddenColumns != b.hiddenColumns)
        return QStringLiteral("header differs");
    if (a.limits.maxConnections != b.limits.maxConnections || !(a.limits.roles == b.limits.roles))
        return QStringLiteral("limits differ");
    if (a.sessions.size() != b.sessions.size())
        return QStringLiteral("%1 sessions, read back %2").arg(a.sessions.size()).arg(b.sessions.size());
    for (int i = 0; i < a.sessions.size(); ++i) {
        if (const QString d = differenceOf(a.sessions[i], b.sessions[i]); !d.isEmpty())
            return d;
    }
    if (!(a.findings == b.findings) || a.totals.leaked != b.totals.leaked || a.totals.total != b.totals.total)
        return QStringLiteral("findings or totals differ");
    // The owners and their stacks, as the owners view groups them.
    for (OwnerKey key : {OwnerKey::Application, OwnerKey::CodeLocation}) {
        const QList<OwnerSummary> x = groupOwners(a, key), y = groupOwners(b, key);
        if (x.size() != y.size())
            return QStringLiteral("owner count differs");
        for (int i = 0; i < x.size(); ++i) {
            if (x[i].owner != y[i].owner || x[i].total != y[i].total || x[i].leaked != y[i].leaked ||
                x[i].stacks.size() != y[i].stacks.size())
                return QStringLiteral("owner %1 differs").arg(x[i].owner);
            for (int s = 0; s < x[i].stacks.size(); ++s) {
                if (x[i].stacks[s].frames != y[i].stacks[s].frames || x[i].stacks[s].members != y[i].stacks[s].members)
                    return QStringLiteral("a stack of %1 differs").arg(x[i].owner);
            }
        }
    }
    return {};
}

} // namespace snapshotcompare

using snapshotcompare::differenceOf;
