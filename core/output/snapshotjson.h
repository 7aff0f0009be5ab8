#pragma once

#include "analysis/analysedsample.h"
#include "output/jsonwriter.h"

#include <functional>

namespace poolscope {

// Writes more fields into a session's object (the PgBouncer client holding it, say).
using SessionJsonExtra = std::function<void(JsonWriter &json, const Session &session)>;

// The JSON document `poolscope snapshot --json` and each line of `watch --json` (documented in
// the README): the target, totals, findings, every session and the owners, of a PostgreSQL sample.
void writeSnapshotJson(JsonWriter &json, const AnalysedSample &sample, const SessionJsonExtra &extra = {});
void writeFindings(JsonWriter &json, const QList<Finding> &findings);
QString severityName(Finding::Severity severity); // "info", "warning", "critical"

QString isoTime(qint64 msSinceEpoch); // empty for 0
// `name` and its time as isoTime() writes it, or null for 0.
void writeTimeOrNull(JsonWriter &json, const char *name, qint64 msSinceEpoch);
// The same text as isoTime() ("2026-11-23T23:58:01.123Z") into `text`, its length returned;
// 0 for a time before 1970-01-01 or after 9999: QDateTime formats those.
int formatIsoTime(qint64 msSinceEpoch, char (&text)[32]);

} // namespace poolscope
