#pragma once

#include "model/bouncersnapshot.h"
#include "analysis/linker.h"

#include <QTextStream>

namespace poolscope::cli {

// The readable report of `poolscope snapshot` on a PgBouncer console: pools, the findings,
// clients (with their PostgreSQL backend when linked) and servers.
void printBouncerReport(QTextStream &stream, const BouncerSnapshot &bouncer, const Snapshot *postgres,
                        const LinkedLayers &linked, int width, int maxClients);

} // namespace poolscope::cli
