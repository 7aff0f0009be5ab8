#include "analysis/classifier.h"
#include "analysis/health.h"
#include "model/history.h"
#include "analysis/sessionfilter.h"
#include "pgbouncer/bouncerparse.h"

#include <QMap>
#include <QRandomGenerator>
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
            reduceForDisplay(history, 0, history.size(), buckets);
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

    void summariesGiveThePointsAnswer_data()
    {
        QTest::addColumn<int>("capacity");
        QTest::addColumn<int>("appended");
        QTest::addColumn<int>("buckets");
        QTest::newRow("a day into 1000 px") << 86400 << 86400 << 1000;
        QTest::newRow("ring wrapped, blocks cut at the oldest") << 5000 << 12345 << 300;
        QTest::newRow("more pixels than blocks") << 20000 << 20000 << 5000;
        QTest::newRow("a block per pixel or so") << 6400 << 6400 << 97;
    }

    // The block summaries that make a day's chart cheap give exactly what reading every point
    // gives: the same points kept, the same owners' peaks, wherever the window starts and ends.
    void summariesGiveThePointsAnswer()
    {
        QFETCH(int, capacity);
        QFETCH(int, appended);
        QFETCH(int, buckets);
        History history(capacity);
        quint32 seed = 12345;
        const auto random = [&seed](int n) {
            seed = seed * 1103515245u + 12345u;
            return int((seed >> 16) % quint32(n));
        };
        for (int i = 0; i < appended; ++i) {
            if (random(997) == 0) {
                history.appendGap(kNow + i * 1000);
                continue;
            }
            HistoryPoint p = pointAt(i, random(50), random(20));
            p.ownerCount = quint8(1 + random(HistoryPoint::kOwners));
            for (int o = 0; o < p.ownerCount; ++o)
                p.owners[std::size_t(o)] = {history.internOwner(QStringLiteral("owner-%1").arg(random(30))),
                                            quint16(random(100))};
            history.append(p);
        }
        // What the reduction and the owners' peaks are by reading every point.
        const auto reference = [&history](int first, int last, qint64 originMs, qint64 bucketMs) {
            QList<int> kept;
            if (first >= last)
                return kept;
            const auto bucketOf = [&](int i) {
                return qint64(std::floor(double(history.at(i).timeMs - originMs) / double(bucketMs)));
            };
            if (last - first <= 2 * (bucketOf(last - 1) - bucketOf(first) + 1)) {
                for (int i = first; i < last; ++i)
                    kept.append(i);
                return kept;
            }
            const auto keep = [&kept](int i) {
                if (kept.isEmpty() || kept.last() < i)
                    kept.append(i);
            };
            for (int i = first; i < last;) {
                const qint64 bucket = bucketOf(i);
                int low = -1, high = -1;
                for (; i < last && bucketOf(i) == bucket; ++i) {
                    if (history.at(i).gap) {
                        if (low >= 0) {
                            keep(std::min(low, high));
                            keep(std::max(low, high));
                        }
                        low = high = -1;
                        if (i > first)
                            keep(i - 1);
                        keep(i);
                        if (i + 1 < last)
                            keep(i + 1);
                        continue;
                    }
                    const int v = history.at(i).total();
                    if (low < 0 || v < history.at(low).total())
                        low = i;
                    if (high < 0 || v > history.at(high).total())
                        high = i;
                }
                if (low >= 0) {
                    keep(std::min(low, high));
                    keep(std::max(low, high));
                }
            }
            return kept;
        };
        const auto peaks = [&history](int first, int last) {
            QMap<quint16, int> peak;
            for (int i = first; i < last; ++i) {
                const HistoryPoint &p = history.at(i);
                for (int o = 0; o < p.ownerCount; ++o)
                    peak[p.owners[std::size_t(o)].owner] = std::max(peak.value(p.owners[std::size_t(o)].owner),
                                                                   int(p.owners[std::size_t(o)].count));
            }
            return peak;
        };
        for (const auto &[first, last] : {std::pair{0, history.size()}, std::pair{history.size() / 3, history.size()},
                                          std::pair{17, history.size() - 5}, std::pair{history.size() - 300, history.size()}}) {
            // Buckets from the first point, and on a grid from a later origin (a chart's axis
            // starts after the point before it, which then has a bucket of its own).
            const qint64 t0 = history.at(first).timeMs;
            const qint64 bucketMs = (history.at(last - 1).timeMs - t0 + 1 + buckets - 1) / buckets;
            const std::pair<QList<int>, QList<int>> reductions[] = {
                {reduceForDisplay(history, first, last, buckets), reference(first, last, t0, bucketMs)},
                {reduceForDisplay(history, first, last, t0 + 12'345, bucketMs), reference(first, last, t0 + 12'345, bucketMs)}};
            for (const auto &[kept, expected] : reductions) {
                // Equal totals may pick either point of a tie: compare the totals kept, and
                // every gap edge exactly.
                QCOMPARE(kept.size(), expected.size());
                for (int k = 0; k < kept.size(); ++k) {
                    QCOMPARE(history.at(kept[k]).total(), history.at(expected[k]).total());
                    QCOMPARE(history.at(kept[k]).gap, history.at(expected[k]).gap);
                }
            }
            const QMap<quint16, int> expectedPeaks = peaks(first, last);
            const QList<std::pair<quint16, int>> top = topOwners(history, first, last, 1000);
            QCOMPARE(top.size(), expectedPeaks.size());
            for (const auto &[owner, count] : top)
                QCOMPARE(count, expectedPeaks.value(owner));
        }
    }

    // A chart that keeps its grid while the present moves on: a new point changes only the
    // newest bucket's points, so the chart can leave every series whose points are the same.
    void reductionOnAFixedGridChangesOnlyTheNewestBucket()
    {
        History history;
        QRandomGenerator random(7);
        const qint64 bucketMs = 173'000;
        const qint64 originMs = kNow + 500'000;
        int changedTicks = 0;
        for (int i = 0; i < 20'000; ++i) {
            const QList<int> before = reduceForDisplay(history, 0, history.size(), originMs, bucketMs);
            history.append(pointAt(i, 20 + random.bounded(30)));
            const QList<int> after = reduceForDisplay(history, 0, history.size(), originMs, bucketMs);
            if (history.size() <= 3)
                continue; // up to two points a bucket all are kept: the third starts the reduction
            // The first points lie before the origin, in buckets of their own: floored.
            const qint64 newestBucket = qint64(std::floor(double(history.last().timeMs - originMs) / double(bucketMs)));
            const qint64 newestBucketStart = originMs + newestBucket * bucketMs;
            const auto older = [&](const QList<int> &kept) {
                QList<int> out;
                for (int k : kept) {
                    if (history.at(k).timeMs < newestBucketStart)
                        out.append(k);
                }
                return out;
            };
            QCOMPARE(older(after), older(before));
            changedTicks += after != before;
        }
        // The newest bucket does change now and then: the check above is not comparing nothing.
        QVERIFY(changedTicks > 100);
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
            reduceForDisplay(history, 0, history.size(), 100);
        QVERIFY(kept.contains(2499));
        QVERIFY(kept.contains(2500));
        QVERIFY(kept.contains(2501));
        QVERIFY(kept.size() < 300);
    }

    void reductionOfAnEmptyOrClampedRange()
    {
        History history;
        QVERIFY(reduceForDisplay(history, 0, 10, 100).isEmpty());
        history.append(pointAt(0, 1));
        QCOMPARE(reduceForDisplay(history, -5, 99, 100), QList<int>{0});
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
