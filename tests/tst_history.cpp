#include "analysis/classifier.h"
#include "analysis/health.h"
#include "model/history.h"
#include "analysis/sessionfilter.h"
#include "pgbouncer/bouncerparse.h"

#include <QTest>

using namespace poolscope;

namespace {

constexpr qint64 kNow = 1'800'000'000'000;

HistoryPoint pointAt(qint64 seconds, int active, int idleInTx = 0)
{
    HistoryPoint p;
    p.timeMs = kNow + seconds * 1000;
    p.bands[int(SessionClass::Active)] = quint16(active);
    p.bands[int(SessionClass::IdleInTransaction)] = quint16(idleInTx);
    return p;
}

Session session(int pid, const char *app, const char *state, double seconds, const char *query = "SELECT 1")
{
    Session s;
    s.pid = pid;
    s.applicationName = QString::fromLatin1(app);
    s.user = QStringLiteral("shop");
    s.database = QStringLiteral("shop");
    s.state = QString::fromLatin1(state);
    s.query = QString::fromLatin1(query);
    s.backendStartMs = kNow - 600'000 - pid;
    s.xactStartMs = QString::fromLatin1(state).startsWith(u"idle in") ? kNow - qint64(seconds * 1000) : 0;
    s.queryStartMs = kNow - qint64(seconds * 1000);
    s.stateChangeMs = kNow - qint64(seconds * 1000);
    return s;
}

Snapshot classified(QList<Session> sessions, int maxConnections = 40)
{
    Snapshot snapshot;
    snapshot.takenAtMs = kNow;
    snapshot.limits.maxConnections = maxConnections;
    snapshot.sessions = std::move(sessions);
    TagMemory memory;
    memory.apply(snapshot);
    classify(snapshot, LeakRules{});
    return snapshot;
}

} // namespace

class TestHistory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ringKeepsTheNewestPoints()
    {
        History history(5);
        for (int i = 0; i < 12; ++i)
            history.append(pointAt(i, i));
        QCOMPARE(history.size(), 5);
        QCOMPARE(history.capacity(), 5);
        QCOMPARE(history.at(0).bands[0], quint16(7));
        QCOMPARE(history.last().bands[0], quint16(11));
        QCOMPARE(history.lowerBound(kNow + 9000), 2);
        QCOMPARE(history.lowerBound(kNow), 0);
        QCOMPARE(history.lowerBound(kNow + 60'000), 5);
    }

    void oneGapMarkerPerOutage()
    {
        History history;
        history.append(pointAt(0, 3));
        history.appendGap(kNow + 1000);
        history.appendGap(kNow + 2000); // still the same outage
        history.append(pointAt(5, 4));
        history.appendGap(kNow + 6000);
        QCOMPARE(history.size(), 4);
        QVERIFY(history.at(1).gap);
        QCOMPARE(history.at(1).timeMs, kNow + 1000);
        QVERIFY(!history.at(2).gap);
        QVERIFY(history.at(3).gap);
        QCOMPARE(history.at(1).total(), 0); // a gap carries no invented counts
    }

    void aDayFitsTheBudget()
    {
        History history;
        QVERIFY(history.capacity() >= 24 * 3600);
        // Design budget: 24 h at 1 Hz of 5,000 sessions in 256 MB for everything; the chart
        // history must be a small part of it.
        QVERIFY2(history.memoryBytes() < 16u * 1024 * 1024, qPrintable(QString::number(history.memoryBytes())));
    }

    void reductionKeepsPeaks_data()
    {
        QTest::addColumn<int>("points");
        QTest::addColumn<int>("buckets");
        QTest::addColumn<int>("spikeAt");
        QTest::newRow("fewer points than pixels") << 100 << 400 << 37;
        QTest::newRow("hour into 800 px") << 3600 << 800 << 1234;
        QTest::newRow("day into 1000 px") << 86400 << 1000 << 86399;
        QTest::newRow("spike at the start") << 5000 << 300 << 0;
    }
    void reductionKeepsPeaks()
    {
        QFETCH(int, points);
        QFETCH(int, buckets);
        QFETCH(int, spikeAt);
        History history(points);
        for (int i = 0; i < points; ++i)
            history.append(pointAt(i, i == spikeAt ? 500 : 10 + i % 7, i == spikeAt + 1 ? 0 : 1));
        const QList<int> kept =
            reduceForDisplay(history, 0, history.size(), buckets, [](const HistoryPoint &p) { return p.total(); });
        QVERIFY(kept.size() <= qMax(points, 2 * buckets + 2));
        QVERIFY(std::is_sorted(kept.cbegin(), kept.cend()));
        QVERIFY(std::adjacent_find(kept.cbegin(), kept.cend()) == kept.cend());
        QVERIFY2(kept.contains(spikeAt), "the peak was dropped");
        // The trough right after the spike (total 10+…, idle in tx 0) is the lowest of its
        // bucket only when it is lower than its neighbours; the global minimum must survive.
        int lowest = 0;
        for (int i = 1; i < points; ++i) {
            if (history.at(i).total() < history.at(lowest).total())
                lowest = i;
        }
        QVERIFY2(kept.contains(lowest), "the trough was dropped");
    }

    void reductionKeepsGapEdges()
    {
        History history;
        for (int i = 0; i < 5000; ++i) {
            if (i == 2500)
                history.appendGap(kNow + i * 1000);
            else
                history.append(pointAt(i, 5));
        }
        const QList<int> kept =
            reduceForDisplay(history, 0, history.size(), 100, [](const HistoryPoint &p) { return p.total(); });
        QVERIFY(kept.contains(2499));
        QVERIFY(kept.contains(2500));
        QVERIFY(kept.contains(2501));
        QVERIFY(kept.size() < 300);
    }

    void reductionOfAnEmptyOrClampedRange()
    {
        History history;
        const auto total = [](const HistoryPoint &p) { return p.total(); };
        QVERIFY(reduceForDisplay(history, 0, 10, 100, total).isEmpty());
        history.append(pointAt(0, 1));
        QCOMPARE(reduceForDisplay(history, -5, 99, 100, total), QList<int>{0});
    }

    void ownersAreInternedAndRanked()
    {
        History history;
        const Snapshot snapshot = classified({session(1, "orders", "active", 1), session(2, "orders", "idle", 1),
                                              session(3, "billing", "idle in transaction", 70),
                                              session(4, "catalog", "idle", 2)});
        const QList<OwnerSummary> owners = groupOwners(snapshot, OwnerKey::Application);
        history.append(chartSampleOf(snapshot, owners, kNow));
        const HistoryPoint &p = history.last();
        QCOMPARE(int(p.ownerCount), 3);
        QCOMPARE(history.ownerNames().at(p.owners[0].owner), QStringLiteral("orders"));
        QCOMPARE(p.owners[0].count, quint16(2));
        QCOMPARE(p.total(), 4);
        QCOMPARE(p.leaked, quint16(1));
        QCOMPARE(p.limit, quint16(40));
        const auto top = topOwners(history, 0, history.size(), 2);
        QCOMPARE(top.size(), 2);
        QCOMPARE(history.ownerNames().at(top[0].first), QStringLiteral("orders"));
    }

    void ownersBeyondEightAreOther()
    {
        History history;
        QList<Session> sessions;
        for (int i = 0; i < 12; ++i)
            sessions.append(session(100 + i, qPrintable(QStringLiteral("app%1").arg(i, 2, 10, QChar(u'0'))), "idle", 1));
        const Snapshot snapshot = classified(sessions);
        const ChartSample chart = chartSampleOf(snapshot, groupOwners(snapshot, OwnerKey::Application), kNow);
        QCOMPARE(int(chart.point.ownerCount), HistoryPoint::kOwners);
        QCOMPARE(int(chart.point.otherOwners), 12 - HistoryPoint::kOwners);
        QCOMPARE(chart.ownerNames.size(), HistoryPoint::kOwners);
        history.append(chart);
        QCOMPARE(int(history.last().ownerCount), HistoryPoint::kOwners);
        QCOMPARE(history.ownerNames().size(), HistoryPoint::kOwners);
    }

    void filter_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QList<int>>("pids");
        QTest::newRow("no filter") << QString() << QString() << QList<int>{1, 2, 3, 4};
        QTest::newRow("text in query") << "text" << "UPDATE" << QList<int>{3};
        QTest::newRow("text is case-blind") << "text" << "BiLLing" << QList<int>{3};
        QTest::newRow("text as pid") << "text" << "4" << QList<int>{4};
        QTest::newRow("text in stack frame") << "text" << "pay.cpp" << QList<int>{3};
        QTest::newRow("owner") << "owner" << "orders" << QList<int>{1, 2};
        QTest::newRow("leaked only") << "leaked" << "" << QList<int>{3};
        QTest::newRow("idle class") << "class" << "idle" << QList<int>{2, 4};
        QTest::newRow("state for longer than 60 s") << "seconds" << "60" << QList<int>{3};
    }
    void filter()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QList<int>, pids);
        Snapshot snapshot = classified(
            {session(1, "orders", "active", 1), session(2, "orders", "idle", 1),
             session(3, "billing", "idle in transaction", 70,
                     "UPDATE t SET x = 1 /*stack='billing%3A%3Apay%20pay.cpp%3A7'*/"),
             session(4, "catalog", "idle", 2)});
        Session own = session(9, "poolscope", "active", 0);
        own.own = true;
        snapshot.sessions.append(own);
        SessionFilter filter;
        if (field == u"text")
            filter.text = value;
        else if (field == u"owner")
            filter.owner = value;
        else if (field == u"leaked")
            filter.leakedOnly = true;
        else if (field == u"class")
            filter.classes = SessionFilter::classBit(SessionClass::Idle);
        else if (field == u"seconds")
            filter.minStateSeconds = value.toDouble();
        QCOMPARE(filter.isEmpty(), field.isEmpty());
        QList<int> shown;
        for (const Session &s : std::as_const(snapshot.sessions)) {
            if (filter.matches(s))
                shown.append(s.pid);
        }
        QCOMPARE(shown, pids);
    }

    void healthNamesTheLeakingOwner()
    {
        QList<Session> sessions;
        for (int i = 0; i < 31; ++i)
            sessions.append(session(10 + i, "billing-api", "idle in transaction", 240 - i));
        for (int i = 0; i < 3; ++i)
            sessions.append(session(60 + i, "catalog", "active", 1));
        const Snapshot snapshot = classified(sessions, 40);
        const QString line = healthLine(snapshot, groupOwners(snapshot, OwnerKey::Application), OwnerKey::Application);
        QVERIFY2(line.startsWith(u"billing-api holds 31 of 40 usable slots idle in transaction, 31 leaked; oldest 4 min"),
                 qPrintable(line));
        QVERIFY2(line.contains(u"usable connection slots in use"), qPrintable(line)); // 34 of 40: the flood warning
    }

    void healthSaysWhenAllIsWell()
    {
        const Snapshot snapshot = classified({session(1, "orders", "active", 1), session(2, "orders", "idle", 1)}, 100);
        QCOMPARE(healthLine(snapshot, groupOwners(snapshot, OwnerKey::Application), OwnerKey::Application),
                 QStringLiteral("Healthy: 2 of 100 usable slots in use (2 %), nothing leaked"));
    }

    void bouncerHealth()
    {
        BouncerSnapshot snapshot;
        BouncerPool pool;
        pool.database = QStringLiteral("appdb");
        pool.user = QStringLiteral("app");
        pool.clActive = 5;
        pool.svActive = 5;
        pool.size = 5;
        snapshot.pools.append(pool);
        BouncerPool console; // the admin console's pseudo-pool: its client is PoolScope itself
        console.database = QStringLiteral("pgbouncer");
        console.user = QStringLiteral("pgbouncer");
        console.clActive = 1;
        console.size = 2;
        snapshot.pools.append(console);
        QCOMPARE(healthLine(snapshot), QStringLiteral("Healthy: 5 client(s) on 5 server connection(s), none waiting"));
        snapshot.pools[0].clWaiting = 12;
        snapshot.pools[0].maxWaitSeconds = 3;
        QCOMPARE(healthLine(snapshot),
                 QStringLiteral("pool appdb/app: 12 client(s) waiting, longest 3.0 s; 5 of 5 servers active"));
        BouncerDatabase appdb;
        appdb.name = QStringLiteral("appdb");
        appdb.paused = true;
        snapshot.databases.append(appdb);
        snapshot.findings = databaseFindings(snapshot.databases); // as the reader assembles it
        QVERIFY(healthLine(snapshot).startsWith(u"database appdb is paused (RESUME lets its clients through); pool appdb/app: 12"));
        const HistoryPoint p = chartSampleOf(snapshot, kNow).point;
        QCOMPARE(p.waiting, quint16(12));
        QCOMPARE(p.limit, quint16(5));
        QCOMPARE(p.bands[4], quint16(5)); // clients active, the console's own not counted
        QCOMPARE(p.bands[0], quint16(5));
        QCOMPARE(p.maxWaitSeconds, 3.0f);
    }
};

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
