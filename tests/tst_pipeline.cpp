// The analysis pipeline: one derivation per sample that the window, `watch` and `record` all
// read, on fixtures of real shapes (tagged queries, aborted transactions, PgBouncer pools).
#include "analysis/pipeline.h"
#include "analysis/tracecontext.h"

#include <QTest>

using namespace poolscope;

Q_DECLARE_METATYPE(poolscope::OwnerKey)

namespace {

constexpr qint64 kNow = 1'800'000'000'000;
const char kPayQuery[] = "ROLLBACK /*application='billing',stack='billing%3A%3Apay%20pay.cpp%3A42|http%3A%3Aserve'*/";

Session session(int pid, const char *app, const char *state, double seconds, const char *query = "SELECT 1")
{
    Session s;
    s.pid = pid;
    s.applicationName = QString::fromLatin1(app);
    s.user = QStringLiteral("u_") + s.applicationName;
    s.database = QStringLiteral("shop");
    s.backendType = QStringLiteral("client backend");
    s.state = QString::fromLatin1(state);
    s.query = QString::fromLatin1(query);
    s.backendStartMs = kNow - 600'000 - pid;
    s.queryStartMs = s.stateChangeMs = kNow - qint64(seconds * 1000);
    if (s.state.startsWith(u"idle in"))
        s.xactStartMs = s.stateChangeMs - 100;
    return s;
}

// A sample as the reader hands it on: no tags, no classes yet.
std::shared_ptr<Snapshot> raw(int leaked, int step = 0)
{
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->takenAtMs = kNow + step * 1000;
    snapshot->limits.maxConnections = 20;
    for (int i = 0; i < leaked; ++i)
        snapshot->sessions.append(session(100 + i, "billing", "idle in transaction (aborted)", 30, kPayQuery));
    for (int i = 0; i < 4; ++i)
        snapshot->sessions.append(session(200 + i, "catalog", "idle", 5));
    return snapshot;
}

QStringList names(const QList<OwnerSummary> &owners)
{
    QStringList list;
    for (const OwnerSummary &owner : owners)
        list.append(owner.owner);
    return list;
}

QStringList codes(const QList<Alert> &alerts)
{
    QStringList list;
    for (const Alert &alert : alerts)
        list.append(alert.code);
    return list;
}

} // namespace

class TestPipeline : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Tags and classes are given on the way in; every grouping is made once.
    void oneSampleAllItsViews()
    {
        AnalysisPipeline pipeline(QStringLiteral("db1"));
        const AnalysedSamplePtr sample = pipeline.analyse(raw(3), kNow);
        QVERIFY(sample->fresh);
        QCOMPARE(sample->kind, TargetKind::PostgreSQL);
        QCOMPARE(sample->timeMs, kNow);
        QCOMPARE(sample->postgres->totals.leaked, 3);
        QCOMPARE(names(sample->owners), (QStringList{QStringLiteral("billing"), QStringLiteral("catalog")}));
        QCOMPARE(names(sample->byApplication), names(sample->owners));
        QCOMPARE(sample->byCodeLocation.first().owner, QStringLiteral("billing::pay pay.cpp:42"));
        QCOMPARE(sample->owners.first().stacks.first().frames.size(), 2); // the chosen grouping has its stacks
        QVERIFY(sample->byCodeLocation.first().stacks.isEmpty());          // the others, counts only
        QCOMPARE(sample->byCodeLocation.first().leaked, 3);
        // The chart point carries its owners by name; a History interns them.
        QCOMPARE(sample->chart.point.leaked, quint16(3));
        QCOMPARE(sample->chart.ownerNames, (QStringList{QStringLiteral("catalog"), QStringLiteral("billing")}));
        QCOMPARE(codes(sample->alerts.fired), QStringList{QStringLiteral("leaked")});
        QVERIFY2(sample->health.startsWith(u"billing holds 3 of 20 usable slots idle in transaction, 3 leaked"),
                 qPrintable(sample->health));
    }

    void ownerKeyChosen_data()
    {
        QTest::addColumn<OwnerKey>("key");
        QTest::addColumn<QString>("first");
        QTest::newRow("application") << OwnerKey::Application << QStringLiteral("billing");
        QTest::newRow("code") << OwnerKey::CodeLocation << QStringLiteral("billing::pay pay.cpp:42");
        QTest::newRow("user") << OwnerKey::User << QStringLiteral("u_billing");
        QTest::newRow("database") << OwnerKey::Database << QStringLiteral("shop");
    }

    // The chosen key changes what the owners tree and health line say, never the chart (always
    // by application) nor the trend (always by code location).
    void ownerKeyChosen()
    {
        QFETCH(OwnerKey, key);
        QFETCH(QString, first);
        AnalysisPipeline pipeline(QStringLiteral("db1"), AnalysisSettings{{}, {}, key});
        const AnalysedSamplePtr sample = pipeline.analyse(raw(2), kNow);
        QCOMPARE(sample->ownerKey, key);
        QCOMPARE(sample->owners.first().owner, first);
        QCOMPARE(sample->byApplication.first().owner, QStringLiteral("billing")); // leaks first
        QCOMPARE(sample->chart.ownerNames.first(), QStringLiteral("catalog"));
        QCOMPARE(sample->byCodeLocation.first().owner, QStringLiteral("billing::pay pay.cpp:42"));
    }

    // Regrouping answers at once with the last sample under the new key: not a new sample, so
    // no chart point and no alert twice.
    void regroupIsNotANewSample()
    {
        AnalysisPipeline pipeline(QStringLiteral("db1"));
        QVERIFY(!pipeline.regroup(OwnerKey::User)); // nothing to regroup yet
        const AnalysedSamplePtr sample = pipeline.analyse(raw(2), kNow);
        const AnalysedSamplePtr regrouped = pipeline.regroup(OwnerKey::CodeLocation);
        QVERIFY(!regrouped->fresh);
        QVERIFY(regrouped->alerts.isEmpty());
        QCOMPARE(regrouped->postgres, sample->postgres);
        QCOMPARE(regrouped->ownerKey, OwnerKey::CodeLocation);
        QCOMPARE(regrouped->owners.first().owner, QStringLiteral("billing::pay pay.cpp:42"));
        QVERIFY2(regrouped->health.startsWith(u"code at billing::pay pay.cpp:42 holds"), qPrintable(regrouped->health));
        // …and the key holds for the samples after it.
        QCOMPARE(pipeline.analyse(raw(2, 1), kNow + 1000)->ownerKey, OwnerKey::CodeLocation);
    }

    // Leaks rising per code location over consecutive samples: a finding and an alert, from
    // the one pipeline every consumer reads.
    void risingLeakIsFoundOnce()
    {
        AnalysisPipeline pipeline(QStringLiteral("db1"));
        QList<AnalysedSamplePtr> samples;
        for (int step = 0; step < 4; ++step)
            samples.append(pipeline.analyse(raw(step + 1, step), kNow + step * 1000));
        QVERIFY(samples[1]->trendFindings.isEmpty());
        QCOMPARE(samples[2]->trendFindings.size(), 1);
        QCOMPARE(samples[2]->trendFindings.first().code, QStringLiteral("leak-rising"));
        QVERIFY(samples[2]->findings.contains(samples[2]->trendFindings.first()));
        QCOMPARE(codes(samples[2]->alerts.fired), QStringList{QStringLiteral("leak-rising")});
        QVERIFY(samples[3]->alerts.fired.isEmpty()); // still rising: the same alert stands
    }

    // Tags come from the query comments and stay with the session after a COMMIT or ROLLBACK
    // overwrites its query text.
    void tagsAreRemembered()
    {
        AnalysisPipeline pipeline(QStringLiteral("db1"));
        pipeline.analyse(raw(1), kNow);
        auto next = raw(1, 1);
        next->sessions.first().query = QStringLiteral("COMMIT");
        next->sessions.first().queryStartMs += 500;
        const AnalysedSamplePtr sample = pipeline.analyse(next, kNow + 1000);
        QCOMPARE(sample->postgres->sessions.first().stack.first(), QStringLiteral("billing::pay pay.cpp:42"));
        QVERIFY(sample->postgres->sessions.first().tagsRemembered);
    }

    // Call sites in application_name: one owner per service in every grouping the sample
    // carries, and patterns changed from the window apply from the next sample.
    void callSitesFromApplicationName()
    {
        const auto callSiteSample = [](int step) {
            auto snapshot = raw(0, step);
            snapshot->sessions.append(session(300, "billing@OrderRepo.java:212", "idle in transaction (aborted)", 30));
            snapshot->sessions.append(session(301, "billing@InvoiceJob.java:48", "idle", 5,
                                              "SELECT 1 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/"));
            return snapshot;
        };
        AnalysisPipeline pipeline(QStringLiteral("db1"));
        AnalysedSamplePtr sample = pipeline.analyse(callSiteSample(0), kNow);
        QCOMPARE(names(sample->byApplication), (QStringList{QStringLiteral("billing"), QStringLiteral("catalog")}));
        QCOMPARE(sample->byApplication.first().total, 2);
        QVERIFY(names(sample->byCodeLocation).contains(QStringLiteral("OrderRepo.java:212")));
        QVERIFY(names(sample->byCodeLocation).contains(QStringLiteral("InvoiceJob.java:48")));
        const Session &traced = sample->postgres->sessions.last();
        QCOMPARE(traceIdOf(traced), QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
        QVERIFY(traced.stackFromApplicationName);

        AppCallSites none;
        none.patterns.clear();
        pipeline.setAppCallSites(none);
        QCOMPARE(pipeline.settings().rules.callSites, none);
        sample = pipeline.analyse(callSiteSample(1), kNow + 1000);
        QCOMPARE(names(sample->byApplication).size(), 3); // catalog and each whole name
        QVERIFY(sample->postgres->sessions.last().stack.isEmpty());
    }

    // A console whose server is open beside it links its clients to the backends, and what the
    // linker finds raises alerts like the console's own findings.
    void consoleLinksToTheServerBeside()
    {
        auto servers = std::make_shared<ServerDirectory>();
        auto postgres = std::make_unique<AnalysisPipeline>(QStringLiteral("db1"), AnalysisSettings{}, servers);
        auto server = raw(1);
        server->sessions.first().clientPort = 40001;
        const AnalysedSamplePtr serverSample = postgres->analyse(server, kNow);
        QCOMPARE(servers->snapshots().size(), 1);

        auto bouncer = std::make_shared<BouncerSnapshot>();
        BouncerPool pool;
        pool.database = QStringLiteral("shop");
        pool.user = QStringLiteral("app");
        pool.size = 1;
        pool.svActive = 1;
        pool.clActive = 1;
        pool.clWaiting = 3;
        pool.maxWaitSeconds = 1;
        bouncer->pools = {pool};
        BouncerConnection client;
        client.database = pool.database;
        client.user = pool.user;
        client.state = QStringLiteral("active");
        client.link = QStringLiteral("0x1");
        client.applicationName = QStringLiteral("billing");
        bouncer->clients = {client};
        BouncerConnection backend;
        backend.database = pool.database;
        backend.user = pool.user;
        backend.state = QStringLiteral("active");
        backend.ptr = QStringLiteral("0x1");
        backend.remotePid = 100;
        backend.localPort = 40001;
        bouncer->servers = {backend};

        AnalysisPipeline console(QStringLiteral("pgb"), AnalysisSettings{}, servers);
        const AnalysedSamplePtr sample = console.analyse(bouncer, kNow);
        QCOMPARE(sample->kind, TargetKind::PgBouncer);
        QCOMPARE(sample->server, serverSample->postgres);
        QCOMPARE(sample->linked.clients.size(), 1);
        QCOMPARE(sample->linked.clients.first().backend, 0);
        QCOMPARE(sample->linked.clients.first().leak, LeakVerdict::Leaked);
        QVERIFY(!sample->linked.findings.isEmpty());
        for (const Finding &finding : sample->linked.findings) {
            QVERIFY(sample->findings.contains(finding));
            if (finding.severity != Finding::Severity::Info)
                QVERIFY2(codes(sample->alerts.fired).contains(finding.code), qPrintable(finding.code));
        }
        // A target that closes takes its sample out of the directory: nothing left to link to.
        postgres.reset();
        QVERIFY(servers->snapshots().isEmpty());
        const AnalysedSamplePtr alone = console.analyse(bouncer, kNow + 1000);
        QVERIFY(!alone->server);
        QCOMPARE(alone->linked.clients.size(), 1);
        QCOMPARE(alone->linked.clients.first().backend, -1);
        QVERIFY(!alone->alerts.cleared.isEmpty()); // what the link found has gone with it
    }

    // A recording's sample, shown at a replay time: derived again, never fresh.
    void recordedSampleIsDescribedNotCounted()
    {
        AnalysisPipeline pipeline(QStringLiteral("db1"));
        const AnalysedSamplePtr live = pipeline.analyse(raw(2), kNow);
        const QList<Finding> trend{{Finding::Severity::Critical, QStringLiteral("leak-rising"), QStringLiteral("x")}};
        const AnalysedSamplePtr recorded =
            describeRecorded(QStringLiteral("db1"), live->postgres, trend, kNow, OwnerKey::User, LeakRules{});
        QVERIFY(!recorded->fresh);
        QVERIFY(recorded->alerts.isEmpty());
        QCOMPARE(recorded->owners.first().owner, QStringLiteral("u_billing"));
        QVERIFY(recorded->findings.contains(trend.first()));
        QCOMPARE(recorded->health.isEmpty(), false);
    }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "tst_pipeline.moc"
