#pragma once

#include "analysis/classifier.h"
#include "analysis/owners.h"
#include "postgres/pgconnection.h"
#include "postgres/pgreader.h"

namespace poolscope {

// Sets the server-side statement_timeout of a sampling or action session, so that even a
// query our client gave up on ends on the server by itself.
PgError configureSession(PgConnection &connection, std::chrono::milliseconds statementTimeout);

// One complete sample: read, remember tags, classify. Shared by the threaded sampler and
// the one-shot command line.
PgError takeSnapshot(PgConnection &connection, PgReader &reader, TagMemory &tags, const LeakRules &rules,
                     std::chrono::milliseconds timeout, Snapshot *snapshot);

// The wait before reconnect attempt `attempt` (1-based): 0, 0.25, 0.5, 1, 2, 4, 8, 10, 10 s…
// with ±20 % jitter after the first, so a fleet of inspectors does not reconnect in step.
std::chrono::milliseconds reconnectDelay(int attempt, double jitter01);

} // namespace poolscope
