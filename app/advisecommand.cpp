// `poolscope advise`: pool sizes that fit the server's slots and cover what was observed.
#include "commands.h"
#include "observe.h"

#include "analysis/pooladvisor.h"
#include "output/jsonwriter.h"
#include "output/safetext.h"

namespace poolscope::cli {

namespace {

void printAdvice(const QString &target, const PoolAdvice &advice)
{
    QTextStream &stream = out();
    stream << "Pool sizing for " << safeLine(target) << "\n";
    if (!advice.enough) {
        stream << "  no recommendation: " << advice.tooShort << "\n";
        return;
    }
    stream << "  " << advice.summary << "\n\n";
    if (!advice.owners.isEmpty()) {
        TextTable table({QStringLiteral("APPLICATION"), QStringLiteral("PEAK SESSIONS"), QStringLiteral("PEAK BUSY"),
                         QStringLiteral("RECOMMENDED POOL")});
        for (const PoolAdvice::Owner &owner : advice.owners)
            table.addRow({owner.owner, QString::number(owner.peakSessions), QString::number(owner.peakBusy),
                          QString::number(owner.recommended)});
        table.print(stream, 160);
    }
    if (!advice.pools.isEmpty()) {
        TextTable table({QStringLiteral("POOL"), QStringLiteral("XACTS/S"), QStringLiteral("MEAN XACT"),
                         QStringLiteral("BUSY SERVERS"), QStringLiteral("SIZE NOW"), QStringLiteral("RECOMMENDED")});
        for (const PoolAdvice::Pool &pool : advice.pools)
            table.addRow({pool.database + u'/' + pool.user, QString::number(pool.peakXactsPerSecond, 'f', 1),
                          pool.peakXactsPerSecond > 0 ? QString::number(pool.avgXactMs, 'f', 2) + QStringLiteral(" ms") : QStringLiteral("–"),
                          QString::number(pool.peakBusyServers, 'f', 2),
                          QStringLiteral("%1 (%2)").arg(pool.size).arg(pool.sizeSource),
                          pool.recommended > 0 ? QString::number(pool.recommended) : QStringLiteral("as it is")});
        table.print(stream, 160);
        if (advice.recommendedDefaultPoolSize > 0)
            stream << "\n  apply: poolscope set CONSOLE default_pool_size=" << advice.recommendedDefaultPoolSize << "\n";
    }
    stream << "\n  How:\n";
    for (const QString &line : advice.formula)
        stream << "    " << safeLine(line) << "\n";
}

void writeAdvice(JsonWriter &json, const PoolAdvice &advice)
{
    json.beginObject();
    json.field("enough", advice.enough);
    json.key("too_short");
    json.textOrNull(advice.enough ? QString() : advice.tooShort);
    json.field("samples", advice.samples);
    json.field("observed_seconds", advice.observedSeconds);
    json.key("usable_slots");
    advice.usableSlots >= 0 ? json.value(advice.usableSlots) : json.null();
    json.key("budget");
    advice.budget >= 0 ? json.value(advice.budget) : json.null();
    json.field("headroom", PoolAdvice::kHeadroom);
    json.field("burst_factor", PoolAdvisor::kBurstFactor);
    json.key("busy");
    json.beginObject();
    json.field("p50", advice.busyP50);
    json.field("p95", advice.busyP95);
    json.field("p99", advice.busyP99);
    json.field("max", advice.busyMax);
    json.endObject();
    json.key("applications");
    json.beginArray();
    for (const PoolAdvice::Owner &owner : advice.owners) {
        json.beginObject();
        json.field("application_name", owner.owner);
        json.field("peak_sessions", owner.peakSessions);
        json.field("peak_busy", owner.peakBusy);
        json.field("recommended", owner.recommended);
        json.endObject();
    }
    json.endArray();
    json.key("pools");
    json.beginArray();
    for (const PoolAdvice::Pool &pool : advice.pools) {
        json.beginObject();
        json.field("database", pool.database);
        json.field("user", pool.user);
        json.field("size", pool.size);
        json.field("size_source", pool.sizeSource);
        json.field("xacts_per_second", pool.peakXactsPerSecond);
        json.field("mean_xact_ms", pool.avgXactMs);
        json.field("busy_servers", pool.peakBusyServers);
        json.field("peak_active_servers", pool.peakActiveServers);
        json.field("peak_waiting", pool.peakWaiting);
        json.key("recommended");
        pool.recommended > 0 ? json.value(pool.recommended) : json.null();
        json.endObject();
    }
    json.endArray();
    json.key("default_pool_size");
    advice.recommendedDefaultPoolSize > 0 ? json.value(advice.recommendedDefaultPoolSize) : json.null();
    json.key("formula");
    json.strings(advice.formula);
    json.field("summary", advice.summary);
    json.endObject();
}

} // namespace

int runAdvise(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Watch one or more targets for a while, then recommend pool sizes that fit the server's connection slots "
        "with headroom and cover the concurrency observed: per application for a PostgreSQL server (peak sessions "
        "busy at once), per pool and default_pool_size for a PgBouncer console (Little's law on SHOW STATS). Give the "
        "console and its PostgreSQL server together to check the pools against the server's slots. The inputs, the "
        "arithmetic and the margin are printed with the figures."));
    ReadSetup setup;
    Observation observation;
    QList<AnalysedSamplePtr> last;
    if (auto exit = parseAndObserve(parser, arguments, "60s", &setup, &observation, &last))
        return *exit;
    return printObserved(
        setup, last, QStringLiteral("Pool sizing"),
        [](JsonWriter &json, const AnalysedSample *sample) {
            json.key("advice");
            if (sample && sample->advice)
                writeAdvice(json, *sample->advice);
            else
                json.null();
        },
        [](const AnalysedSample &sample) {
            if (sample.advice)
                printAdvice(sample.target, *sample.advice);
        });
}

} // namespace poolscope::cli
