#include "analysis/callsites.h"
#include "analysis/owners.h"
#include "analysis/tracecontext.h"

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

Snapshot analysed(QList<Session> sessions, TagMemory &memory, AppCallSiteCache *callSites = nullptr,
                  const LeakRules &rules = {})
{
    Snapshot snapshot;
    snapshot.takenAtMs = kNow;
    snapshot.limits.maxConnections = 20;
    snapshot.sessions = std::move(sessions);
    memory.apply(snapshot);
    if (callSites)
        callSites->apply(snapshot);
    classify(snapshot, rules);
    return snapshot;
}

AppCallSites patterns(const QStringList &list)
{
    AppCallSites callSites;
    callSites.patterns = list;
    return callSites;
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

    // What the default patterns read from the names pgjdbc, psycopg and pgx users set.
    void callSites_data()
    {
        QTest::addColumn<QStringList>("patterns"); // empty: the defaults
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("owner"); // empty: no pattern reads the name
        QTest::addColumn<QString>("frame");
        const QStringList defaults;
        QTest::newRow("pgjdbc file:line") << defaults << QStringLiteral("billing@OrderRepo.java:212")
                                          << QStringLiteral("billing") << QStringLiteral("OrderRepo.java:212");
        QTest::newRow("pgjdbc stack trace element")
            << defaults << QStringLiteral("billing@com.shop.OrderRepo.save(OrderRepo.java:212)") << QStringLiteral("billing")
            << QStringLiteral("com.shop.OrderRepo.save(OrderRepo.java:212)");
        QTest::newRow("kotlin, dashed owner") << defaults << QStringLiteral("order-api@Checkout.kt:40")
                                              << QStringLiteral("order-api") << QStringLiteral("Checkout.kt:40");
        QTest::newRow("psycopg function@file") << defaults << QStringLiteral("billing:save_order@orders.py:12")
                                               << QStringLiteral("billing") << QStringLiteral("save_order@orders.py:12");
        QTest::newRow("psycopg module level") << defaults << QStringLiteral("jobs:<module>@app/nightly.py:3")
                                              << QStringLiteral("jobs") << QStringLiteral("<module>@app/nightly.py:3");
        QTest::newRow("python owner@file") << defaults << QStringLiteral("billing@orders.py:12") << QStringLiteral("billing")
                                           << QStringLiteral("orders.py:12");
        QTest::newRow("pgx (file:line)") << defaults << QStringLiteral("billing (orders/repo.go:123)")
                                         << QStringLiteral("billing") << QStringLiteral("orders/repo.go:123");
        QTest::newRow("through PgBouncer's application_name_add_host")
            << defaults << QStringLiteral("billing@OrderRepo.java:212 - 10.0.0.5:53422") << QStringLiteral("billing")
            << QStringLiteral("OrderRepo.java:212");
        QTest::newRow("plain name") << defaults << QStringLiteral("billing") << QString() << QString();
        QTest::newRow("a user at a host") << defaults << QStringLiteral("alice@laptop") << QString() << QString();
        QTest::newRow("an address is no frame") << defaults << QStringLiteral("psql@db.internal:5432") << QString() << QString();
        QTest::newRow("no line number") << defaults << QStringLiteral("billing@OrderRepo.java") << QString() << QString();
        QTest::newRow("cut at 63 bytes mid-extension")
            << defaults << QStringLiteral("billing-service-with-a-long-name@com.shop.billing.OrderRepository.ja")
            << QString() << QString();
        QTest::newRow("psql") << defaults << QStringLiteral("psql") << QString() << QString();
        QTest::newRow("pg_dump") << defaults << QStringLiteral("pg_dump") << QString() << QString();
        QTest::newRow("empty") << defaults << QString() << QString() << QString();
        const QStringList custom{QStringLiteral(R"(^svc=(?<owner>\w+);at=(?<frame>\S+)$)")};
        QTest::newRow("custom") << custom << QStringLiteral("svc=billing;at=Repo.scala:9") << QStringLiteral("billing")
                                << QStringLiteral("Repo.scala:9");
        QTest::newRow("custom only: defaults dropped") << custom << QStringLiteral("billing@OrderRepo.java:212") << QString()
                                                      << QString();
        QTest::newRow("custom, owner only") << QStringList{QStringLiteral(R"(^(?<owner>\w+)/(?<frame>)\d+$)")}
                                            << QStringLiteral("worker/17") << QStringLiteral("worker") << QString();
        QTest::newRow("first that matches wins")
            << QStringList{QStringLiteral(R"(^(?<owner>a)(?<frame>.*)$)"), QStringLiteral(R"(^(?<owner>ab)(?<frame>.*)$)")}
            << QStringLiteral("abc") << QStringLiteral("a") << QStringLiteral("bc");
        QTest::newRow("an empty owner is no match")
            << QStringList{QStringLiteral(R"(^(?<owner>x*)@(?<frame>.*)$)"), QStringLiteral(R"(^(?<owner>\w+)@(?<frame>.*)$)")}
            << QStringLiteral("billing@here") << QStringLiteral("billing") << QStringLiteral("here");
    }

    void callSites()
    {
        QFETCH(QStringList, patterns);
        QFETCH(QString, name);
        QFETCH(QString, owner);
        QFETCH(QString, frame);
        AppCallSiteCache cache(patterns.isEmpty() ? AppCallSites() : ::patterns(patterns));
        for (int lookup = 0; lookup < 2; ++lookup) { // read, then from the cache
            const AppCallSite *site = cache.find(name);
            QCOMPARE(site != nullptr, !owner.isEmpty());
            if (!site)
                continue;
            QCOMPARE(site->owner, owner);
            QCOMPARE(site->stack, frame.isEmpty() ? QStringList() : QStringList{frame});
        }
        // The same text in another string (a reader that does not share it) reads the same.
        const AppCallSite *again = cache.find(QString(name.constData(), name.size()));
        QCOMPARE(again ? again->owner : QString(), owner);
    }

    void callSitePatternProblems_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("problem"); // in part; empty: usable
        QTest::newRow("a default") << AppCallSites::defaults().first() << QString();
        QTest::newRow("both groups") << QStringLiteral("(?<owner>.+)@(?<frame>.+)") << QString();
        QTest::newRow("not a regular expression") << QStringLiteral("(?<owner>.+@(?<frame>.+)")
                                                  << QStringLiteral("not a regular expression");
        QTest::newRow("no frame") << QStringLiteral("(?<owner>.+)@.+") << QStringLiteral("has no (?<frame>…) group");
        QTest::newRow("no owner") << QStringLiteral("(?<app>.+)@(?<frame>.+)") << QStringLiteral("has no (?<owner>…) group");
        QTest::newRow("no groups") << QStringLiteral("(.+)@(.+)") << QStringLiteral("(?<owner>…) or (?<frame>…)");
        QTest::newRow("empty") << QString() << QStringLiteral("has no");
    }

    void callSitePatternProblems()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, problem);
        const QString found = AppCallSites::problem(pattern);
        QVERIFY2(problem.isEmpty() ? found.isEmpty() : found.contains(problem), qPrintable(found));
    }

    // Two call sites of billing are one owner by application, with two code locations; a stack
    // sent in the query comments is the session's, the name's frame only fills in for none.
    void callSitesGroupOneOwner()
    {
        TagMemory memory;
        AppCallSiteCache callSites;
        const Snapshot snapshot = analysed({tagged(1, "billing@OrderRepo.java:212", "idle in transaction (aborted)", 30, "SELECT 1"),
                                            tagged(2, "billing@OrderRepo.java:212", "idle", 1, "SELECT 1"),
                                            tagged(3, "billing@InvoiceJob.java:48", "active", 1, "SELECT 2"),
                                            tagged(4, "billing@InvoiceJob.java:48", "idle", 1, kOtherQuery),
                                            tagged(5, "catalog", "idle", 1, "SELECT 3")},
                                           memory, &callSites);
        const QList<OwnerSummary> byApplication = groupOwners(snapshot, OwnerKey::Application);
        QCOMPARE(byApplication.size(), 2);
        const OwnerSummary &billing = byApplication[0];
        QCOMPARE(billing.owner, QStringLiteral("billing"));
        QCOMPARE(billing.total, 4);
        QCOMPARE(billing.leaked, 1);
        QCOMPARE(billing.stacks.size(), 3);
        QCOMPARE(billing.stacks[0].frames, QStringList{QStringLiteral("OrderRepo.java:212")});
        QCOMPARE(billing.stacks[0].sessions, 2);
        QCOMPARE(billing.stacks[1].frames, QStringList{QStringLiteral("InvoiceJob.java:48")});
        QCOMPARE(billing.stacks[1].sessions, 1);
        QCOMPARE(billing.stacks[2].frames, QStringList{QStringLiteral("orders::list list.cpp:9")});
        QCOMPARE(byApplication[1].owner, QStringLiteral("catalog"));

        QStringList locations;
        for (const OwnerSummary &location : groupOwners(snapshot, OwnerKey::CodeLocation))
            locations.append(location.owner);
        QCOMPARE(locations, (QStringList{QStringLiteral("OrderRepo.java:212"), QStringLiteral("(untagged) catalog"),
                                         QStringLiteral("InvoiceJob.java:48"), QStringLiteral("orders::list list.cpp:9")}));
        // Where each one came from, and the whole name kept.
        QVERIFY(snapshot.sessions[0].stackFromApplicationName);
        QCOMPARE(snapshot.sessions[0].applicationName, QStringLiteral("billing@OrderRepo.java:212"));
        QVERIFY(!snapshot.sessions[3].stackFromApplicationName);
        QCOMPARE(snapshot.sessions[3].applicationOwner, QStringLiteral("billing"));
        QVERIFY(snapshot.sessions[4].applicationOwner.isEmpty());
        QCOMPARE(ownerOf(snapshot.sessions[4], OwnerKey::Application), QStringLiteral("catalog"));
    }

    // Without patterns a name is the owner, call site and all; an ignore rule for the owner
    // covers its call sites.
    void callSitesOffAndIgnored()
    {
        TagMemory memory;
        AppCallSiteCache none(patterns({}));
        const Snapshot plain = analysed({tagged(1, "billing@OrderRepo.java:212", "idle", 1, "SELECT 1"),
                                         tagged(2, "billing@InvoiceJob.java:48", "idle", 1, "SELECT 1")},
                                        memory, &none);
        QCOMPARE(groupOwners(plain, OwnerKey::Application).size(), 2);
        QVERIFY(plain.sessions[0].stack.isEmpty());

        LeakRules rules;
        rules.ignore.add(QStringLiteral("application=billing"));
        AppCallSiteCache defaults;
        const Snapshot ignored = analysed({tagged(1, "billing@OrderRepo.java:212", "idle in transaction", 120, "SELECT 1")},
                                          memory, &defaults, rules);
        QCOMPARE(ignored.sessions[0].ignoredBecause, QStringLiteral("application billing"));
        QCOMPARE(ignored.sessions[0].leak, LeakVerdict::None);
    }

    // The trace id of the last tagged query stays with the session, as its tags do.
    void traceIdIsRemembered()
    {
        TagMemory memory;
        const char traced[] = "SELECT 1 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/";
        Snapshot first = analysed({tagged(1, "orders", "idle in transaction", 1, traced)}, memory);
        QCOMPARE(traceIdOf(first.sessions[0]), QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
        Snapshot second = analysed({tagged(1, "orders", "idle", 0.5, "COMMIT")}, memory);
        QCOMPARE(traceIdOf(second.sessions[0]), QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
        Snapshot third = analysed({tagged(1, "orders", "active", 0.2, "SELECT 2 /*traceparent='00-zz'*/")}, memory);
        QVERIFY(traceIdOf(third.sessions[0]).isEmpty());
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
