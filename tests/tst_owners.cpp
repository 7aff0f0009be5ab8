#include "analysis/owners.h"

#include <QTest>

using namespace poolscope;

Q_DECLARE_METATYPE(poolscope::OwnerKey)

namespace {

constexpr qint64 kNow = 1'800'000'000'000;

Session tagged(int pid, const char *app, const char *state, double seconds, const char *query)
{
    Session s;
    s.pid = pid;
    s.applicationName = QString::fromLatin1(app);
    s.user = QStringLiteral("u_") + s.applicationName;
    s.database = QStringLiteral("shop");
    s.clientAddr = QStringLiteral("10.0.0.%1").arg(pid % 3);
    s.state = QString::fromLatin1(state);
    s.query = QString::fromLatin1(query);
    s.backendStartMs = kNow - 100'000 - pid;
    s.queryStartMs = kNow - qint64(seconds * 1000) - 1;
    s.stateChangeMs = kNow - qint64(seconds * 1000);
    return s;
}

Snapshot analysed(QList<Session> sessions, TagMemory &memory)
{
    Snapshot snapshot;
    snapshot.takenAtMs = kNow;
    snapshot.limits.maxConnections = 20;
    snapshot.sessions = std::move(sessions);
    memory.apply(snapshot);
    classify(snapshot, LeakRules{});
    return snapshot;
}

const char kLeakQuery[] = "SELECT 1 /*stack='orders%3A%3Apay%20pay.cpp%3A42|http%3A%3Aserve'*/";
const char kOtherQuery[] = "SELECT 2 /*stack='orders%3A%3Alist%20list.cpp%3A9'*/";

} // namespace

class TestOwners : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keys_data()
    {
        QTest::addColumn<OwnerKey>("key");
        QTest::addColumn<QStringList>("owners"); // in the order groupOwners returns them
        QTest::newRow("application") << OwnerKey::Application
                                     << QStringList{QStringLiteral("orders"), QStringLiteral("catalog")};
        QTest::newRow("user") << OwnerKey::User << QStringList{QStringLiteral("u_orders"), QStringLiteral("u_catalog")};
        QTest::newRow("database") << OwnerKey::Database << QStringList{QStringLiteral("shop")};
        QTest::newRow("code") << OwnerKey::CodeLocation
                              << QStringList{QStringLiteral("orders::pay pay.cpp:42"),
                                             QStringLiteral("(untagged) catalog"), QStringLiteral("orders::list list.cpp:9")};
    }

    void keys()
    {
        QFETCH(OwnerKey, key);
        QFETCH(QStringList, owners);
        TagMemory memory;
        const Snapshot snapshot = analysed({tagged(1, "orders", "idle in transaction (aborted)", 30, kLeakQuery),
                                            tagged(2, "orders", "idle in transaction (aborted)", 40, kLeakQuery),
                                            tagged(3, "orders", "idle", 1, kOtherQuery),
                                            tagged(4, "catalog", "active", 1, "SELECT 3"),
                                            tagged(5, "catalog", "idle", 2, "SELECT 4")},
                                           memory);
        QStringList names;
        for (const OwnerSummary &owner : groupOwners(snapshot, key))
            names.append(owner.owner);
        QCOMPARE(names, owners);
    }

    void countsAndStacks()
    {
        TagMemory memory;
        const Snapshot snapshot = analysed({tagged(1, "orders", "idle in transaction (aborted)", 30, kLeakQuery),
                                            tagged(2, "orders", "idle in transaction (aborted)", 40, kLeakQuery),
                                            tagged(3, "orders", "idle", 1, kOtherQuery),
                                            tagged(4, "catalog", "active", 1, "SELECT 3")},
                                           memory);
        const QList<OwnerSummary> owners = groupOwners(snapshot, OwnerKey::Application);
        QCOMPARE(owners.size(), 2);
        const OwnerSummary &orders = owners[0];
        QCOMPARE(orders.owner, QStringLiteral("orders"));
        QCOMPARE(orders.total, 3);
        QCOMPARE(orders.leaked, 2);
        QCOMPARE(orders.byClass[int(SessionClass::IdleInTransactionAborted)], 2);
        QCOMPARE(orders.byClass[int(SessionClass::Idle)], 1);
        QCOMPARE(orders.oldestTransactionSeconds, 40.0);
        QCOMPARE(orders.stacks.size(), 2);
        QCOMPARE(orders.stacks[0].frames, (QStringList{QStringLiteral("orders::pay pay.cpp:42"), QStringLiteral("http::serve")}));
        QCOMPARE(orders.stacks[0].sessions, 2);
        QCOMPARE(orders.stacks[0].leaked, 2);
        QCOMPARE(orders.stacks[1].sessions, 1);
    }

    // COMMIT or ROLLBACK overwrites pg_stat_activity.query: the stack must survive it.
    void memoryKeepsLastTaggedQuery()
    {
        TagMemory memory;
        Snapshot first = analysed({tagged(1, "orders", "idle in transaction", 1, kLeakQuery)}, memory);
        QCOMPARE(first.sessions[0].stack.size(), 2);
        QVERIFY(!first.sessions[0].tagsRemembered);

        Session later = tagged(1, "orders", "idle", 0.5, "ROLLBACK");
        Snapshot second = analysed({later}, memory);
        QCOMPARE(second.sessions[0].stack, first.sessions[0].stack);
        QVERIFY(second.sessions[0].tagsRemembered);

        // A new backend with the same pid is another session: nothing carries over.
        Session reused = tagged(1, "orders", "idle", 0.5, "ROLLBACK");
        reused.backendStartMs += 5000;
        Snapshot third = analysed({reused}, memory);
        QVERIFY(third.sessions[0].stack.isEmpty());
        QCOMPARE(memory.size(), 1); // the old backend's entry is forgotten
    }

    void ownerShare()
    {
        TagMemory memory;
        QList<Session> sessions;
        for (int i = 0; i < 8; ++i)
            sessions.append(tagged(10 + i, "reports", "idle", 30, "SELECT 1"));
        sessions.append(tagged(30, "orders", "active", 1, "SELECT 1"));
        const Snapshot snapshot = analysed(sessions, memory); // 20 usable slots
        const QList<OwnerSummary> owners = groupOwners(snapshot, OwnerKey::Application);
        const QList<Finding> findings = ownerShareFindings(owners, snapshot, LeakRules{}, OwnerKey::Application);
        QCOMPARE(findings.size(), 1);
        QVERIFY(findings[0].message.contains(QLatin1String("reports holds 8 of 20")));
    }

    void leakTrendNeedsConsecutiveRises()
    {
        LeakTrend trend(3);
        const auto sample = [&](int leaked) {
            OwnerSummary location{QStringLiteral("orders::pay pay.cpp:42")};
            location.leaked = leaked;
            return trend.update({location});
        };
        QVERIFY(sample(1).isEmpty());
        QVERIFY(sample(2).isEmpty());
        const QList<Finding> rising = sample(3);
        QCOMPARE(rising.size(), 1);
        QCOMPARE(rising[0].code, QStringLiteral("leak-rising"));
        QVERIFY(rising[0].message.contains(QStringView(u"(1 → 3)")));
        QVERIFY(sample(3).isEmpty()); // flat: a burst that stopped
        QVERIFY(sample(2).isEmpty());
    }

    // The trace id of the last tagged query stays with the session, as its tags do.
    void traceIdIsRemembered()
    {
        TagMemory memory;
        const char traced[] = "SELECT 1 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/";
        Snapshot first = analysed({tagged(1, "orders", "idle in transaction", 1, traced)}, memory);
        QCOMPARE(first.sessions[0].traceId, QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
        Snapshot second = analysed({tagged(1, "orders", "idle", 0.5, "COMMIT")}, memory);
        QCOMPARE(second.sessions[0].traceId, QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
        Snapshot third = analysed({tagged(1, "orders", "active", 0.2, "SELECT 2 /*traceparent='00-zz'*/")}, memory);
        QVERIFY(third.sessions[0].traceId.isEmpty());
    }

    void ownerKeyNames()
    {
        QCOMPARE(ownerKeyFromName(QStringLiteral("code")), OwnerKey::CodeLocation);
        QCOMPARE(ownerKeyFromName(QStringLiteral("User")), OwnerKey::User);
        QVERIFY(!ownerKeyFromName(QStringLiteral("nonsense")));
    }
};

QTEST_GUILESS_MAIN(TestOwners)
#include "tst_owners.moc"
