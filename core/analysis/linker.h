#pragma once

#include "model/bouncersnapshot.h"
#include "analysis/classifier.h"
#include "model/snapshot.h"

namespace poolscope {

// A PgBouncer client with what it holds down to the PostgreSQL backend, when both layers
// are targets: SHOW CLIENTS.link = SHOW SERVERS.ptr, SHOW SERVERS.remote_pid =
// pg_stat_activity.pid (and local_port = client_port, checked too: pids are per host).
struct ClientLink
{
    int client = -1;  // index into BouncerSnapshot::clients
    int server = -1;  // index into BouncerSnapshot::servers, -1: holds none
    int backend = -1; // index into Snapshot::sessions, -1: not found (or no PostgreSQL target)
    LeakVerdict leak = LeakVerdict::None;
    QStringList reasons;
};

struct LinkedLayers
{
    QList<ClientLink> clients;    // one per PgBouncer client, in its order
    QHash<int, int> clientOfPid;  // backend pid -> index into clients
    QList<Finding> findings;      // starved pools, pool budget over the server's slots
};

LinkedLayers linkLayers(const BouncerSnapshot &bouncer, const Snapshot *postgres);

// Of the PostgreSQL samples at hand, the one of the server behind this console: the one whose
// backends most of its server connections are (by pid and port). nullptr: none of them.
const Snapshot *serverBehind(const BouncerSnapshot &bouncer, const QList<SnapshotPtr> &candidates);

} // namespace poolscope
