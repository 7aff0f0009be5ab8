#include "output/diagnosisjson.h"

#include "output/snapshotjson.h"

namespace poolscope {

namespace {

const char *remedyName(Remedy::Kind kind)
{
    switch (kind) {
    case Remedy::Kind::None: return "none";
    case Remedy::Kind::Terminate: return "terminate";
    case Remedy::Kind::Cancel: return "cancel";
    }
    return "none";
}

} // namespace

void writeDiagnosisJson(JsonWriter &json, const Diagnosis &diagnosis)
{
    json.beginObject();
    json.field("at", isoTime(diagnosis.timeMs));
    json.key("connects_per_second");
    if (diagnosis.connectsPerSecond >= 0)
        json.value(diagnosis.connectsPerSecond);
    else
        json.null();
    json.field("ignored_sessions", diagnosis.ignoredSessions);
    json.key("ignored");
    json.strings(diagnosis.ignoredBecause);
    json.key("causes");
    json.beginArray();
    for (const Cause &cause : diagnosis.causes) {
        json.beginObject();
        json.field("cause", causeKey(cause.kind));
        json.field("title", causeTitle(cause.kind));
        json.field("severity", severityName(cause.severity));
        json.field("summary", cause.summary);
        json.key("owner");
        json.textOrNull(cause.owner.isEmpty() ? QString() : cause.owner);
        json.key("code_location");
        json.textOrNull(cause.codeLocation.isEmpty() ? QString() : cause.codeLocation);
        json.key("stack");
        json.strings(cause.stack);
        json.key("evidence");
        json.beginArray();
        for (const Evidence &evidence : cause.evidence) {
            json.beginObject();
            json.field("at", isoTime(evidence.atMs));
            json.field("text", evidence.text);
            json.endObject();
        }
        json.endArray();
        json.field("next_step", cause.nextStep);
        json.key("remedy");
        json.beginObject();
        json.field("action", remedyName(cause.remedy.kind));
        json.key("pids");
        json.beginArray();
        for (int pid : cause.remedy.pids)
            json.value(pid);
        json.endArray();
        json.field("label", cause.remedy.label);
        json.endObject();
        json.endObject();
    }
    json.endArray();
    json.endObject();
}

} // namespace poolscope
