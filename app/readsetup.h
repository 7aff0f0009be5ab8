#pragma once

// What `poolscope snapshot` and `poolscope watch` share: their options and how a sample is
// printed for a person (tables) or a script (JSON).
#include "clicommon.h"
#include "textreport.h"

#include "analysis/analysedsample.h"
#include "analysis/pipeline.h"


namespace poolscope::cli {

struct ReadSetup
{
    ConnInfo target;        // the first CONNINFO
    QList<ConnInfo> targets; // all of them, for the verbs that take several
    LeakRules rules;
    OwnerKey ownerKey = OwnerKey::Application;
    QList<LeakLogSpec> leakLogs;
    std::chrono::milliseconds timeout{5000};
    bool json = false;
    TextReportOptions report;
};

void addReadOptions(QCommandLineParser &parser);
// Parses everything common to both reads; returns an exit code when it must stop.
std::optional<int> readSetup(QCommandLineParser &parser, const QStringList &arguments, ReadSetup *setup,
                             int maxTargets = 1);
AnalysisSettings analysisSettings(const ReadSetup &setup);

// The PgBouncer clients holding each backend, from a console linked to this server.
struct ViaPgBouncer
{
    // A client of the console holding the backend, or (client false) a server connection of
    // a pool no client holds right now.
    struct Holder
    {
        bool client = true;
        QString applicationName, addr, state, id; // a client's
        int port = 0;
        QString pool, serverState;                // a pool's own
    };
    QHash<int, QString> text;   // pid -> "app 10.0.0.5:51234 (active)"
    QHash<int, Holder> holders; // pid -> what holds it, for JSON
};

// One sample as a report or, with --json, one JSON document (a line of its own when `jsonLines`).
void printSnapshot(const ReadSetup &setup, const AnalysedSample &sample, bool jsonLines, const ViaPgBouncer &via = {});
void printBouncer(const ReadSetup &setup, const AnalysedSample &sample, bool jsonLines);

} // namespace poolscope::cli
