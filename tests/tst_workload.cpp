// The demo's web shop against the real bench: each scenario leaves its signature in the
// core's snapshots, and the healthy shop leaves none.
#include "callsite.h"
#include "analysis/classifier.h"
#include "analysis/owners.h"
#include "livesampler.h"
#include "shop.h"
#include "testsupport.h"

using namespace poolscope;
using namespace poolscope::workload;

namespace {

Snapshot readOnce(const QString &conninfo, const LeakRules &rules)
{
    return LiveSampler(conninfo).read(rules);
}

int sessionsOf(const QString &conninfo, const QString &application)
{
    const Snapshot snapshot = readOnce(conninfo, LeakRules{});
    return int(std::count_if(snapshot.sessions.cbegin(), snapshot.sessions.cend(),
                             [&](const Session &s) { return s.applicationName == application; }));
}

// A busy little shop: 20 requests a second per service, pools of four.
ShopOptions busyShop(const QString &conninfo, Scenario scenario)
{
    ShopOptions options;
    options.conninfo = conninfo.toUtf8();
    options.poolSize = 4;
    options.requestsPerSecond = 20;
    options.checkoutWait = std::chrono::milliseconds(500);
    options.scenario = scenario;
    return options;
}

} // namespace

class TestWorkload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        QString error;
        QVERIFY2(Shop::prepare(POOLSCOPE_TEST_PG_APP.toUtf8(), &error), qPrintable(error));
    }

    void callSitesAreRealFrames()
    {
        QCOMPARE(shortFunctionName("bool poolscope::workload::Shop::checkout(ConnectionPool&, int)"),
                 QStringLiteral("poolscope::workload::Shop::checkout"));
        QStringList frames;
        {
            CallSite outer;
            {
                CallSite inner;
                frames = CallSite::chain();
            }
        }
        QCOMPARE(frames.size(), 2);
        QVERIFY2(frames[0].startsWith(u"TestWorkload::callSitesAreRealFrames tst_workload.cpp:"), qPrintable(frames[0]));
        QVERIFY(CallSite::chain().isEmpty());
        QCOMPARE(CallSite::encoded({QStringLiteral("a::b x.cpp:1"), QStringLiteral("c y.cpp:2")}),
                 QStringLiteral("a%3A%3Ab%20x.cpp%3A1|c%20y.cpp%3A2"));
    }

    void leakOnTheErrorPathDrainsBilling()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        Shop shop(busyShop(POOLSCOPE_TEST_PG_APP, Scenario::LeakOnError));
        shop.start();
        // Every fourth checkout is declined and leaks its connection: billing's pool drains...
        QTRY_VERIFY_WITH_TIMEOUT(shop.stats().pools[2].inUse == 4 && shop.stats().pools[2].open == 4, 20000);
        // ...and requests start failing for want of a connection.
        QTRY_VERIFY_WITH_TIMEOUT(shop.stats().pools[2].timeouts > 0, 10000);
        QVERIFY(shop.stats().failed > 0);
        QTest::qWait(1200); // older than the rule below
        LeakRules rules;
        rules.abortedLeakedAfter = 1;
        const Snapshot snapshot = readOnce(POOLSCOPE_TEST_PG, rules);
        QList<const Session *> leaked;
        for (const Session &s : snapshot.sessions) {
            if (s.leak == LeakVerdict::Leaked)
                leaked.append(&s);
        }
        QCOMPARE(leaked.size(), 4);
        for (const Session *s : std::as_const(leaked)) {
            QCOMPARE(s->applicationName, QStringLiteral("billing"));
            QCOMPARE(s->sessionClass, SessionClass::IdleInTransactionAborted);
            QVERIFY2(s->stack.size() == 2 && s->stack[0].startsWith(u"poolscope::workload::Shop::checkout shop.cpp:")
                         && s->stack[1].startsWith(u"poolscope::workload::Shop::serve shop.cpp:"),
                     qPrintable(s->stack.join(u'|')));
        }
        // The owners view's key: the code location that leaks comes first.
        const QList<OwnerSummary> byCode = groupOwners(snapshot, OwnerKey::CodeLocation);
        QVERIFY(!byCode.isEmpty());
        QVERIFY2(byCode.first().owner.startsWith(u"poolscope::workload::Shop::checkout shop.cpp:"),
                 qPrintable(byCode.first().owner));
        QCOMPARE(byCode.first().leaked, 4);
        // Stopping the shop closes every connection, the leaked ones too.
        shop.stop();
        QTRY_COMPARE_WITH_TIMEOUT(sessionsOf(POOLSCOPE_TEST_PG, QStringLiteral("billing")), 0, 10000);
    }

    void healthyShopLeaksNothing()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        Shop shop(busyShop(POOLSCOPE_TEST_PG_APP, Scenario::Healthy));
        shop.start();
        QTRY_VERIFY_WITH_TIMEOUT(shop.stats().served > 40, 20000);
        LeakRules rules;
        rules.abortedLeakedAfter = 1;
        rules.idleInTxLeakedAfter = 1;
        const Snapshot snapshot = readOnce(POOLSCOPE_TEST_PG, rules);
        QCOMPARE(snapshot.totals.leaked, 0);
        QCOMPARE(shop.stats().failed, 0); // declined cards roll back and are answered
        QCOMPARE(shop.stats().pools[2].timeouts, 0);
        shop.stop();
    }
};

QTEST_GUILESS_MAIN(TestWorkload)
#include "tst_workload.moc"
