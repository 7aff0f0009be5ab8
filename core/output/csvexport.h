#pragma once

#include "analysis/owners.h"
#include "recording/recordingreader.h"
#include "model/snapshot.h"

namespace poolscope {

// Tables as CSV (RFC 4180, UTF-8, a header row), for spreadsheets and tickets. Text columns go
// through csvText() (safetext.h): control characters visible, no cell read as a formula.
QString sessionsCsv(const Snapshot &snapshot);
QString ownersCsv(const QList<OwnerSummary> &owners, OwnerKey key);
// One row per sample of a recorded target: the counts its charts draw.
QString countsCsv(const RecordedTarget &target);

} // namespace poolscope
