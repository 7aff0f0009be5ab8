// `poolscope snapshot` and `poolscope watch`: the headless reads.
#include "clicommon.h"
#include "commands.h"
#include "textreport.h"

#include "sampler.h"
#include "sampling.h"
#include "snapshotjson.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QTimer>

#include <atomic>
#include <csignal>
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

void printSnapshot(const ReadSetup &setup, const Snapshot &snapshot, const QList<Finding> &trend, bool jsonLines)
{
    const QList<OwnerSummary> owners = groupOwners(snapshot, setup.ownerKey);
    QList<Finding> extra = ownerShareFindings(owners, snapshot, setup.rules, setup.ownerKey);
    extra.append(trend);
    if (setup.json) {
        const QJsonDocument document(snapshotToJson(snapshot, owners, setup.ownerKey, extra));
        out() << document.toJson(jsonLines ? QJsonDocument::Compact : QJsonDocument::Indented);
        if (jsonLines)
            out() << '\n';
    } else {
        printTextReport(out(), snapshot, owners, setup.ownerKey, extra, setup.report);
    }
    out().flush();
}

std::atomic<bool> g_interrupted{false};
void onInterrupt(int) { g_interrupted = true; }

} // namespace

int runSnapshot(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Print one snapshot of a PostgreSQL server's sessions: each classified as active, waiting, idle, idle in "
        "transaction or aborted, with its leak verdict and reasons, grouped by owner with the stacks that hold them."));
    addReadOptions(parser);
    ReadSetup setup;
    if (auto exit = readSetup(parser, arguments, &setup))
        return *exit;

    PgConnection connection;
    PgError error = connection.open(setup.target, QByteArrayLiteral("poolscope"));
    if (!error.isError())
        error = configureSession(connection, setup.timeout);
    if (error.isError())
        return reportConnectionError(setup.target, error);
    PgReader reader(connection);
    TagMemory tags;
    Snapshot snapshot;
    snapshot.target = setup.target.displayName();
    error = takeSnapshot(connection, reader, tags, setup.rules, setup.timeout, &snapshot);
    connection.close();
    if (error.isError()) {
        err() << "poolscope: reading pg_stat_activity failed: " << error.message << "\n";
        err().flush();
        return error.kind == PgError::Kind::Privilege ? ExitPrivilege : ExitFailure;
    }
    printSnapshot(setup, snapshot, {}, false);
    return ExitOk;
}

int runWatch(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sample a PostgreSQL server continuously over one connection and print each sample: a live view for SSH "
        "sessions (Ctrl-C stops). With --json, one JSON document per line and sample."));
    addReadOptions(parser);
    parser.addOption({QStringLiteral("interval"), QStringLiteral("Time between samples, 0.1s to 60s [1s]."),
                      QStringLiteral("duration"), QStringLiteral("1s")});
    parser.addOption({QStringLiteral("count"), QStringLiteral("Stop after this many samples [until Ctrl-C]."),
                      QStringLiteral("n"), QStringLiteral("0")});
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

    SamplerOptions options;
    options.interval = std::chrono::milliseconds(qint64(*interval * 1000));
    options.queryTimeout = setup.timeout;
    options.rules = setup.rules;
    Sampler sampler(setup.target, options);
    LeakTrend trend(setup.rules.risingSamples);
    const bool clearScreen = !setup.json && isatty(STDOUT_FILENO);
    int samples = 0;
    int exitCode = ExitOk;
    QObject::connect(&sampler, &Sampler::snapshotReady, [&](const SnapshotPtr &snapshot) {
        const QList<Finding> rising = trend.update(groupOwners(*snapshot, OwnerKey::CodeLocation));
        if (clearScreen)
            out() << "\033[H\033[2J";
        printSnapshot(setup, *snapshot, rising, true);
        if (count > 0 && ++samples >= count)
            QCoreApplication::quit();
    });
    QObject::connect(&sampler, &Sampler::statusChanged, [&](const SamplerStatus &status) {
        if (!status.error.isError())
            return;
        err() << "poolscope: " << samplerStateName(status.state) << ": " << status.error.message;
        if (status.retryInMs > 0 || status.attempt > 0)
            err() << " (attempt " << status.attempt << ", next in " << status.retryInMs << " ms)";
        err() << "\n";
        err().flush();
        // A one-shot script gets a clear failure instead of waiting forever for a bad target.
        if (count > 0 && samples == 0 && status.attempt >= 3) {
            exitCode = ExitConnection;
            QCoreApplication::quit();
        }
    });
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    QTimer interruptPoll;
    QObject::connect(&interruptPoll, &QTimer::timeout, [] {
        if (g_interrupted)
            QCoreApplication::quit();
    });
    interruptPoll.start(100);
    sampler.start();
    QCoreApplication::exec();
    sampler.stop(); // closes the connection, cancelling any read in flight
    return exitCode;
}

} // namespace poolscope::cli
