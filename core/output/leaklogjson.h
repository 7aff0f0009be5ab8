#pragma once

#include "leaklog/leaklogbook.h"
#include "output/jsonwriter.h"

namespace poolscope {

// A leak report as JSON (documented in the README): the pool, the log and line, the times,
// the connection and thread, and the checkout's frames.
void writeLeakReportJson(JsonWriter &json, const LeakReport &report);
// "leak_logs" of a snapshot document: the files read and every report with the session it
// joined (or none).
void writeLeakLogJson(JsonWriter &json, const LeakLogState &state);

} // namespace poolscope
