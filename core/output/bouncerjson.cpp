#include "output/bouncerjson.h"

#include "output/diagnosisjson.h"

#include "output/snapshotjson.h"


namespace poolscope {

namespace {

void writeBackend(JsonWriter &json, const Session &s)
{
    json.beginObject();
    json.field("pid", s.pid);
    json.field("state", s.state);
    json.field("class", sessionClassKey(s.sessionClass));
    json.field("leak", leakVerdictName(s.leak));
    json.key("reasons");
    json.strings(s.reasons);
    json.field("state_seconds", s.stateSeconds);
    json.key("tags");
    json.beginObject();
    for (const Tag &tag : s.tags)
        json.key(QStringView(tag.key)).value(tag.value);
    json.endObject();
    json.key("stack");
    json.strings(s.stack);
    json.field("query", s.query);
    json.endObject();
}

void optionalText(JsonWriter &json, const char *name, const QString &text)
{
    json.key(name);
    if (text.isEmpty())
        json.null();
    else
        json.value(text);
}

} // namespace

void writeBouncerJson(JsonWriter &json, const AnalysedSample &sample)
{
    const BouncerSnapshot &bouncer = *sample.bouncer;
    const Snapshot *postgres = sample.server.get();
    json.beginObject();
    json.key("target");
    json.beginObject();
    json.field("kind", "pgbouncer");
    json.field("name", bouncer.target);
    json.field("version", bouncer.version);
    json.field("pool_mode", bouncer.setting(QStringLiteral("pool_mode")));
    json.field("default_pool_size", bouncer.setting(QStringLiteral("default_pool_size")).toInt());
    json.field("max_client_conn", bouncer.setting(QStringLiteral("max_client_conn")).toInt());
    json.endObject();
    json.field("taken_at", isoTime(bouncer.takenAtMs));
    json.field("clients_read_at", isoTime(bouncer.clientsReadAtMs));
    json.key("linked_postgres");
    if (postgres)
        json.value(postgres->target);
    else
        json.null();
    json.key("missing_commands");
    json.strings(bouncer.missingCommands);
    json.key("findings");
    writeFindings(json, sample.findings);
    if (sample.diagnosis) {
        json.key("diagnosis");
        writeDiagnosisJson(json, *sample.diagnosis);
    }

    json.key("pools");
    json.beginArray();
    for (const BouncerPool &p : bouncer.pools) {
        json.beginObject();
        json.field("database", p.database);
        json.field("user", p.user);
        json.field("pool_mode", p.poolMode);
        json.field("size", p.size);
        json.field("size_source", p.sizeSource);
        json.field("reserve", p.reserve);
        json.field("cl_active", p.clActive);
        json.field("cl_waiting", p.clWaiting);
        if (p.clIdle)
            json.field("cl_idle", *p.clIdle);
        json.field("sv_active", p.svActive);
        json.field("sv_idle", p.svIdle);
        json.field("sv_used", p.svUsed);
        json.field("sv_tested", p.svTested);
        json.field("sv_login", p.svLogin);
        json.field("maxwait_seconds", p.maxWaitSeconds);
        json.field("utilisation", p.utilisation());
        json.endObject();
    }
    json.endArray();

    // Each database as SHOW DATABASES lists it: a paused or disabled one holds its clients back.
    json.key("databases");
    json.beginArray();
    for (const BouncerDatabase &d : bouncer.databases) {
        json.beginObject();
        json.field("name", d.name);
        json.field("host", d.host);
        json.field("port", d.port);
        json.field("database", d.database);
        json.field("pool_size", d.poolSize);
        json.field("reserve_pool", d.reservePool);
        json.field("pool_mode", d.poolMode);
        json.field("max_connections", d.maxConnections);
        json.field("current_connections", d.currentConnections);
        json.field("paused", d.paused);
        json.field("disabled", d.disabled);
        json.endObject();
    }
    json.endArray();

    // Each client, with the backend it holds when the server behind is sampled too.
    json.key("clients");
    json.beginArray();
    for (const ClientLink &link : sample.linked.clients) {
        const BouncerClient &client = bouncer.clients[link.client];
        json.beginObject();
        optionalText(json, "id", client.id);
        json.field("user", client.user);
        json.field("database", client.database);
        json.field("state", client.state);
        json.field("addr", client.addr);
        json.field("port", client.port);
        json.field("application_name", client.applicationName);
        json.field("wait_seconds", client.waitSeconds);
        json.key("server_remote_pid");
        if (link.server >= 0)
            json.value(bouncer.servers[link.server].remotePid);
        else
            json.null();
        json.field("leak", leakVerdictName(link.leak));
        json.key("reasons");
        json.strings(link.reasons);
        if (link.backend >= 0 && postgres) {
            json.key("backend");
            writeBackend(json, postgres->sessions[link.backend]);
        }
        json.endObject();
    }
    json.endArray();

    json.key("servers");
    json.beginArray();
    for (const BouncerServer &s : bouncer.servers) {
        json.beginObject();
        optionalText(json, "id", s.id);
        json.field("user", s.user);
        json.field("database", s.database);
        json.field("state", s.state);
        json.field("remote_pid", s.remotePid);
        json.field("local_port", s.localPort);
        json.field("application_name", s.applicationName);
        json.endObject();
    }
    json.endArray();

    json.key("stats");
    json.beginArray();
    for (const BouncerStats &s : bouncer.stats) {
        json.beginObject();
        json.field("database", s.database);
        json.field("total_xact_count", s.totalXacts);
        json.field("total_query_count", s.totalQueries);
        json.field("xacts_per_second", s.xactsPerSecond);
        json.field("queries_per_second", s.queriesPerSecond);
        json.field("wait_ms_per_second", s.waitMsPerSecond);
        json.endObject();
    }
    json.endArray();
    json.endObject();
}

} // namespace poolscope
