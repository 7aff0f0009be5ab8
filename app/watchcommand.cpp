// `poolscope watch`: a live view for SSH sessions and a JSON stream for scripts.
#include "commands.h"
#include "readsetup.h"

#include "sampling/sampler.h"
#include "output/safetext.h"

#include <QCoreApplication>

#include <unistd.h>

namespace poolscope::cli {

int runWatch(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sample a PostgreSQL server or a PgBouncer console continuously over one connection and print each sample: "
        "a live view for SSH sessions (Ctrl-C stops). With --json, one JSON document per line and sample. For a "
        "console, --postgres samples the server behind it too and links each client to its backend."));
    addReadOptions(parser);
    parser.addOption(serverBudgetOption());
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

    const std::optional<double> budget = serverBudgetFrom(parser);
    if (!budget)
        return ExitUsage;

    SamplerOptions options;
    options.interval = std::chrono::milliseconds(qint64(*interval * 1000));
    options.queryTimeout = setup.timeout;
    options.rules = setup.rules;
    options.ownerKey = setup.ownerKey;
    options.serverBudgetPercent = *budget;
    options.servers = std::make_shared<ServerDirectory>(); // the console links to the server sampled beside it
    Sampler sampler(setup.target, options);
    std::unique_ptr<Sampler> postgresSampler;
    if (postgresTarget) {
        SamplerOptions postgresOptions = options;
        postgresOptions.kind = TargetKind::PostgreSQL;
        postgresSampler = std::make_unique<Sampler>(*postgresTarget, postgresOptions);
    }
    const bool clearScreen = !setup.json && isatty(STDOUT_FILENO);
    int samples = 0;
    int exitCode = ExitOk;
    QObject::connect(&sampler, &Sampler::sampled, [&](const AnalysedSamplePtr &sample) {
        if (clearScreen)
            out() << "\033[H\033[2J";
        if (sample->postgres)
            printSnapshot(setup, *sample, true);
        else
            printBouncer(setup, *sample, true);
        if (count > 0 && ++samples >= count)
            QCoreApplication::quit();
    });
    QString stretchShown;
    const auto onStatus = [&](const SamplerStatus &status) {
        // Stretching the interval is said once, when it starts or its reason changes.
        const QString stretch = status.state == SamplerStatus::State::Connected ? status.stretchReason() : QString();
        if (stretch != stretchShown && !stretch.isEmpty()) {
            err() << "poolscope: " << stretch << " (--server-budget 0 keeps the interval asked for)\n";
            err().flush();
        }
        if (status.state == SamplerStatus::State::Connected)
            stretchShown = stretch;
        if (!status.error.isError())
            return;
        err() << "poolscope: " << samplerStateName(status.state) << ": " << safeText(status.error.message);
        if (status.retryInMs > 0 || status.attempt > 0)
            err() << " (attempt " << status.attempt << ", next in " << status.retryInMs << " ms)";
        err() << "\n";
        err().flush();
        if (status.error.kind == PgError::Kind::Options) { // libpq refused the conninfo itself: no retry helps
            exitCode = ExitUsage;
            QCoreApplication::quit();
        }
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
    // The sampling threads close their connections on their own; main() waits for them briefly.
    sampler.stop();
    if (postgresSampler)
        postgresSampler->stop();
    return exitCode;
}

} // namespace poolscope::cli
