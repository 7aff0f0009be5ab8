#pragma once

#include "bouncersnapshot.h"
#include "keyedtreemodel.h"
#include "owners.h"
#include "snapshot.h"

namespace poolscope::ui {

// What the tree views show of one sample, as keyed rows for KeyedTreeModel::merge.

// owner → stack → session, with counts per class; leaked first when sorted by column 2.
QStringList ownerColumns();
QList<TreeRow> ownerRows(const Snapshot &snapshot, OwnerKey key);

// blocker → the sessions waiting on it → the sessions waiting on those…
QStringList blockingColumns();
QList<TreeRow> blockingRows(const Snapshot &snapshot);

// pool → its clients and servers, servers with the PostgreSQL backend they are.
QStringList poolColumns();
enum PoolColumn { PoolName, PoolMode, PoolUtilisation, PoolClientsActive, PoolClientsWaiting, PoolMaxWait,
                  PoolServersActive, PoolServersIdle, PoolServersOther };
QList<TreeRow> poolRows(const BouncerSnapshot &snapshot);

} // namespace poolscope::ui
