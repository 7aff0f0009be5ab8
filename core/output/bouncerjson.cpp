#include "output/bouncerjson.h"

#include "output/snapshotjson.h"

#include <QJsonArray>

namespace poolscope {

namespace {

QJsonValue optionalText(const QString &text) { return text.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(text); }

QJsonObject backendJson(const Session &s)
{
    QJsonObject tags;
    for (const Tag &tag : s.tags)
        tags.insert(tag.key, tag.value);
    return QJsonObject{{QStringLiteral("pid"), s.pid},
                       {QStringLiteral("state"), s.state},
                       {QStringLiteral("class"), sessionClassKey(s.sessionClass)},
                       {QStringLiteral("leak"), leakVerdictName(s.leak)},
                       {QStringLiteral("reasons"), QJsonArray::fromStringList(s.reasons)},
                       {QStringLiteral("state_seconds"), s.stateSeconds},
                       {QStringLiteral("tags"), tags},
                       {QStringLiteral("stack"), QJsonArray::fromStringList(s.stack)},
                       {QStringLiteral("query"), s.query}};
}

} // namespace

QJsonObject bouncerSnapshotToJson(const BouncerSnapshot &bouncer, const Snapshot *postgres, const LinkedLayers &linked)
{
    QJsonArray pools;
    for (const BouncerPool &p : bouncer.pools) {
        QJsonObject pool{{QStringLiteral("database"), p.database},
                         {QStringLiteral("user"), p.user},
                         {QStringLiteral("pool_mode"), p.poolMode},
                         {QStringLiteral("size"), p.size},
                         {QStringLiteral("size_source"), p.sizeSource},
                         {QStringLiteral("reserve"), p.reserve},
                         {QStringLiteral("cl_active"), p.clActive},
                         {QStringLiteral("cl_waiting"), p.clWaiting},
                         {QStringLiteral("sv_active"), p.svActive},
                         {QStringLiteral("sv_idle"), p.svIdle},
                         {QStringLiteral("sv_used"), p.svUsed},
                         {QStringLiteral("sv_tested"), p.svTested},
                         {QStringLiteral("sv_login"), p.svLogin},
                         {QStringLiteral("maxwait_seconds"), p.maxWaitSeconds},
                         {QStringLiteral("utilisation"), p.utilisation()}};
        if (p.clIdle)
            pool.insert(QStringLiteral("cl_idle"), *p.clIdle);
        pools.append(pool);
    }
    QJsonArray clients;
    for (const ClientLink &link : linked.clients) {
        const BouncerClient &c = bouncer.clients[link.client];
        QJsonObject client{{QStringLiteral("id"), optionalText(c.id)},
                           {QStringLiteral("user"), c.user},
                           {QStringLiteral("database"), c.database},
                           {QStringLiteral("state"), c.state},
                           {QStringLiteral("addr"), c.addr},
                           {QStringLiteral("port"), c.port},
                           {QStringLiteral("application_name"), c.applicationName},
                           {QStringLiteral("wait_seconds"), c.waitSeconds},
                           {QStringLiteral("server_remote_pid"),
                            link.server >= 0 ? QJsonValue(bouncer.servers[link.server].remotePid) : QJsonValue()},
                           {QStringLiteral("leak"), leakVerdictName(link.leak)},
                           {QStringLiteral("reasons"), QJsonArray::fromStringList(link.reasons)}};
        if (link.backend >= 0 && postgres)
            client.insert(QStringLiteral("backend"), backendJson(postgres->sessions[link.backend]));
        clients.append(client);
    }
    QJsonArray servers;
    for (const BouncerServer &s : bouncer.servers)
        servers.append(QJsonObject{{QStringLiteral("id"), optionalText(s.id)},
                                   {QStringLiteral("user"), s.user},
                                   {QStringLiteral("database"), s.database},
                                   {QStringLiteral("state"), s.state},
                                   {QStringLiteral("remote_pid"), s.remotePid},
                                   {QStringLiteral("local_port"), s.localPort},
                                   {QStringLiteral("application_name"), s.applicationName}});
    QJsonArray stats;
    for (const BouncerStats &s : bouncer.stats)
        stats.append(QJsonObject{{QStringLiteral("database"), s.database},
                                 {QStringLiteral("total_xact_count"), s.totalXacts},
                                 {QStringLiteral("total_query_count"), s.totalQueries},
                                 {QStringLiteral("xacts_per_second"), s.xactsPerSecond},
                                 {QStringLiteral("queries_per_second"), s.queriesPerSecond},
                                 {QStringLiteral("wait_ms_per_second"), s.waitMsPerSecond}});
    QJsonArray findings;
    for (const Finding &f : linked.findings)
        findings.append(QJsonObject{{QStringLiteral("code"), f.code}, {QStringLiteral("message"), f.message}});
    return QJsonObject{
        {QStringLiteral("target"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("pgbouncer")},
                                               {QStringLiteral("name"), bouncer.target},
                                               {QStringLiteral("version"), bouncer.version},
                                               {QStringLiteral("pool_mode"), bouncer.setting(QStringLiteral("pool_mode"))},
                                               {QStringLiteral("default_pool_size"),
                                                bouncer.setting(QStringLiteral("default_pool_size")).toInt()},
                                               {QStringLiteral("max_client_conn"),
                                                bouncer.setting(QStringLiteral("max_client_conn")).toInt()}}},
        {QStringLiteral("taken_at"), isoTime(bouncer.takenAtMs)},
        {QStringLiteral("clients_read_at"), isoTime(bouncer.clientsReadAtMs)},
        {QStringLiteral("linked_postgres"), postgres ? QJsonValue(postgres->target) : QJsonValue()},
        {QStringLiteral("missing_commands"), QJsonArray::fromStringList(bouncer.missingCommands)},
        {QStringLiteral("findings"), findings},
        {QStringLiteral("pools"), pools},
        {QStringLiteral("clients"), clients},
        {QStringLiteral("servers"), servers},
        {QStringLiteral("stats"), stats},
    };
}

} // namespace poolscope
