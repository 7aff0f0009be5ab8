#pragma once

#include "model/bouncersnapshot.h"
#include "analysis/owners.h"
#include "model/snapshot.h"

namespace poolscope {

// The overview's one line: what is wrong, in words, worst first ("billing-api holds 31 of 40
// usable slots idle in transaction, 12 leaked; oldest 4 min"), or that nothing is.
QString healthLine(const Snapshot &snapshot, const QList<OwnerSummary> &owners, OwnerKey key);
// `linked`: findings of the linker when the PostgreSQL server behind is open too (starved
// pools name the leak), said before the console's own.
QString healthLine(const BouncerSnapshot &snapshot, const QList<Finding> &linked = {});

} // namespace poolscope
