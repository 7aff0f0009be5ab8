// The pool sizing advisor's arithmetic: PgBouncer statistics (cumulative SHOW STATS totals, as
// the console reports them, through the same rate code the reader uses) and PostgreSQL busy
// counts, against the server's slots; the "too short to judge" answers.
#include "analysis/pooladvisor.h"
#include "pgbouncer/bouncerparse.h"

#include <QTest>

using namespace poolscope;

namespace {

constexpr qint64 kStart = 1'790'000'000'000;

// One console sample a second; each second adds `xacts` transactions of `xactMs` each.
struct Second
{
    int xacts = 0;
    double xactMs = 0;
};

QList<AnalysedSamplePtr> bouncerSamples(const QList<Second> &seconds, int poolSize, int usableSlots, int pools = 1)
{
    QList<AnalysedSamplePtr> samples;
    QList<BouncerStats> previous;
    qint64 totalXacts = 0, totalTimeUs = 0;
    SnapshotPtr server;
    if (usableSlots > 0) {
        auto snapshot = std::make_shared<Snapshot>();
        snapshot->limits.maxConnections = usableSlots;
        server = snapshot;
    }
    for (int i = 0; i < seconds.size(); ++i) {
        auto bouncer = std::make_shared<BouncerSnapshot>();
        totalXacts += seconds[i].xacts;
        totalTimeUs += qint64(seconds[i].xacts * seconds[i].xactMs * 1000);
        for (int p = 0; p < pools; ++p) {
            BouncerPool pool;
            pool.database = QStringLiteral("db%1").arg(p);
            pool.user = QStringLiteral("app");
            pool.size = poolSize;
            pool.sizeSource = QStringLiteral("default_pool_size");
            pool.svActive = 1;
            bouncer->pools.append(pool);
            BouncerStats stats;
            stats.database = pool.database;
            stats.totalXacts = totalXacts;
            stats.totalXactTimeUs = totalTimeUs;
            bouncer->stats.append(stats);
        }
        QList<BouncerStats> current = bouncer->stats;
        computeRates(current, previous, 1.0);
        previous = bouncer->stats;
        bouncer->stats = current;
        auto sample = std::make_shared<AnalysedSample>();
        sample->kind = TargetKind::PgBouncer;
        sample->timeMs = kStart + i * 1000;
        sample->bouncer = bouncer;
        sample->server = server;
        samples.append(sample);
    }
    return samples;
}

PoolAdvicePtr adviceOf(const QList<AnalysedSamplePtr> &samples)
{
    PoolAdvisor advisor;
    for (const AnalysedSamplePtr &sample : samples)
        advisor.add(*sample);
    return advisor.advice();
}

QList<Second> steady(int count, int xacts, double ms) { return QList<Second>(count, Second{xacts, ms}); }

} // namespace

class TestPoolAdvisor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bouncerPools_data()
    {
        QTest::addColumn<QList<Second>>("seconds");
        QTest::addColumn<int>("usable");
        QTest::addColumn<int>("pools");
        QTest::addColumn<double>("busy");
        QTest::addColumn<int>("recommended");
        QTest::addColumn<int>("budget");
        // Little's law: 100 transactions a second of 20 ms keep 2 servers busy; ×1.5 is 3.
        QTest::newRow("steady") << steady(30, 100, 20) << 100 << 1 << 2.0 << 3 << 80;
        // The peak counts, not the mean: 10 s at 200/s × 30 ms = 6 busy → 9.
        QTest::newRow("a peak") << steady(20, 50, 10) + steady(10, 200, 30) << 100 << 1 << 6.0 << 9 << 80;
        // Light traffic still gets two servers.
        QTest::newRow("light") << steady(30, 5, 2) << 100 << 1 << 0.01 << 2 << 80;
        // Two pools of 9 on a server with 10 usable slots (budget 10 - 3 = 7): scaled to 3 each.
        QTest::newRow("fitted to a small server") << steady(30, 200, 30) << 10 << 2 << 6.0 << 3 << 7;
        // Without the server, nothing to fit in.
        QTest::newRow("server unknown") << steady(30, 200, 30) << 0 << 1 << 6.0 << 9 << -1;
    }

    void bouncerPools()
    {
        QFETCH(QList<Second>, seconds);
        QFETCH(int, usable);
        QFETCH(int, pools);
        QFETCH(double, busy);
        QFETCH(int, recommended);
        QFETCH(int, budget);
        const PoolAdvicePtr advice = adviceOf(bouncerSamples(seconds, 20, usable, pools));
        QVERIFY2(advice->enough, qPrintable(advice->tooShort));
        QCOMPARE(advice->budget, budget);
        QCOMPARE(advice->pools.size(), pools);
        for (const PoolAdvice::Pool &pool : advice->pools) {
            QVERIFY2(qAbs(pool.peakBusyServers - busy) < 1e-6, qPrintable(QString::number(pool.peakBusyServers)));
            QCOMPARE(pool.recommended, recommended);
        }
        QCOMPARE(advice->recommendedDefaultPoolSize, recommended);
        // The arithmetic is shown with its numbers.
        QVERIFY2(advice->formula.join(u'\n').contains(QStringLiteral("= %1 busy → ").arg(QLocale::c().toString(busy, 'f', 2))),
                 qPrintable(advice->formula.join(u'\n')));
    }

    void tooShortToJudge_data()
    {
        QTest::addColumn<QList<Second>>("seconds");
        QTest::addColumn<QString>("why");
        QTest::newRow("five seconds") << steady(5, 100, 20) << QStringLiteral("too short to judge: 5 samples over 4 s");
        QTest::newRow("no transaction") << steady(30, 0, 0) << QStringLiteral("no transaction went through PgBouncer");
    }

    void tooShortToJudge()
    {
        QFETCH(QList<Second>, seconds);
        QFETCH(QString, why);
        const PoolAdvicePtr advice = adviceOf(bouncerSamples(seconds, 20, 100));
        QVERIFY(!advice->enough);
        QVERIFY2(advice->tooShort.startsWith(why), qPrintable(advice->tooShort));
        QCOMPARE(advice->recommendedDefaultPoolSize, -1);
    }

    // PostgreSQL: per application, the most sessions busy at once × 1.5, and the percentiles of
    // busy sessions over the samples.
    void applicationPools()
    {
        PoolAdvisor advisor;
        for (int i = 0; i < 40; ++i) {
            auto snapshot = std::make_shared<Snapshot>();
            snapshot->takenAtMs = kStart + i * 1000;
            snapshot->limits.maxConnections = 50;
            const int busyNow = i == 39 ? 10 : 4; // one burst
            for (int s = 0; s < 12; ++s) {
                Session session;
                session.pid = 100 + s;
                session.applicationName = QStringLiteral("web");
                session.state = s < busyNow ? QStringLiteral("active") : QStringLiteral("idle");
                session.stateChangeMs = snapshot->takenAtMs - 1000;
                snapshot->sessions.append(session);
            }
            classify(*snapshot, LeakRules{}); // classes and totals, as the pipeline has them
            auto sample = std::make_shared<AnalysedSample>();
            sample->timeMs = snapshot->takenAtMs;
            sample->postgres = snapshot;
            sample->byApplication = groupOwners(*snapshot, OwnerKey::Application, OwnerDetail::CountsOnly);
            advisor.add(*sample);
        }
        const PoolAdvicePtr advice = advisor.advice();
        QVERIFY(advice->enough);
        QCOMPARE(advice->budget, 40); // 50 - max(3, 10)
        QCOMPARE(advice->busyP50, 4);
        QCOMPARE(advice->busyP95, 4);
        QCOMPARE(advice->busyMax, 10);
        QCOMPARE(advice->owners.size(), 1);
        QCOMPARE(advice->owners[0].peakSessions, 12);
        QCOMPARE(advice->owners[0].peakBusy, 10);
        QCOMPARE(advice->owners[0].recommended, 15);
    }
};

QTEST_GUILESS_MAIN(TestPoolAdvisor)
#include "tst_pooladvisor.moc"
