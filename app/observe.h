#pragma once

// What `poolscope diagnose` and `poolscope advise` share: they judge from a past (growth,
// rates, counts that stay put), so they sample their targets for a while before they answer.
#include "readsetup.h"

#include "output/jsonwriter.h"

#include <chrono>
#include <functional>

namespace poolscope::cli {

struct Observation
{
    std::chrono::milliseconds duration{10000};
    std::chrono::milliseconds interval{1000};
};

void addObservationOptions(QCommandLineParser &parser, const char *defaultDuration);
std::optional<Observation> observationFrom(const QCommandLineParser &parser);

// Samples every target (PostgreSQL or PgBouncer, told apart on connect; a console links to a
// server among them) over one connection each for `observation.duration`, or until Ctrl-C,
// telling a terminal how far it is. `last` gets each target's last sample, in the order given
// (null for one never sampled). Returns an exit code when no target could be sampled at all.
std::optional<int> observe(const ReadSetup &setup, const QList<ConnInfo> &targets, const Observation &observation,
                           QList<AnalysedSamplePtr> *last);

// The whole front of `diagnose` and `advise`: the read options and several CONNINFOs parsed
// into `setup`, --for and --interval into `observation`, then observe(). An exit code when the
// verb must stop (usage, help, no target sampled).
std::optional<int> parseAndObserve(QCommandLineParser &parser, const QStringList &arguments, const char *defaultDuration,
                                   ReadSetup *setup, Observation *observation, QList<AnalysedSamplePtr> *last);

// What an observation found, per target in the order given: with --json one document,
// {"targets": [{"target": NAME, KIND: …, HEALTH: …, …}]}, whose members after "target" `json`
// writes (for a sample, or null for a target never sampled); else `text` prints each, a blank
// line between. Returns the exit code: a target never sampled is a connection failure.
int printObserved(const ReadSetup &setup, const QList<AnalysedSamplePtr> &last, const QString &title,
                  const std::function<void(JsonWriter &, const AnalysedSample *)> &json,
                  const std::function<void(const AnalysedSample &)> &text);

} // namespace poolscope::cli
