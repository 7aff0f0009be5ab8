#pragma once

#include "model/bouncersnapshot.h"
#include "analysis/linker.h"

#include <QJsonObject>

namespace poolscope {

// The JSON document `poolscope snapshot --json` prints for a PgBouncer console. With a
// PostgreSQL snapshot, each client carries its backend's state, leak verdict, tags and stack.
QJsonObject bouncerSnapshotToJson(const BouncerSnapshot &bouncer, const Snapshot *postgres, const LinkedLayers &linked);

} // namespace poolscope
