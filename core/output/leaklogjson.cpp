#include "output/leaklogjson.h"

#include "output/snapshotjson.h"

namespace poolscope {

void writeLeakReportJson(JsonWriter &json, const LeakReport &report)
{
    json.beginObject();
    json.field("pool", leakLogPoolName(report.pool));
    json.field("file", report.file);
    json.field("line", report.line);
    json.key("owner");
    json.textOrNull(report.owner);
    writeTimeOrNull(json, "logged_at", report.loggedAtMs);
    writeTimeOrNull(json, "checkout_at", report.checkoutAtMs);
    json.field("checkout_from_text", report.checkoutExact);
    json.field("pool_closed_connection", report.closesConnection);
    json.key("connection");
    json.textOrNull(report.connection);
    json.key("thread");
    json.textOrNull(report.thread);
    json.field("message", report.message);
    json.key("stack");
    json.strings(report.stack);
    json.field("library_frames_dropped", report.framesDropped);
    json.endObject();
}

void writeLeakLogJson(JsonWriter &json, const LeakLogState &state)
{
    json.beginObject();
    json.key("files");
    json.beginArray();
    for (const LeakLogFileStatus &file : state.files) {
        json.beginObject();
        json.field("file", file.spec.file);
        json.key("owner");
        json.textOrNull(file.spec.owner);
        json.key("threshold_ms");
        if (file.spec.thresholdMs > 0)
            json.value(file.spec.thresholdMs);
        else
            json.null();
        json.key("problem");
        json.textOrNull(file.problem);
        json.field("lines_read", file.lines);
        json.field("reports", file.reports);
        json.field("started_at_tail", file.startedLate);
        json.endObject();
    }
    json.endArray();
    json.field("joined", state.joined());
    json.field("unmatched", state.unmatched());
    json.key("reports");
    json.beginArray();
    for (const JoinedLeakReport &joined : state.reports) {
        json.beginObject();
        json.field("join", leakJoinKey(joined.join));
        json.key("pid");
        if (joined.pid > 0)
            json.value(joined.pid);
        else
            json.null();
        json.key("session_state");
        json.textOrNull(joined.sessionState);
        json.field("session_ended", joined.sessionEnded);
        json.field("withdrawn", joined.withdrawn);
        json.key("seconds_from_checkout");
        if (joined.join == LeakJoin::ExactTime || joined.join == LeakJoin::TimeWindow)
            json.value(joined.gapSeconds);
        else
            json.null();
        json.key("report");
        writeLeakReportJson(json, *joined.report);
        json.endObject();
    }
    json.endArray();
    json.endObject();
}

} // namespace poolscope
