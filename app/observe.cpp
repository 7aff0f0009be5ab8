#include "observe.h"

#include "output/safetext.h"
#include "sampling/sampler.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <unistd.h>

namespace poolscope::cli {

void addObservationOptions(QCommandLineParser &parser, const char *defaultDuration)
{
    parser.addOption({QStringLiteral("for"),
                      QStringLiteral("How long to watch before answering: growth, rates and pinned counts need a past "
                                     "[%1]. Ctrl-C answers at once with what it has.")
                          .arg(QLatin1String(defaultDuration)),
                      QStringLiteral("duration"), QString::fromLatin1(defaultDuration)});
    parser.addOption({QStringLiteral("interval"), QStringLiteral("Time between samples, 0.1s to 60s [1s]."),
                      QStringLiteral("duration"), QStringLiteral("1s")});
}

std::optional<Observation> observationFrom(const QCommandLineParser &parser)
{
    const auto duration = parseSeconds(parser.value(QStringLiteral("for")));
    const auto interval = parseSeconds(parser.value(QStringLiteral("interval")));
    if (!duration || *duration < 0 || *duration > 24 * 3600) {
        err() << "poolscope: --for takes a duration from 0s to 24h\n";
        err().flush();
        return std::nullopt;
    }
    if (!interval || *interval < 0.1 || *interval > 60) {
        err() << "poolscope: --interval takes a duration from 0.1s to 60s\n";
        err().flush();
        return std::nullopt;
    }
    return Observation{std::chrono::milliseconds(qint64(*duration * 1000)),
                       std::chrono::milliseconds(qint64(*interval * 1000))};
}

std::optional<int> observe(const ReadSetup &setup, const QList<ConnInfo> &targets, const Observation &observation,
                           QList<AnalysedSamplePtr> *last)
{
    SamplerOptions options;
    options.interval = observation.interval;
    options.queryTimeout = setup.timeout;
    options.rules = setup.rules;
    options.ownerKey = setup.ownerKey;
    options.servers = std::make_shared<ServerDirectory>(); // a console links to a server beside it
    last->clear();
    std::vector<std::unique_ptr<Sampler>> samplers;
    QList<int> samplesOf;
    QList<QString> failureOf;
    int exitCode = -1;
    for (int i = 0; i < targets.size(); ++i) {
        last->append(nullptr);
        samplesOf.append(0);
        failureOf.append(QString());
        auto sampler = std::make_unique<Sampler>(targets[i], options);
        QObject::connect(sampler.get(), &Sampler::sampled, [&, i](const AnalysedSamplePtr &sample) {
            (*last)[i] = sample;
            ++samplesOf[i];
        });
        QObject::connect(sampler.get(), &Sampler::statusChanged, [&, i](const SamplerStatus &status) {
            if (!status.error.isError())
                return;
            if (failureOf[i] != status.error.message) { // each failure said once, not at every retry
                failureOf[i] = status.error.message;
                err() << "\rpoolscope: " << targets[i].displayName() << ": " << samplerStateName(status.state) << ": "
                      << safeText(status.error.message) << "\n";
                err().flush();
            }
            if (status.error.kind == PgError::Kind::Options) { // libpq refused the conninfo: no retry helps
                exitCode = ExitUsage;
                QCoreApplication::quit();
            }
            // Nothing to watch when no target ever answered after three attempts: said at once,
            // instead of after the whole duration.
            if (status.attempt >= 3 && std::all_of(samplesOf.cbegin(), samplesOf.cend(), [](int n) { return n == 0; })
                && std::none_of(failureOf.cbegin(), failureOf.cend(), [](const QString &f) { return f.isEmpty(); }))
                QCoreApplication::quit();
        });
        samplers.push_back(std::move(sampler));
    }

    // A terminal is told how far the watch has come; a script's stderr stays quiet.
    const bool progress = isatty(STDERR_FILENO);
    QElapsedTimer elapsed;
    elapsed.start();
    QTimer tick;
    const qint64 totalMs = observation.duration.count();
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 ms = elapsed.elapsed();
        // Two samples at least, so that a rate or a growth has something to compare with.
        const bool enough = std::all_of(samplesOf.cbegin(), samplesOf.cend(), [&](int n) {
            return n >= (totalMs > 0 ? 2 : 1);
        });
        if (ms >= totalMs && (enough || ms >= totalMs + 3 * setup.timeout.count())) {
            QCoreApplication::quit();
            return;
        }
        if (progress) {
            int samples = 0;
            for (int n : std::as_const(samplesOf))
                samples += n;
            err() << "\rwatching " << qMin(ms, totalMs) / 1000 << " of " << totalMs / 1000 << " s, " << samples
                  << (samples == 1 ? " sample " : " samples ");
            err().flush();
        }
    });
    tick.start(200);
    quitOnInterrupt();
    for (auto &sampler : samplers)
        sampler->start();
    QCoreApplication::exec();
    for (auto &sampler : samplers)
        sampler->stop();
    if (progress) {
        err() << "\r\033[K";
        err().flush();
    }
    if (exitCode >= 0)
        return exitCode;
    if (std::none_of(last->cbegin(), last->cend(), [](const AnalysedSamplePtr &s) { return bool(s); })) {
        err() << "poolscope: no target could be sampled\n";
        err().flush();
        return ExitConnection;
    }
    return std::nullopt;
}

std::optional<int> parseAndObserve(QCommandLineParser &parser, const QStringList &arguments, const char *defaultDuration,
                                   ReadSetup *setup, Observation *observation, QList<AnalysedSamplePtr> *last)
{
    addReadOptions(parser);
    parser.addPositionalArgument(QStringLiteral("[CONNINFO…]"), QStringLiteral("More targets."));
    addObservationOptions(parser, defaultDuration);
    if (auto exit = readSetup(parser, arguments, setup, -1))
        return exit;
    const std::optional<Observation> parsed = observationFrom(parser);
    if (!parsed)
        return ExitUsage;
    *observation = *parsed;
    return observe(*setup, setup->targets, *observation, last);
}

int printObserved(const ReadSetup &setup, const QList<AnalysedSamplePtr> &last, const QString &title,
                  const std::function<void(JsonWriter &, const AnalysedSample *)> &json,
                  const std::function<void(const AnalysedSample &)> &text)
{
    if (setup.json) {
        QByteArray document;
        JsonWriter writer(&document, true);
        writer.beginObject();
        writer.key("targets");
        writer.beginArray();
        for (int i = 0; i < setup.targets.size(); ++i) {
            writer.beginObject();
            writer.field("target", setup.targets[i].displayName());
            json(writer, last.value(i).get());
            writer.endObject();
        }
        writer.endArray();
        writer.endObject();
        document.append('\n');
        writeOut(document);
    } else {
        for (int i = 0; i < setup.targets.size(); ++i) {
            if (i > 0)
                out() << "\n";
            if (const AnalysedSamplePtr &sample = last.value(i))
                text(*sample);
            else
                out() << title << " of " << setup.targets[i].displayName() << ": not sampled (see above)\n";
        }
        out().flush();
    }
    const bool all = std::all_of(last.cbegin(), last.cend(), [](const AnalysedSamplePtr &s) { return bool(s); });
    return all ? ExitOk : ExitConnection;
}

} // namespace poolscope::cli
