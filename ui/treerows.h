#pragma once

#include "model/bouncersnapshot.h"
#include "keyedtreemodel.h"
#include "analysis/linker.h"
#include "analysis/owners.h"
#include "model/snapshot.h"

namespace poolscope::ui {

// What the tree views show of one sample, as keyed rows for KeyedTreeModel::merge.

// owner → stack → session, with counts per class; leaked first when sorted by column 2.
// `owners` is groupOwners() of `snapshot`, which the target has already computed.
QStringList ownerColumns();
// The sessions under a stack are made when the view expands it (TreeRow::lazyChildren).
QList<TreeRow> ownerRows(const SnapshotPtr &snapshot, const QList<OwnerSummary> &owners);

// blocker → the sessions waiting on it → the sessions waiting on those…
QStringList blockingColumns();
QList<TreeRow> blockingRows(const Snapshot &snapshot);

// pool → its clients and servers, servers with the PostgreSQL backend they are. With the
// server behind open too (`postgres`, `linked` from linkLayers), each server shows its backend's
// class and owner, and a client holding a leaked backend is marked with the reason.
QStringList poolColumns();
enum PoolColumn { PoolName, PoolMode, PoolUtilisation, PoolClientsActive, PoolClientsWaiting, PoolMaxWait,
                  PoolServersActive, PoolServersIdle, PoolServersOther };
QList<TreeRow> poolRows(const BouncerSnapshot &snapshot, const Snapshot *postgres = nullptr,
                        const LinkedLayers *linked = nullptr);

} // namespace poolscope::ui
