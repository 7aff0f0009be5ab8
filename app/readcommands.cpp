// `poolscope snapshot`: one read of a PostgreSQL server or a PgBouncer console.
#include "commands.h"
#include "readsetup.h"

#include "pgbouncer/bouncerreader.h"
#include "postgres/pgreader.h"
#include "sampling/sampler.h"
#include "output/safetext.h"

#include <QDateTime>

namespace poolscope::cli {

namespace {

std::optional<int> openConnection(PgConnection &connection, const ConnInfo &target)
{
    if (const PgError error = connection.open(target, QByteArrayLiteral("poolscope")); error.isError())
        return reportConnectionError(target, error);
    return std::nullopt;
}

// One PostgreSQL sample over an open connection (closed after), analysed as the window would
// and published to the pipeline's directory, so that a console read next links to it.
std::optional<int> readPostgres(PgConnection &connection, const ReadSetup &setup, const ConnInfo &target,
                                AnalysisPipeline &pipeline, AnalysedSamplePtr *sample)
{
    if (const PgError error = connection.setServerTimeouts(setup.timeout); error.isError())
        return reportConnectionError(target, error);
    PgReader reader(connection);
    const PgError error = sampleOnce(connection, reader, pipeline, setup.timeout, sample);
    connection.close();
    if (error.isError()) {
        err() << "poolscope: reading pg_stat_activity on " << target.displayName() << " failed: " << safeText(error.message)
              << "\n";
        err().flush();
        return error.kind == PgError::Kind::Privilege ? ExitPrivilege : ExitFailure;
    }
    return std::nullopt;
}

// A PgBouncer console read over an open connection (closed after).
std::optional<int> readBouncer(PgConnection &connection, const ReadSetup &setup, const ConnInfo &target,
                               const std::shared_ptr<BouncerSnapshot> &bouncer)
{
    BouncerReader reader;
    bouncer->target = target.displayName();
    const PgError error = reader.read(connection, setup.timeout, bouncer.get());
    connection.close();
    if (error.isError()) {
        err() << "poolscope: reading the PgBouncer console failed: " << error.message << "\n";
        err().flush();
        return ExitFailure;
    }
    return std::nullopt;
}

// Reads a PgBouncer console in front of this server and notes, per backend, the client that
// holds it (the directory holds the PostgreSQL sample just read, which the console links to).
std::optional<int> readVia(const QString &consoleInfo, const ReadSetup &setup,
                           const std::shared_ptr<ServerDirectory> &servers, const AnalysedSample &postgres,
                           ViaPgBouncer *via)
{
    const auto console = targetFrom(consoleInfo);
    if (!console)
        return ExitUsage;
    PgConnection connection;
    auto bouncer = std::make_shared<BouncerSnapshot>();
    if (auto exit = openConnection(connection, *console))
        return exit;
    if (auto exit = readBouncer(connection, setup, *console, bouncer))
        return exit;
    AnalysisPipeline pipeline(console->displayName(), analysisSettings(setup), servers);
    const AnalysedSamplePtr sample = pipeline.analyse(bouncer, QDateTime::currentMSecsSinceEpoch());
    if (sample->server != postgres.postgres)
        return std::nullopt; // a console in front of another server: nothing links
    for (const ClientLink &link : sample->linked.clients) {
        if (link.backend < 0)
            continue;
        const BouncerClient &client = bouncer->clients[link.client];
        const int pid = postgres.postgres->sessions[link.backend].pid;
        via->text.insert(pid, QStringLiteral("%1 %2:%3 (%4)").arg(client.applicationName, client.addr)
                                  .arg(client.port).arg(client.state));
        ViaPgBouncer::Holder holder;
        holder.applicationName = client.applicationName;
        holder.addr = client.addr;
        holder.port = client.port;
        holder.state = client.state;
        holder.id = client.id;
        via->holders.insert(pid, holder);
    }
    // Servers no client holds right now: PgBouncer's own idle connections, kept for reuse.
    QHash<int, const Session *> sessionByPid;
    for (const Session &s : postgres.postgres->sessions)
        sessionByPid.insert(s.pid, &s);
    for (const BouncerServer &server : bouncer->servers) {
        const Session *session = sessionByPid.value(server.remotePid);
        if (!session || via->text.contains(server.remotePid) || session->clientPort != server.localPort)
            continue;
        via->text.insert(server.remotePid, QStringLiteral("pool %1/%2, no client (%3)")
                                               .arg(server.database, server.user, server.state));
        ViaPgBouncer::Holder holder;
        holder.client = false;
        holder.pool = server.database + u'/' + server.user;
        holder.serverState = server.state;
        via->holders.insert(server.remotePid, holder);
    }
    return std::nullopt;
}

int bouncerSnapshot(PgConnection &connection, const ReadSetup &setup, const QCommandLineParser &parser)
{
    auto bouncer = std::make_shared<BouncerSnapshot>();
    if (auto exit = readBouncer(connection, setup, setup.target, bouncer))
        return *exit;
    // With the PostgreSQL server behind it, each client shows the backend it holds.
    auto servers = std::make_shared<ServerDirectory>();
    std::optional<AnalysisPipeline> postgres; // its sample stays in the directory while it lives
    if (parser.isSet(QStringLiteral("postgres"))) {
        const auto pgTarget = targetFrom(parser.value(QStringLiteral("postgres")));
        if (!pgTarget)
            return ExitUsage;
        PgConnection pgConnection;
        if (auto exit = openConnection(pgConnection, *pgTarget))
            return *exit;
        postgres.emplace(pgTarget->displayName(), analysisSettings(setup), servers);
        AnalysedSamplePtr sample;
        if (auto exit = readPostgres(pgConnection, setup, *pgTarget, *postgres, &sample))
            return *exit;
    }
    AnalysisPipeline console(setup.target.displayName(), analysisSettings(setup), servers);
    printBouncer(setup, *console.analyse(bouncer, QDateTime::currentMSecsSinceEpoch()), false);
    return ExitOk;
}

} // namespace

int runSnapshot(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Print one snapshot. Of a PostgreSQL server: its sessions, each classified as active, waiting, idle, idle in "
        "transaction or aborted, with its leak verdict and reasons, grouped by owner with the stacks that hold them. "
        "Of a PgBouncer admin console (found out by itself): its pools, clients and servers, and with --postgres the "
        "PostgreSQL backend each client holds."));
    addReadOptions(parser);
    parser.addOption({QStringLiteral("kind"), QStringLiteral("auto, postgresql or pgbouncer [auto]."),
                      QStringLiteral("kind"), QStringLiteral("auto")});
    parser.addOption({QStringLiteral("postgres"),
                      QStringLiteral("For a PgBouncer target: the PostgreSQL server behind it, to link each client "
                                     "to its backend."),
                      QStringLiteral("conninfo")});
    parser.addOption({QStringLiteral("pgbouncer"),
                      QStringLiteral("For a PostgreSQL target: a PgBouncer console in front of it, to show the client "
                                     "holding each backend."),
                      QStringLiteral("conninfo")});
    ReadSetup setup;
    if (auto exit = readSetup(parser, arguments, &setup))
        return *exit;
    const QString kindName = parser.value(QStringLiteral("kind"));
    if (kindName != QLatin1String("auto") && kindName != QLatin1String("postgresql")
        && kindName != QLatin1String("pgbouncer")) {
        err() << "poolscope: --kind takes auto, postgresql or pgbouncer\n";
        err().flush();
        return ExitUsage;
    }

    PgConnection connection;
    if (auto exit = openConnection(connection, setup.target))
        return *exit;
    TargetKind kind = kindName == QLatin1String("pgbouncer") ? TargetKind::PgBouncer : TargetKind::PostgreSQL;
    if (kindName == QLatin1String("auto")) {
        if (const PgError error = detectTargetKind(connection, setup.timeout, &kind); error.isError())
            return reportConnectionError(setup.target, error);
    }
    if (kind == TargetKind::PgBouncer)
        return bouncerSnapshot(connection, setup, parser);

    auto servers = std::make_shared<ServerDirectory>();
    AnalysisPipeline pipeline(setup.target.displayName(), analysisSettings(setup), servers);
    AnalysedSamplePtr sample;
    if (auto exit = readPostgres(connection, setup, setup.target, pipeline, &sample))
        return *exit;
    ViaPgBouncer via;
    if (parser.isSet(QStringLiteral("pgbouncer"))) {
        if (auto exit = readVia(parser.value(QStringLiteral("pgbouncer")), setup, servers, *sample, &via))
            return *exit;
    }
    printSnapshot(setup, *sample, false, via);
    return ExitOk;
}

} // namespace poolscope::cli
