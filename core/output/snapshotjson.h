#pragma once

#include "analysis/owners.h"
#include "model/snapshot.h"

#include <QJsonObject>

namespace poolscope {

// The JSON document `poolscope snapshot --json` prints (documented in the README).
QJsonObject snapshotToJson(const Snapshot &snapshot, const QList<OwnerSummary> &owners, OwnerKey ownerKey,
                           const QList<Finding> &extraFindings = {});

QString isoTime(qint64 msSinceEpoch); // empty for 0

} // namespace poolscope
