// `poolscope snapshot` and `poolscope watch`: the headless reads.
#include "clicommon.h"
#include "commands.h"
#include "textreport.h"

#include "output/bouncerjson.h"
#include "pgbouncer/bouncerreader.h"
#include "bouncerreport.h"
#include "sampling/sampler.h"
#include "sampling/sampling.h"
#include "output/snapshotjson.h"
#include "output/safetext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <unistd.h>

namespace poolscope::cli {

namespace {

struct ReadSetup
{
    ConnInfo target;
    LeakRules rules;
    OwnerKey ownerKey = OwnerKey::Application;
    std::chrono::milliseconds timeout{5000};
    bool json = false;
    TextReportOptions report;
};

void addReadOptions(QCommandLineParser &parser)
{
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CONNINFO"),
                                 QStringLiteral("libpq connection string or URI, e.g. \"host=db1 user=dba dbname=postgres\""));
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON instead of tables.")});
    parser.addOption({QStringLiteral("max-sessions"), QStringLiteral("Rows of the session table [50]."),
                      QStringLiteral("n"), QStringLiteral("50")});
    parser.addOption(timeoutOption());
    addAnalysisOptions(parser);
}

// Parses everything common to both reads; returns an exit code when it must stop.
std::optional<int> readSetup(QCommandLineParser &parser, const QStringList &arguments, ReadSetup *setup)
{
    if (auto exit = parseOrExit(parser, arguments, 1, 1))
        return exit;
    auto target = targetFrom(parser.positionalArguments().constFirst());
    auto rules = rulesFrom(parser);
    auto ownerKey = ownerKeyFrom(parser);
    bool timeoutOk = false;
    setup->timeout = timeoutFrom(parser, &timeoutOk);
    bool rowsOk = false;
    setup->report.maxSessions = parser.value(QStringLiteral("max-sessions")).toInt(&rowsOk);
    if (!rowsOk || setup->report.maxSessions < 0) {
        err() << "poolscope: --max-sessions needs a whole number\n";
        err().flush();
        return ExitUsage;
    }
    if (!target || !rules || !ownerKey || !timeoutOk)
        return ExitUsage;
    setup->target = *target;
    setup->rules = *rules;
    setup->ownerKey = *ownerKey;
    setup->json = parser.isSet(QStringLiteral("json"));
    setup->report.width = terminalWidth();
    return std::nullopt;
}

// The PgBouncer clients holding each backend, from a console linked to this server.
struct ViaPgBouncer
{
    QHash<int, QString> text;     // pid -> "app 10.0.0.5:51234 (active)"
    QHash<int, QJsonObject> json; // pid -> {application_name, addr, port, state, id}
    QList<Finding> findings;
};

void printSnapshot(const ReadSetup &setup, const Snapshot &snapshot, const QList<Finding> &trend, bool jsonLines,
                   const ViaPgBouncer &via = {})
{
    const QList<OwnerSummary> owners = groupOwners(snapshot, setup.ownerKey);
    QList<Finding> extra = ownerShareFindings(owners, snapshot, setup.rules, setup.ownerKey);
    extra.append(via.findings);
    extra.append(trend);
    if (setup.json) {
        QJsonObject root = snapshotToJson(snapshot, owners, setup.ownerKey, extra);
        if (!via.json.isEmpty()) {
            QJsonArray sessions = root.value(QStringLiteral("sessions")).toArray();
            for (QJsonValueRef value : sessions) {
                QJsonObject session = value.toObject();
                const int pid = session.value(QStringLiteral("pid")).toInt();
                if (via.json.contains(pid))
                    session.insert(QStringLiteral("pgbouncer_client"), via.json.value(pid));
                value = session;
            }
            root.insert(QStringLiteral("sessions"), sessions);
        }
        const QJsonDocument document(root);
        out() << terminalSafeJson(document.toJson(jsonLines ? QJsonDocument::Compact : QJsonDocument::Indented));
        if (jsonLines)
            out() << '\n';
    } else {
        TextReportOptions report = setup.report;
        report.via = via.text;
        printTextReport(out(), snapshot, owners, setup.ownerKey, extra, report);
    }
    out().flush();
}

} // namespace

namespace {

// One PostgreSQL snapshot over an open connection, as the command line reads it.
std::optional<int> readPostgres(PgConnection &connection, const ReadSetup &setup, const ConnInfo &target,
                                Snapshot *snapshot)
{
    if (const PgError error = configureSession(connection, setup.timeout); error.isError())
        return reportConnectionError(target, error);
    PgReader reader(connection);
    TagMemory tags;
    snapshot->target = target.displayName();
    const PgError error = takeSnapshot(connection, reader, tags, setup.rules, setup.timeout, snapshot);
    connection.close();
    if (error.isError()) {
        err() << "poolscope: reading pg_stat_activity on " << target.displayName() << " failed: " << safeText(error.message)
              << "\n";
        err().flush();
        return error.kind == PgError::Kind::Privilege ? ExitPrivilege : ExitFailure;
    }
    return std::nullopt;
}

// Reads a PgBouncer console in front of this server and notes, per backend, the client
// that holds it.
std::optional<int> readVia(const QString &consoleInfo, const ReadSetup &setup, const Snapshot &postgres,
                           ViaPgBouncer *via)
{
    const auto console = targetFrom(consoleInfo);
    if (!console)
        return ExitUsage;
    PgConnection connection;
    if (const PgError error = connection.open(*console, QByteArrayLiteral("poolscope")); error.isError())
        return reportConnectionError(*console, error);
    BouncerReader reader;
    BouncerSnapshot bouncer;
    bouncer.target = console->displayName();
    if (const PgError error = reader.read(connection, setup.timeout, &bouncer); error.isError()) {
        err() << "poolscope: reading the PgBouncer console failed: " << safeText(error.message) << "\n";
        err().flush();
        return ExitFailure;
    }
    const LinkedLayers linked = linkLayers(bouncer, &postgres);
    for (const ClientLink &link : linked.clients) {
        if (link.backend < 0)
            continue;
        const BouncerClient &client = bouncer.clients[link.client];
        const int pid = postgres.sessions[link.backend].pid;
        via->text.insert(pid, QStringLiteral("%1 %2:%3 (%4)").arg(client.applicationName, client.addr)
                                  .arg(client.port).arg(client.state));
        via->json.insert(pid, QJsonObject{{QStringLiteral("application_name"), client.applicationName},
                                          {QStringLiteral("addr"), client.addr},
                                          {QStringLiteral("port"), client.port},
                                          {QStringLiteral("state"), client.state},
                                          {QStringLiteral("id"), client.id.isEmpty() ? QJsonValue() : QJsonValue(client.id)}});
    }
    // Servers no client holds right now: PgBouncer's own idle connections, kept for reuse.
    QHash<int, const Session *> sessionByPid;
    for (const Session &s : postgres.sessions)
        sessionByPid.insert(s.pid, &s);
    for (const BouncerServer &server : bouncer.servers) {
        const Session *session = sessionByPid.value(server.remotePid);
        if (!session || via->text.contains(server.remotePid) || session->clientPort != server.localPort)
            continue;
        via->text.insert(server.remotePid, QStringLiteral("pool %1/%2, no client (%3)")
                                               .arg(server.database, server.user, server.state));
        via->json.insert(server.remotePid, QJsonObject{{QStringLiteral("pool"), QString(server.database + u'/' + server.user)},
                                                       {QStringLiteral("server_state"), server.state}});
    }
    via->findings = linked.findings;
    return std::nullopt;
}

int bouncerSnapshot(PgConnection &connection, const ReadSetup &setup, const QCommandLineParser &parser)
{
    BouncerReader reader;
    BouncerSnapshot bouncer;
    bouncer.target = setup.target.displayName();
    const PgError error = reader.read(connection, setup.timeout, &bouncer);
    connection.close();
    if (error.isError()) {
        err() << "poolscope: reading the PgBouncer console failed: " << safeText(error.message) << "\n";
        err().flush();
        return ExitFailure;
    }
    // With the PostgreSQL server behind it, each client shows the backend it holds.
    std::optional<Snapshot> postgres;
    if (parser.isSet(QStringLiteral("postgres"))) {
        const auto pgTarget = targetFrom(parser.value(QStringLiteral("postgres")));
        if (!pgTarget)
            return ExitUsage;
        PgConnection pgConnection;
        if (const PgError pgError = pgConnection.open(*pgTarget, QByteArrayLiteral("poolscope")); pgError.isError())
            return reportConnectionError(*pgTarget, pgError);
        postgres.emplace();
        if (auto exit = readPostgres(pgConnection, setup, *pgTarget, &*postgres))
            return *exit;
    }
    const LinkedLayers linked = linkLayers(bouncer, postgres ? &*postgres : nullptr);
    if (setup.json)
        out() << terminalSafeJson(QJsonDocument(bouncerSnapshotToJson(bouncer, postgres ? &*postgres : nullptr, linked)).toJson());
    else
        printBouncerReport(out(), bouncer, postgres ? &*postgres : nullptr, linked, setup.report.width,
                           setup.report.maxSessions);
    out().flush();
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
    if (const PgError error = connection.open(setup.target, QByteArrayLiteral("poolscope")); error.isError())
        return reportConnectionError(setup.target, error);
    TargetKind kind = kindName == QLatin1String("pgbouncer") ? TargetKind::PgBouncer : TargetKind::PostgreSQL;
    if (kindName == QLatin1String("auto")) {
        if (const PgError error = detectTargetKind(connection, setup.timeout, &kind); error.isError())
            return reportConnectionError(setup.target, error);
    }
    if (kind == TargetKind::PgBouncer)
        return bouncerSnapshot(connection, setup, parser);

    Snapshot snapshot;
    if (auto exit = readPostgres(connection, setup, setup.target, &snapshot))
        return *exit;
    ViaPgBouncer via;
    if (parser.isSet(QStringLiteral("pgbouncer"))) {
        if (auto exit = readVia(parser.value(QStringLiteral("pgbouncer")), setup, snapshot, &via))
            return *exit;
    }
    printSnapshot(setup, snapshot, {}, false, via);
    return ExitOk;
}

int runWatch(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sample a PostgreSQL server or a PgBouncer console continuously over one connection and print each sample: "
        "a live view for SSH sessions (Ctrl-C stops). With --json, one JSON document per line and sample. For a "
        "console, --postgres samples the server behind it too and links each client to its backend."));
    addReadOptions(parser);
    parser.addOption({QStringLiteral("interval"), QStringLiteral("Time between samples, 0.1s to 60s [1s]."),
                      QStringLiteral("duration"), QStringLiteral("1s")});
    parser.addOption({QStringLiteral("count"), QStringLiteral("Stop after this many samples [until Ctrl-C]."),
                      QStringLiteral("n"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("postgres"),
                      QStringLiteral("For a PgBouncer target: the PostgreSQL server behind it, sampled too."),
                      QStringLiteral("conninfo")});
    ReadSetup setup;
    if (auto exit = readSetup(parser, arguments, &setup))
        return *exit;
    const auto interval = parseSeconds(parser.value(QStringLiteral("interval")));
    if (!interval || *interval < 0.1 || *interval > 60) {
        err() << "poolscope: --interval takes a duration from 0.1s to 60s\n";
        err().flush();
        return ExitUsage;
    }
    bool countOk = false;
    const int count = parser.value(QStringLiteral("count")).toInt(&countOk);
    if (!countOk || count < 0) {
        err() << "poolscope: --count needs a whole number\n";
        err().flush();
        return ExitUsage;
    }
    std::optional<ConnInfo> postgresTarget;
    if (parser.isSet(QStringLiteral("postgres"))) {
        postgresTarget = targetFrom(parser.value(QStringLiteral("postgres")));
        if (!postgresTarget)
            return ExitUsage;
    }

    SamplerOptions options;
    options.interval = std::chrono::milliseconds(qint64(*interval * 1000));
    options.queryTimeout = setup.timeout;
    options.rules = setup.rules;
    Sampler sampler(setup.target, options);
    std::unique_ptr<Sampler> postgresSampler;
    SnapshotPtr latestPostgres;
    if (postgresTarget) {
        SamplerOptions postgresOptions = options;
        postgresOptions.kind = TargetKind::PostgreSQL;
        postgresSampler = std::make_unique<Sampler>(*postgresTarget, postgresOptions);
        QObject::connect(postgresSampler.get(), &Sampler::snapshotReady,
                         [&](const SnapshotPtr &snapshot) { latestPostgres = snapshot; });
    }
    LeakTrend trend(setup.rules.risingSamples);
    const bool clearScreen = !setup.json && isatty(STDOUT_FILENO);
    int samples = 0;
    int exitCode = ExitOk;
    const auto counted = [&] {
        if (count > 0 && ++samples >= count)
            QCoreApplication::quit();
    };
    QObject::connect(&sampler, &Sampler::snapshotReady, [&](const SnapshotPtr &snapshot) {
        const QList<Finding> rising = trend.update(groupOwners(*snapshot, OwnerKey::CodeLocation));
        if (clearScreen)
            out() << "\033[H\033[2J";
        printSnapshot(setup, *snapshot, rising, true);
        counted();
    });
    QObject::connect(&sampler, &Sampler::bouncerSnapshotReady, [&](const BouncerSnapshotPtr &bouncer) {
        const Snapshot *postgres = latestPostgres.get();
        const LinkedLayers linked = linkLayers(*bouncer, postgres);
        if (clearScreen)
            out() << "\033[H\033[2J";
        if (setup.json)
            out() << terminalSafeJson(QJsonDocument(bouncerSnapshotToJson(*bouncer, postgres, linked)).toJson(QJsonDocument::Compact))
                  << '\n';
        else
            printBouncerReport(out(), *bouncer, postgres, linked, setup.report.width, setup.report.maxSessions);
        out().flush();
        counted();
    });
    const auto onStatus = [&](const SamplerStatus &status) {
        if (!status.error.isError())
            return;
        err() << "poolscope: " << samplerStateName(status.state) << ": " << safeText(status.error.message);
        if (status.retryInMs > 0 || status.attempt > 0)
            err() << " (attempt " << status.attempt << ", next in " << status.retryInMs << " ms)";
        err() << "\n";
        err().flush();
        // A one-shot script gets a clear failure instead of waiting forever for a bad target.
        if (count > 0 && samples == 0 && status.attempt >= 3) {
            exitCode = ExitConnection;
            QCoreApplication::quit();
        }
    };
    QObject::connect(&sampler, &Sampler::statusChanged, onStatus);
    if (postgresSampler)
        QObject::connect(postgresSampler.get(), &Sampler::statusChanged, onStatus);
    quitOnInterrupt();
    if (postgresSampler)
        postgresSampler->start();
    sampler.start();
    QCoreApplication::exec();
    sampler.stop(); // closes the connections, cancelling any read in flight
    if (postgresSampler)
        postgresSampler->stop();
    return exitCode;
}

} // namespace poolscope::cli
