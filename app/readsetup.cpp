#include "readsetup.h"

#include "bouncerreport.h"

#include "output/bouncerjson.h"
#include "output/snapshotjson.h"


namespace poolscope::cli {

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

std::optional<int> readSetup(QCommandLineParser &parser, const QStringList &arguments, ReadSetup *setup,
                             int maxTargets)
{
    if (auto exit = parseOrExit(parser, arguments, 1, maxTargets))
        return exit;
    for (const QString &text : parser.positionalArguments()) {
        const auto each = targetFrom(text);
        if (!each)
            return ExitUsage;
        setup->targets.append(*each);
    }
    auto target = std::optional<ConnInfo>(setup->targets.constFirst());
    auto rules = rulesFrom(parser);
    auto ownerKey = ownerKeyFrom(parser);
    auto leakLogs = leakLogsFrom(parser);
    bool timeoutOk = false;
    setup->timeout = timeoutFrom(parser, &timeoutOk);
    bool rowsOk = false;
    setup->report.maxSessions = parser.value(QStringLiteral("max-sessions")).toInt(&rowsOk);
    if (!rowsOk || setup->report.maxSessions < 0) {
        err() << "poolscope: --max-sessions needs a whole number\n";
        err().flush();
        return ExitUsage;
    }
    if (!target || !rules || !ownerKey || !leakLogs || !timeoutOk)
        return ExitUsage;
    setup->leakLogs = *leakLogs;
    setup->target = *target;
    setup->rules = *rules;
    setup->ownerKey = *ownerKey;
    setup->json = parser.isSet(QStringLiteral("json"));
    setup->report.width = terminalWidth();
    return std::nullopt;
}

AnalysisSettings analysisSettings(const ReadSetup &setup)
{
    AnalysisSettings settings;
    settings.rules = setup.rules;
    settings.ownerKey = setup.ownerKey;
    settings.leakLogs = setup.leakLogs;
    return settings;
}

namespace {

// watch --json writes a document a second, megabytes at thousands of sessions: one buffer kept
// from one to the next, instead of a new one grown by doubling and faulted in page by page.
QByteArray &reusedJsonBuffer()
{
    static QByteArray buffer;
    buffer.truncate(0); // keeps the capacity
    return buffer;
}

} // namespace

void printSnapshot(const ReadSetup &setup, const AnalysedSample &sample, bool jsonLines, const ViaPgBouncer &via)
{
    if (setup.json) {
        QByteArray &document = reusedJsonBuffer();
        JsonWriter json(&document, !jsonLines);
        writeSnapshotJson(json, sample, [&via](JsonWriter &json, const Session &session) {
            const auto holder = via.holders.constFind(session.pid);
            if (holder == via.holders.cend())
                return;
            json.key("pgbouncer_client");
            json.beginObject();
            if (holder->client) {
                json.field("application_name", holder->applicationName);
                json.field("addr", holder->addr);
                json.field("port", holder->port);
                json.field("state", holder->state);
                json.key("id");
                json.textOrNull(holder->id.isEmpty() ? QString() : holder->id);
            } else {
                json.field("pool", holder->pool);
                json.field("server_state", holder->serverState);
            }
            json.endObject();
        });
        document.append('\n');
        out().flush();
        writeOut(document);
        return;
    }
    TextReportOptions report = setup.report;
    report.via = via.text;
    printTextReport(out(), *sample.postgres, sample.owners, sample.ownerKey, sample.findings, report);
    if (sample.leakLog)
        printLeakLogSummary(out(), *sample.leakLog);
    if (sample.diagnosis)
        printDiagnosisSummary(out(), *sample.diagnosis);
    out().flush();
}

void printBouncer(const ReadSetup &setup, const AnalysedSample &sample, bool jsonLines)
{
    if (setup.json) {
        QByteArray &document = reusedJsonBuffer();
        JsonWriter json(&document, !jsonLines);
        writeBouncerJson(json, sample);
        document.append('\n');
        out().flush();
        writeOut(document);
        return;
    }
    printBouncerReport(out(), *sample.bouncer, sample.server.get(), sample.linked, setup.report.width,
                       setup.report.maxSessions);
    if (sample.diagnosis)
        printDiagnosisSummary(out(), *sample.diagnosis);
    out().flush();
}

} // namespace poolscope::cli
