#pragma once

#include "bouncersnapshot.h"
#include "owners.h"
#include "snapshot.h"

namespace poolscope {

// The overview's one line: what is wrong, in words, worst first ("billing-api holds 31 of 40
// usable slots idle in transaction, 12 leaked; oldest 4 min"), or that nothing is.
QString healthLine(const Snapshot &snapshot, const QList<OwnerSummary> &owners, OwnerKey key);
QString healthLine(const BouncerSnapshot &snapshot);

} // namespace poolscope
