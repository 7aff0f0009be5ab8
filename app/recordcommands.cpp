#include "clicommon.h"
#include "commands.h"

#include "actions/actions.h"
#include "actions/auditreader.h"
#include "recording/incidentreport.h"
#include "recording/recordingwriter.h"
#include "recording/recordingreader.h"
#include "sampling/sampler.h"
#include "output/safetext.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QTimer>

#include <memory>
#include <vector>

namespace poolscope::cli {

namespace {

QString megabytes(qint64 bytes) { return QString::number(bytes / 1e6, 'f', bytes < 10e6 ? 2 : 1) + QStringLiteral(" MB"); }

} // namespace

int runRecord(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Record the samples of one or more targets (PostgreSQL servers or PgBouncer consoles) to one file on one "
        "time axis, headless, until --duration ends or Ctrl-C. Open the file in the window to replay it, or write "
        "its incident timeline with 'poolscope report'. Alerts, and the actions any PoolScope logs to the audit log "
        "for these targets meanwhile, are recorded too."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CONNINFO…"), QStringLiteral("libpq connection strings or URIs"));
    parser.addOption({{QStringLiteral("o"), QStringLiteral("output")}, QStringLiteral("The recording file to create."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("duration"), QStringLiteral("Stop after this long, e.g. 30m or 24h [until Ctrl-C]."),
                      QStringLiteral("duration")});
    parser.addOption({QStringLiteral("interval"), QStringLiteral("Time between samples, 0.1s to 60s [1s]."),
                      QStringLiteral("duration"), QStringLiteral("1s")});
    parser.addOption({QStringLiteral("overwrite"), QStringLiteral("Replace the output file if it exists.")});
    parser.addOption({QStringLiteral("audit-log"), QStringLiteral("The audit log to follow for actions [the default one]."),
                      QStringLiteral("file")});
    parser.addOption(timeoutOption());
    parser.addOption(serverBudgetOption());
    addAnalysisOptions(parser);
    if (auto exit = parseOrExit(parser, arguments, 1, 64))
        return *exit;
    const QString output = parser.value(QStringLiteral("output"));
    if (output.isEmpty()) {
        err() << "poolscope: record needs -o FILE\n";
        return ExitUsage;
    }
    const auto interval = parseSeconds(parser.value(QStringLiteral("interval")));
    if (!interval || *interval < 0.1 || *interval > 60) {
        err() << "poolscope: --interval takes a duration from 0.1s to 60s\n";
        return ExitUsage;
    }
    std::optional<double> duration;
    if (parser.isSet(QStringLiteral("duration"))) {
        duration = parseSeconds(parser.value(QStringLiteral("duration")));
        if (!duration || *duration <= 0) {
            err() << "poolscope: --duration takes a duration such as 90s, 30m or 24h\n";
            return ExitUsage;
        }
    }
    bool timeoutOk = false;
    const std::chrono::milliseconds timeout = timeoutFrom(parser, &timeoutOk);
    const std::optional<LeakRules> rules = rulesFrom(parser);
    const std::optional<QList<LeakLogSpec>> leakLogs = leakLogsFrom(parser);
    if (!timeoutOk || !rules || !leakLogs)
        return ExitUsage;
    QList<ConnInfo> targets;
    for (const QString &text : parser.positionalArguments()) {
        const std::optional<ConnInfo> target = targetFrom(text);
        if (!target)
            return ExitUsage;
        targets.append(*target);
    }

    const std::optional<double> budget = serverBudgetFrom(parser);
    if (!budget)
        return ExitUsage;

    // The file is written on a thread of its own: compression and fsync never delay a sample.
    RecorderOptions recorderOptions;
    recorderOptions.rules = *rules;
    RecordingWriter writer(recorderOptions);
    int exitCode = ExitOk;
    bool opened = false;
    QObject::connect(&writer, &RecordingWriter::opened, [&] { opened = true; });
    QObject::connect(&writer, &RecordingWriter::failed, [&](const QString &message) {
        err() << "poolscope: " << safeText(message) << "\n";
        err().flush();
        exitCode = ExitFailure;
        QCoreApplication::quit();
    });
    // Actions anyone takes on these targets meanwhile, from the window or the command line.
    writer.followAuditLog(parser.isSet(QStringLiteral("audit-log")) ? parser.value(QStringLiteral("audit-log"))
                                                                     : AuditLog::defaultPath(),
                          targets);
    writer.open(output, parser.isSet(QStringLiteral("overwrite")));
    {
        // Whether the file could be created, before anything is sampled.
        QEventLoop wait;
        QObject::connect(&writer, &RecordingWriter::opened, &wait, &QEventLoop::quit);
        QObject::connect(&writer, &RecordingWriter::failed, &wait, &QEventLoop::quit);
        wait.exec();
        if (!opened)
            return ExitFailure;
    }

    SamplerOptions options;
    options.interval = std::chrono::milliseconds(qint64(*interval * 1000));
    options.queryTimeout = timeout;
    options.rules = *rules;
    options.leakLogs = *leakLogs;
    options.serverBudgetPercent = *budget;
    options.servers = std::make_shared<ServerDirectory>(); // consoles link to the servers recorded beside them
    std::vector<std::unique_ptr<Sampler>> samplers;
    for (const ConnInfo &target : std::as_const(targets)) {
        samplers.push_back(std::make_unique<Sampler>(target, options));
        Sampler *sampler = samplers.back().get();
        const quintptr key = quintptr(sampler);
        QObject::connect(sampler, &Sampler::sampled, &writer,
                         [&writer, key](const AnalysedSamplePtr &sample) { writer.append(key, sample); });
        QObject::connect(sampler, &Sampler::statusChanged, &writer, [&writer, key, target](const SamplerStatus &status) {
            if (status.state == SamplerStatus::State::Connected && status.stretched()) {
                err() << "poolscope: " << target.displayName() << ": " << status.stretchReason() << "\n";
                err().flush();
            }
            if (!status.error.isError())
                return;
            err() << "poolscope: " << target.displayName() << ": " << samplerStateName(status.state) << ": "
                  << safeText(status.error.message) << "\n";
            err().flush();
            writer.appendGap(key, QDateTime::currentMSecsSinceEpoch(), status.error.message);
        });
    }

    QElapsedTimer elapsed;
    elapsed.start();
    QTimer progress;
    QObject::connect(&progress, &QTimer::timeout, [&] {
        err() << "poolscope: " << writer.samplesWritten() << " samples, " << megabytes(writer.bytesWritten()) << " so far\n";
        err().flush();
    });
    progress.start(60'000);
    QTimer end;
    if (duration) {
        end.setSingleShot(true);
        QObject::connect(&end, &QTimer::timeout, [] { QCoreApplication::quit(); });
        end.start(std::chrono::milliseconds(qint64(*duration * 1000)));
    }
    quitOnInterrupt();
    QStringList names;
    for (const ConnInfo &target : std::as_const(targets))
        names.append(target.displayName());
    err() << "poolscope: recording " << names.join(QStringLiteral(", ")) << " to " << output
          << (duration ? QStringLiteral(" for %1").arg(formatDuration(*duration)) : QStringLiteral(" (Ctrl-C stops)"))
          << "\n";
    err().flush();
    for (const auto &sampler : samplers)
        sampler->start();
    QCoreApplication::exec();
    for (const auto &sampler : samplers)
        sampler->stop(); // their threads close the connections on their own
    // The end of the file: what is queued is written, then the End record and an fsync.
    qint64 samples = 0, bytes = 0;
    {
        QEventLoop wait;
        QObject::connect(&writer, &RecordingWriter::closed, &wait, [&](qint64 s, qint64 b) {
            samples = s;
            bytes = b;
            wait.quit();
        });
        QObject::connect(&writer, &RecordingWriter::failed, &wait, &QEventLoop::quit);
        writer.close();
        if (writer.isOpen() || exitCode == ExitOk)
            wait.exec();
    }
    err() << "poolscope: " << samples << " samples, " << megabytes(bytes) << " in " << output << "\n";
    if (samples == 0 && exitCode == ExitOk) {
        err() << "poolscope: no target could be sampled; the file holds no samples\n";
        exitCode = ExitConnection;
    }
    return exitCode;
}

int runReport(const QStringList &arguments, const std::function<QString(const Recording &, const QString &)> &drawChart)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write the incident timeline of a recording in Markdown: the baseline and the first deviation from it, "
        "alerts, the owners and stacks at the peak, the actions taken and their results, and the recovery, each "
        "with its time. The timeline section of a postmortem, generated."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("A recording made by 'poolscope record' or the window."));
    parser.addOption({{QStringLiteral("o"), QStringLiteral("output")},
                      QStringLiteral("Write the Markdown here [standard output]."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("chart"),
                      QStringLiteral("Also draw the connections chart to this PNG and link it [FILE.png beside the "
                                     "report when -o is given]."),
                      QStringLiteral("png")});
    parser.addOption({QStringLiteral("no-chart"), QStringLiteral("Draw no chart.")});
    parser.addOption({QStringLiteral("owner"),
                      QStringLiteral("Group owners by application, user, client, database or code [application]."),
                      QStringLiteral("key"), QStringLiteral("application")});
    if (auto exit = parseOrExit(parser, arguments, 1, 1))
        return *exit;
    const std::optional<OwnerKey> key = ownerKeyFromName(parser.value(QStringLiteral("owner")));
    if (!key) {
        err() << "poolscope: --owner takes application, user, client, database or code\n";
        return ExitUsage;
    }
    QString error;
    std::unique_ptr<Recording> recording = Recording::open(parser.positionalArguments().constFirst(), &error);
    if (!recording) {
        err() << "poolscope: " << safeText(error) << "\n";
        return ExitFailure;
    }
    for (const QString &problem : recording->problems())
        err() << "poolscope: damaged part skipped: " << safeText(problem) << "\n";
    const QString output = parser.value(QStringLiteral("output"));
    TimelineOptions options;
    options.ownerKey = *key;
    const bool sampled = std::any_of(recording->targets().cbegin(), recording->targets().cend(),
                                     [](const RecordedTarget &t) { return !t.samples.isEmpty(); });
    QString chart = parser.value(QStringLiteral("chart"));
    if (chart.isEmpty() && !output.isEmpty() && !parser.isSet(QStringLiteral("no-chart")))
        chart = QFileInfo(output).path() + u'/' + QFileInfo(output).completeBaseName() + QStringLiteral(".png");
    if (!chart.isEmpty() && !parser.isSet(QStringLiteral("no-chart"))) {
        const QString chartError = drawChart(*recording, chart);
        if (chartError.isEmpty()) {
            options.chartImage = output.isEmpty() ? chart : QFileInfo(output).absoluteDir().relativeFilePath(QFileInfo(chart).absoluteFilePath());
        } else if (sampled) {
            // A report that links a picture that is not there is not what was asked for.
            err() << "poolscope: cannot draw the chart " << chart << ": " << safeText(chartError)
                  << " (--no-chart writes the report without it)\n";
            return ExitFailure;
        } else {
            err() << "poolscope: no chart: " << safeText(chartError) << "\n";
        }
    }
    const QString markdown = incidentTimeline(*recording, options);
    if (!sampled)
        err() << "poolscope: the recording holds no samples\n";
    if (output.isEmpty()) {
        out() << markdown;
        out().flush();
        return sampled ? ExitOk : ExitFailure;
    }
    QFile file(output);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(markdown.toUtf8()) < 0) {
        err() << "poolscope: cannot write " << output << ": " << file.errorString() << "\n";
        return ExitFailure;
    }
    if (!sampled)
        return ExitFailure;
    err() << "poolscope: timeline written to " << output
          << (options.chartImage.isEmpty() ? QString() : QStringLiteral(" with its chart %1").arg(chart)) << "\n";
    return ExitOk;
}

} // namespace poolscope::cli
