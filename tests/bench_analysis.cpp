// Benchmark: the whole analysis of a sample of 5,000 sessions with 1 KB tagged queries, as the
// sampler's thread runs it (tags, classes, owners by application, by code location and by the
// chosen key, leak trend, findings, health line, chart point, alerts), and its parts. Prints
// figures; it checks nothing about speed (goal in the issue: under 5 ms after the first sample).
#include "analysis/callsites.h"
#include "analysis/classifier.h"
#include "analysis/owners.h"
#include "analysis/pipeline.h"

#include <QCoreApplication>
#include "analysis/diagnosis.h"
#include "analysis/pooladvisor.h"
#include "output/jsonwriter.h"
#include "output/snapshotjson.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>
#include <cstdio>

using namespace poolscope;

namespace {

constexpr qint64 kNow = 1'800'000'000'000;

// A realistic ORM query of about 1 KB with a trailing sqlcommenter comment carrying a stack.
QString taggedQuery(int service, int route, int variant)
{
    QString columns;
    for (int c = 0; c < 40; ++c)
        columns += QStringLiteral("t.column_%1, ").arg(c, 2, 10, QLatin1Char('0'));
    const QString stack = QStringLiteral("shop%3A%3Aservice%1%3A%3AHandler%3A%3Aroute%2%28%29%20handler%1.cpp%3A%3|"
                                         "shop%3A%3AHttp%3A%3Adispatch%28%29%20http.cpp%3A120|main%20main.cpp%3A10")
                              .arg(service)
                              .arg(route)
                              .arg(40 + variant);
    return QStringLiteral("SELECT ") + columns
        + QStringLiteral("t.id FROM orders t WHERE t.customer_id = $1 AND t.note <> 'a /* b */ c' ORDER BY t.id "
                         "LIMIT 50 /*application='service-%1',route='%2Fapi%2Fv1%2Froute%2',db_driver='libpq',"
                         "traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01',stack='%3'*/")
              .arg(service)
              .arg(route)
              .arg(stack);
}

Snapshot syntheticSnapshot(int count)
{
    static const char *const states[] = {"idle", "idle", "idle", "active", "idle in transaction",
                                         "idle in transaction (aborted)"};
    Snapshot snapshot;
    snapshot.takenAtMs = kNow;
    snapshot.limits.maxConnections = 6000;
    snapshot.limits.superuserReserved = 3;
    snapshot.limits.roles = {{QStringLiteral("app_7"), 100}};
    snapshot.sessions.reserve(count);
    // One string per distinct role, database and application, shared by the sessions, as the
    // reader hands them out.
    QStringList users, applications;
    for (int i = 0; i < 12; ++i) {
        users.append(QStringLiteral("app_%1").arg(i));
        applications.append(QStringLiteral("service-%1").arg(i));
    }
    const QString database = QStringLiteral("shop");
    for (int i = 0; i < count; ++i) {
        Session s;
        s.pid = 10000 + i;
        s.user = users[i % 12];
        s.database = database;
        s.applicationName = applications[i % 12];
        s.clientAddr = QStringLiteral("10.1.%1.%2").arg(i / 250).arg(i % 250);
        s.state = QString::fromLatin1(states[i % 6]);
        s.backendStartMs = kNow - 3'600'000 - i;
        s.queryStartMs = kNow - (i % 120) * 1000 - 5;
        s.stateChangeMs = kNow - (i % 120) * 1000;
        if (i % 97 == 0) {
            s.state = QStringLiteral("active");
            s.waitEventType = QStringLiteral("Lock");
            s.waitEvent = QStringLiteral("transactionid");
            s.blockedBy = {10000 + (i + 4) % count};
        }
        s.query = taggedQuery(i % 12, i % 30, i % 7);
        snapshot.sessions.append(std::move(s));
    }
    return snapshot;
}

double medianOf(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const int sessions = 5000;
    const int rounds = 21;
    const Snapshot base = syntheticSnapshot(sessions);
    qint64 bytes = 0;
    for (const Session &s : base.sessions)
        bytes += s.query.toUtf8().size();

    QList<double> cold, warm, parseOnly, classifyOnly, groupOnly, pipelineFirst, pipelineNext, diagnosisOnly, adviceOnly,
        withLeakLog;
    // The same pipeline following a pool's leak log of 200 HikariCP reports, none of which
    // matches: what following a log adds to each sample (the join's bookkeeping of sessions).
    QTemporaryDir dir;
    const QString logPath = dir.filePath(QStringLiteral("app.log"));
    {
        QFile log(logPath);
        if (!log.open(QIODevice::WriteOnly))
            return 1;
        for (int i = 0; i < 200; ++i)
            log.write(QByteArrayLiteral("2020-01-01 00:00:0") + QByteArray::number(i % 10)
                      + ".000 [HikariPool-1 housekeeper] WARN  com.zaxxer.hikari.pool.ProxyLeakTask - Connection leak "
                        "detection triggered for org.postgresql.jdbc.PgConnection@" + QByteArray::number(i)
                      + " on thread http-" + QByteArray::number(i) + ", stack trace follows\n"
                        "java.lang.Exception: Apparent connection leak detected\n"
                        "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)\n"
                        "\tat shop.OrderRepository.reserveStock(OrderRepository.java:42)\n");
    }
    AnalysisSettings followingSettings{{}, {}, OwnerKey::User};
    followingSettings.leakLogs = {LeakLogSpec{logPath, {}, 2000}};
    AnalysisPipeline following(QStringLiteral("bench"), followingSettings);
    Diagnoser diagnoser;
    PoolAdvisor advisor;
    TagMemory steady;
    AnalysisPipeline pipeline(QStringLiteral("bench"), AnalysisSettings{{}, {}, OwnerKey::User});
    for (int round = 0; round < rounds; ++round) {
        // The parts, cold: every query lexed, as on the first sample of a target.
        Snapshot snapshot = base;
        TagMemory fresh;
        QElapsedTimer timer;
        timer.start();
        fresh.apply(snapshot);
        const double parsed = timer.nsecsElapsed() / 1e6;
        classify(snapshot, LeakRules{});
        const double classified = timer.nsecsElapsed() / 1e6;
        const QList<OwnerSummary> owners = groupOwners(snapshot, OwnerKey::CodeLocation);
        const double grouped = timer.nsecsElapsed() / 1e6;
        cold.append(grouped);
        parseOnly.append(parsed);
        classifyOnly.append(classified - parsed);
        groupOnly.append(grouped - classified);
        if (owners.isEmpty())
            return 1;

        // Warm: the next sample of the same sessions, queries unchanged (TagMemory skips them).
        Snapshot next = base;
        timer.restart();
        steady.apply(next);
        classify(next, LeakRules{});
        groupOwners(next, OwnerKey::CodeLocation);
        if (round > 0)
            warm.append(timer.nsecsElapsed() / 1e6);

        // The whole pipeline as the sampler thread runs it, owners chosen by user so that all
        // three groupings are made.
        // Each copy is detached before it is timed: the reader's samples share nothing.
        auto raw = std::make_shared<Snapshot>(base);
        raw->takenAtMs = kNow + round * 1000;
        raw->sessions.detach();
        timer.restart();
        const AnalysedSamplePtr sample = pipeline.analyse(raw, kNow + round * 1000);
        (round == 0 ? pipelineFirst : pipelineNext).append(timer.nsecsElapsed() / 1e6);
        if (!sample || sample->owners.isEmpty())
            return 1;

        auto rawFollowing = std::make_shared<Snapshot>(base);
        rawFollowing->takenAtMs = kNow + round * 1000;
        rawFollowing->sessions.detach();
        timer.restart();
        following.analyse(rawFollowing, kNow + round * 1000);
        if (round > 0)
            withLeakLog.append(timer.nsecsElapsed() / 1e6);

        // Two parts of it, on the same sample: the diagnosis and the pool advice.
        timer.restart();
        diagnoser.diagnose(*sample->postgres, sample->byApplication);
        diagnosisOnly.append(timer.nsecsElapsed() / 1e6);
        timer.restart();
        advisor.add(*sample);
        advisor.advice();
        adviceOnly.append(timer.nsecsElapsed() / 1e6);
    }
    out << "bench_analysis: " << sessions << " sessions, " << QString::number(bytes / double(sessions), 'f', 0)
        << " bytes of tagged query each, median of " << rounds << " rounds\n";
    out << "  whole pipeline (tags, classes, 3 groupings, trend, findings, health, chart, alerts): first sample "
        << QString::number(pipelineFirst.first(), 'f', 2) << " ms, next samples "
        << QString::number(medianOf(pipelineNext), 'f', 2) << " ms (goal: under 5 ms)\n";
    out << "  parts, first sample: lex " << QString::number(medianOf(parseOnly), 'f', 2) << ", classify "
        << QString::number(medianOf(classifyOnly), 'f', 2) << ", group by code location "
        << QString::number(medianOf(groupOnly), 'f', 2) << " ms (" << QString::number(medianOf(cold), 'f', 2)
        << " ms in all)\n";
    out << "  parts, next samples (unchanged queries not lexed again), one grouping: "
        << QString::number(medianOf(warm), 'f', 2) << " ms; diagnosis " << QString::number(medianOf(diagnosisOnly), 'f', 2)
        << " ms, pool advice " << QString::number(medianOf(adviceOnly), 'f', 2) << " ms\n";
    // The document `watch --json` writes for such a sample, into a reused buffer as it does.
    QList<double> jsonTimes;
    QByteArray document;
    qsizetype documentBytes = 0;
    for (int round = 0; round < rounds; ++round) {
        auto raw = std::make_shared<Snapshot>(base);
        const AnalysedSamplePtr sample = pipeline.analyse(raw, kNow + (rounds + round) * 1000);
        QElapsedTimer timer;
        timer.start();
        document.truncate(0); // keeps its capacity, as watch's reused buffer does
        JsonWriter json(&document);
        writeSnapshotJson(json, *sample);
        document.append('\n');
        jsonTimes.append(timer.nsecsElapsed() / 1e6);
        documentBytes = document.size();
    }
    out << "  its JSON document (watch --json): " << QString::number(medianOf(jsonTimes), 'f', 2) << " ms, "
        << QString::number(documentBytes / 1e6, 'f', 1) << " MB\n";
    out << "  next samples following a leak log (200 reports, none matching): "
        << QString::number(medianOf(withLeakLog), 'f', 2) << " ms\n";

    // Call sites in application_name (service-3@Handler7.java:212): 12 services with 20 call
    // sites each. The patterns run once per name; after that each session is a lookup, by the
    // address of a name the reader shares or, for names it does not (it shares 32), by text.
    QStringList names;
    for (int service = 0; service < 12; ++service) {
        for (int site = 0; site < 20; ++site)
            names.append(QStringLiteral("service-%1@Handler%2.java:%3").arg(service).arg(site).arg(100 + site));
    }
    Snapshot named = base;
    for (int i = 0; i < named.sessions.size(); ++i)
        named.sessions[i].applicationName = names[i % names.size()];
    AppCallSiteCache callSites;
    QList<double> callSitesShared, callSitesUnshared;
    QElapsedTimer timer;
    Snapshot first = named;
    first.sessions.detach();
    timer.start();
    callSites.apply(first);
    const double callSitesFirst = timer.nsecsElapsed() / 1e6;
    if (groupOwners(first, OwnerKey::Application, OwnerDetail::CountsOnly).size() != 12)
        return 1;
    for (int round = 0; round < rounds; ++round) {
        Snapshot shared = named;
        shared.sessions.detach();
        timer.restart();
        callSites.apply(shared);
        callSitesShared.append(timer.nsecsElapsed() / 1e6);
        Snapshot unshared = named;
        for (Session &s : unshared.sessions) // detaches too
            s.applicationName = QString(s.applicationName.constData(), s.applicationName.size());
        timer.restart();
        callSites.apply(unshared);
        callSitesUnshared.append(timer.nsecsElapsed() / 1e6);
    }
    out << "  call sites from application_name, " << names.size() << " names: first sample "
        << QString::number(callSitesFirst, 'f', 2) << " ms, next samples "
        << QString::number(medianOf(callSitesShared), 'f', 2) << " ms (names shared by the reader), "
        << QString::number(medianOf(callSitesUnshared), 'f', 2) << " ms (a string each)\n";
    return 0;
}
