// Alerts fire once when a condition appears, name the top owners, and clear when it goes.
#include "analysis/alerts.h"
#include "analysis/classifier.h"

#include <QTest>

using namespace poolscope;

namespace {

constexpr qint64 kNow = 1'800'000'000'000;

// `leaked` aborted transactions of billing and `idle` idle sessions of catalog, on a server
// with `slots` usable slots.
Snapshot sample(int leaked, int idle, int slots = 100)
{
    Snapshot snapshot;
    snapshot.takenAtMs = kNow;
    snapshot.limits.maxConnections = slots;
    int pid = 100;
    const auto add = [&](const char *app, const char *state) {
        Session s;
        s.pid = ++pid;
        s.applicationName = QString::fromLatin1(app);
        s.state = QString::fromLatin1(state);
        s.backendStartMs = kNow - 600'000 - pid;
        s.xactStartMs = s.stateChangeMs = s.queryStartMs = kNow - 60'000;
        snapshot.sessions.append(s);
    };
    for (int i = 0; i < leaked; ++i)
        add("billing", "idle in transaction (aborted)");
    for (int i = 0; i < idle; ++i)
        add("catalog", "idle");
    TagMemory memory;
    memory.apply(snapshot);
    classify(snapshot, LeakRules{});
    return snapshot;
}

QStringList codes(const QList<Alert> &alerts)
{
    QStringList list;
    for (const Alert &a : alerts)
        list.append(a.code);
    list.sort();
    return list;
}

} // namespace

class TestAlerts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firesOnceAndClears()
    {
        AlertTracker tracker;
        auto step = [&](int leaked, int idle, qint64 t) {
            const Snapshot s = sample(leaked, idle);
            return tracker.update(QStringLiteral("db1"), s, groupOwners(s, OwnerKey::Application), kNow + t);
        };
        QVERIFY(step(0, 10, 0).isEmpty());
        AlertTracker::Changes c = step(2, 10, 1000);
        QCOMPARE(codes(c.fired), QStringList{QStringLiteral("leaked")});
        QCOMPARE(c.fired[0].message, QStringLiteral("2 leaked session(s): billing 2"));
        QCOMPARE(c.fired[0].firedAtMs, kNow + 1000);
        QVERIFY(step(2, 10, 2000).fired.isEmpty()); // still the same alert: nothing new
        c = step(3, 10, 3000); // 0 → 2 → 2 → 3 is not three rises in a row
        QVERIFY(c.isEmpty());
        c = step(4, 10, 4000); // 2 → 3 → 4: rising
        QCOMPARE(codes(c.fired), QStringList{QStringLiteral("leak-rising")});
        QVERIFY2(c.fired[0].message.contains(u"(2 → 4): billing 4"), qPrintable(c.fired[0].message));
        QVERIFY(step(4, 10, 5000).isEmpty()); // holds: stays active
        c = step(0, 10, 6000);
        QCOMPARE(codes(c.cleared), (QStringList{QStringLiteral("leak-rising"), QStringLiteral("leaked")}));
        QCOMPARE(c.cleared[0].clearedAtMs, kNow + 6000);
        QVERIFY(tracker.active().isEmpty());
        QCOMPARE(tracker.history().size(), 2);
    }

    void slotsNameTheTopOwners()
    {
        AlertTracker tracker;
        const Snapshot s = sample(30, 55, 100);
        const AlertTracker::Changes c = tracker.update(QStringLiteral("db1"), s, groupOwners(s, OwnerKey::Application), kNow);
        QCOMPARE(codes(c.fired), (QStringList{QStringLiteral("leaked"), QStringLiteral("slots")}));
        const Alert &slots = c.fired[0].code == u"slots" ? c.fired[0] : c.fired[1];
        QCOMPARE(slots.message, QStringLiteral("85 of 100 usable slots in use (85 %); top owners: catalog 55, billing 30"));
    }

    void thresholdsAreConfigurable()
    {
        AlertRules rules;
        rules.slotsUsedPercent = 95;
        rules.leakedSessions = false;
        rules.risingSamples = 0;
        AlertTracker tracker(rules);
        const Snapshot s = sample(30, 55, 100);
        QVERIFY(tracker.update(QStringLiteral("db1"), s, groupOwners(s, OwnerKey::Application), kNow).isEmpty());
    }

    void bouncerWaitingClients()
    {
        AlertTracker tracker;
        BouncerSnapshot snapshot;
        BouncerPool pool;
        pool.database = QStringLiteral("appdb");
        pool.user = QStringLiteral("app");
        pool.size = 5;
        pool.svActive = 5;
        pool.clWaiting = 12;
        pool.maxWaitSeconds = 2;
        snapshot.pools = {pool};
        AlertTracker::Changes c = tracker.update(QStringLiteral("pgb"), snapshot, {}, kNow);
        QCOMPARE(codes(c.fired), QStringList{QStringLiteral("slots")}); // waiting, but not for 5 s yet
        snapshot.pools[0].maxWaitSeconds = 7;
        c = tracker.update(QStringLiteral("pgb"), snapshot, {}, kNow + 1000);
        QCOMPARE(codes(c.fired), QStringList{QStringLiteral("waiting")});
        QCOMPARE(c.fired[0].message, QStringLiteral("clients waiting for a server: appdb/app: 12 waiting, longest 7.0 s"));
        snapshot.pools[0].clWaiting = 0;
        snapshot.pools[0].svActive = 1;
        c = tracker.update(QStringLiteral("pgb"), snapshot, {}, kNow + 2000);
        QCOMPARE(codes(c.cleared), (QStringList{QStringLiteral("slots"), QStringLiteral("waiting")}));
    }

    // What the linker finds with the server behind the console open too raises alerts of its
    // own: a pool starved by leaked backends is the leak incident seen from PgBouncer.
    void linkerFindingsRaiseAlerts()
    {
        AlertTracker tracker;
        const BouncerSnapshot snapshot;
        const QList<Finding> linked{
            {Finding::Severity::Critical, QStringLiteral("pool-starved"), QStringLiteral("appdb/app: 3 clients wait")},
            {Finding::Severity::Info, QStringLiteral("note"), QStringLiteral("not an alert")}};
        AlertTracker::Changes c = tracker.update(QStringLiteral("pgb"), snapshot, linked, kNow);
        QCOMPARE(codes(c.fired), QStringList{QStringLiteral("pool-starved")});
        QCOMPARE(c.fired[0].message, QStringLiteral("appdb/app: 3 clients wait"));
        QVERIFY(tracker.update(QStringLiteral("pgb"), snapshot, linked, kNow + 1000).isEmpty());
        c = tracker.update(QStringLiteral("pgb"), snapshot, {}, kNow + 2000);
        QCOMPARE(codes(c.cleared), QStringList{QStringLiteral("pool-starved")});
    }
};

QTEST_GUILESS_MAIN(TestAlerts)
#include "tst_alerts.moc"
