// The join of pools' leak reports to the sessions they explain, on sessions and reports made
// here: the confidence rules, one session per report, a report's life with its session, pools
// that close the connection as they report, withdrawals, and what a recording keeps.
#include "leaklog/leaklogbook.h"
#include "recording/leakrecords.h"

#include <QDateTime>
#include <QJsonObject>
#include <QTest>
#include <QTimeZone>

using namespace poolscope;

namespace {

qint64 utc(int y, int mo, int d, int h, int mi, int s, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), QTimeZone::utc()).toMSecsSinceEpoch();
}

Session idleInTransaction(int pid, const QString &app, qint64 backendStartMs, qint64 xactStartMs)
{
    Session s;
    s.pid = pid;
    s.applicationName = app;
    s.backendStartMs = backendStartMs;
    s.xactStartMs = xactStartMs;
    s.stateChangeMs = xactStartMs + 5;
    s.state = QStringLiteral("idle in transaction");
    s.sessionClass = SessionClass::IdleInTransaction;
    return s;
}

} // namespace

class TestLeakJoin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void join_data()
    {
        QTest::addColumn<QString>("owner");       // the log's owner
        QTest::addColumn<qint64>("checkoutMs");   // 0: unknown
        QTest::addColumn<bool>("closes");
        QTest::addColumn<int>("expectedPid");     // 0: none
        QTest::addColumn<int>("expectedJoin");
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        // Sessions (built in join()): 101 billing, transaction began at t+0.2 s; 102 billing at
        // t−20 s; 103 shop at t+0.1 s; 104 billing idle (autocommit) since t+0.5 s.
        QTest::newRow("exact: owner and time") << "billing" << t << false << 101 << int(LeakJoin::ExactTime);
        QTest::newRow("exact without an owner: nearest in time") << "" << t << false << 103 << int(LeakJoin::ExactTime);
        QTest::newRow("window: began after the checkout, before the report")
            << "billing" << t - 10'000 << false << 101 << int(LeakJoin::TimeWindow);
        QTest::newRow("owner only: no time") << "billing" << qint64(0) << false << 101 << int(LeakJoin::OwnerOnly);
        QTest::newRow("neither owner nor time: no guess") << "" << qint64(0) << false << 0 << int(LeakJoin::None);
        QTest::newRow("owner nobody is") << "search" << t << false << 0 << int(LeakJoin::None);
        QTest::newRow("a pool that closed the connection: never a session still there")
            << "billing" << t << true << 0 << int(LeakJoin::None);
        QTest::newRow("checkout after every transaction began") << "billing" << t + 60'000 << false << 0
                                                                << int(LeakJoin::None);
    }
    void join()
    {
        QFETCH(QString, owner);
        QFETCH(qint64, checkoutMs);
        QFETCH(bool, closes);
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        auto snapshot = std::make_shared<Snapshot>();
        snapshot->takenAtMs = t + 30'000;
        snapshot->sessions = {idleInTransaction(101, QStringLiteral("billing"), t - 600'000, t + 200),
                              idleInTransaction(102, QStringLiteral("billing"), t - 600'000, t - 20'000),
                              idleInTransaction(103, QStringLiteral("shop"), t - 600'000, t + 100)};
        Session idle = idleInTransaction(104, QStringLiteral("billing"), t - 600'000, 0);
        idle.state = QStringLiteral("idle");
        idle.sessionClass = SessionClass::Idle;
        idle.stateChangeMs = t + 500;
        snapshot->sessions.append(idle);
        Session active = idleInTransaction(105, QStringLiteral("billing"), t - 600'000, t + 200);
        active.sessionClass = SessionClass::Active; // working, not leaked: never joined
        snapshot->sessions.append(active);

        LeakReport report;
        report.file = QStringLiteral("app.log");
        report.owner = owner;
        report.loggedAtMs = t + 2000;
        report.checkoutAtMs = checkoutMs;
        report.closesConnection = closes;
        report.stack = {QStringLiteral("shop.OrderRepository.reserveStock(OrderRepository.java:42)")};
        LeakLogBook book;
        book.add({report});
        const LeakLogStatePtr state = book.update(*snapshot);
        QVERIFY(state);
        QCOMPARE(state->reports.size(), 1);
        const JoinedLeakReport &joined = state->reports.first();
        QFETCH(int, expectedJoin);
        QTEST(joined.pid, "expectedPid");
        QCOMPARE(int(joined.join), expectedJoin);
        for (const Session &s : snapshot->sessions) {
            const bool chosen = s.pid == joined.pid;
            QCOMPARE(bool(s.leakReport), chosen);
            QCOMPARE(s.stackFromLeakLog, chosen);
            if (chosen) {
                QCOMPARE(s.stack, report.stack);
                QVERIFY(s.reasons.last().contains(leakJoinName(joined.join)));
            }
            // The pool's word makes a time-joined session a suspect at least; a guess does not.
            const bool suspect = chosen && joined.join >= LeakJoin::TimeWindow;
            QCOMPARE(s.leak, suspect ? LeakVerdict::Suspected : LeakVerdict::None);
        }
        QCOMPARE(snapshot->totals.suspected, joined.join >= LeakJoin::TimeWindow ? 1 : 0);
    }

    // Two reports, two sessions: each session explains one report, the nearest in time.
    void oneSessionPerReport()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        Snapshot snapshot;
        snapshot.takenAtMs = t + 30'000;
        snapshot.sessions = {idleInTransaction(1, QStringLiteral("billing"), t - 1000, t + 100),
                             idleInTransaction(2, QStringLiteral("billing"), t - 1000, t + 5100)};
        LeakLogBook book;
        LeakReport first;
        first.file = QStringLiteral("a.log");
        first.loggedAtMs = t + 9000;
        first.checkoutAtMs = t;
        LeakReport second = first;
        second.checkoutAtMs = t + 5000;
        second.line = 2;
        book.add({first, second});
        const LeakLogStatePtr state = book.update(snapshot);
        QCOMPARE(state->joined(), 2);
        // Newest first.
        QCOMPARE(state->reports[0].pid, 2);
        QCOMPARE(state->reports[1].pid, 1);
        QCOMPARE(state->reports[0].join, LeakJoin::ExactTime);
    }

    // A session keeps its report across samples and lets it go when it ends; a report whose
    // pool closed the connection as it reported is matched to the session seen just before.
    void lifecycle()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        Snapshot before;
        before.takenAtMs = t + 3000;
        before.sessions = {idleInTransaction(7, QStringLiteral("billing"), t - 1000, t + 100)};
        LeakLogBook book;
        QVERIFY(!book.update(before)); // nothing followed, nothing read: no state
        LeakReport staying;
        staying.pool = LeakLogPool::HikariCP;
        staying.file = QStringLiteral("hikari.log");
        staying.line = 9;
        staying.loggedAtMs = t + 2500;
        staying.checkoutAtMs = t;
        LeakReport closing = staying;
        closing.pool = LeakLogPool::C3P0;
        closing.file = QStringLiteral("c3p0.log");
        closing.loggedAtMs = t + 3500;
        closing.closesConnection = true;
        // Sample 1: joined.
        book.add({staying});
        Snapshot s1 = before;
        LeakLogStatePtr state = book.update(s1);
        QCOMPARE(state->reports.first().pid, 7);
        QVERIFY(!state->reports.first().sessionEnded);
        // Sample 2: same session, still joined.
        Snapshot s2 = before;
        s2.takenAtMs += 1000;
        state = book.update(s2);
        QCOMPARE(state->joined(), 1);
        QVERIFY(s2.sessions.first().leakReport);
        // Sample 3: gone: the report stays listed, ended.
        Snapshot s3;
        s3.takenAtMs = s2.takenAtMs + 1000;
        book.add({closing}); // c3p0 reports as it closes the connection: the session seen just before
        state = book.update(s3);
        QCOMPARE(state->reports.size(), 2);
        QVERIFY(state->reports.last().sessionEnded);
        QCOMPARE(state->joined(), 0);
        // The closing report found no free session: pid 7 was the Hikari report's.
        QCOMPARE(state->reports.first().pid, 0);
    }

    void closedByThePool()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        Snapshot s1;
        s1.takenAtMs = t + 3000;
        s1.sessions = {idleInTransaction(8, QStringLiteral("billing"), t - 1000, t + 100)};
        LeakLogBook book;
        LeakReport placeholder;
        placeholder.file = QStringLiteral("x.log");
        book.add({placeholder}); // makes the book remember sessions from the first sample
        book.update(s1);
        Snapshot s2;
        s2.takenAtMs = t + 4000;
        LeakReport closing;
        closing.pool = LeakLogPool::DBCP2;
        closing.file = QStringLiteral("dbcp.log");
        closing.loggedAtMs = t + 3500;
        closing.checkoutAtMs = t;
        closing.checkoutExact = true;
        closing.closesConnection = true;
        book.add({closing});
        const LeakLogStatePtr state = book.update(s2);
        const JoinedLeakReport &joined = state->reports.first();
        QCOMPARE(joined.pid, 8);
        QVERIFY(joined.sessionEnded);
        QCOMPARE(joined.join, LeakJoin::ExactTime);
    }

    // Another run of the same program names its connections the same (their hash codes):
    // a report of the second run is not pinned on the first run's session, nor the reverse.
    void sameConnectionNameAnotherRun()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        LeakReport first;
        first.file = QStringLiteral("app.log");
        first.connection = QStringLiteral("org.postgresql.jdbc.PgConnection@75c072cb");
        first.loggedAtMs = t + 2000;
        first.checkoutAtMs = t;
        LeakReport second = first;
        second.line = 90;
        second.loggedAtMs = t + 62'000;
        second.checkoutAtMs = t + 60'000;

        LeakLogBook book;
        book.add({first});
        Snapshot run1;
        run1.takenAtMs = t + 3000;
        run1.sessions = {idleInTransaction(41, QStringLiteral("app"), t - 1000, t + 50)};
        QCOMPARE(book.update(run1)->reports.first().pid, 41);
        Snapshot gap;
        gap.takenAtMs = t + 30'000; // the first run has ended
        book.update(gap);
        Snapshot run2;
        run2.takenAtMs = t + 63'000;
        run2.sessions = {idleInTransaction(42, QStringLiteral("app"), t + 59'000, t + 60'040)};
        book.add({second});
        const LeakLogStatePtr state = book.update(run2);
        QCOMPARE(state->reports[0].pid, 42); // newest first
        QVERIFY(!state->reports[0].sessionEnded);
        QCOMPARE(state->reports[1].pid, 41);
        QVERIFY(state->reports[1].sessionEnded);
    }

    // A recording keeps each report when first read and whenever its join changes, and reads
    // back what was kept.
    void recorded()
    {
        LeakReport report;
        report.pool = LeakLogPool::TomcatJdbc;
        report.file = QStringLiteral("/var/log/shop/catalina.out");
        report.line = 33;
        report.loggedAtMs = utc(2026, 12, 7, 0, 59, 1);
        report.checkoutAtMs = report.loggedAtMs - 2714;
        report.checkoutExact = true;
        report.connection = QStringLiteral("PooledConnection[org.postgresql.jdbc.PgConnection@42076c3c]");
        report.message = QStringLiteral("Connection has been marked suspect, possibly abandoned …");
        report.stack = {QStringLiteral("OrderRepository.reserveStock(LeakApp.java:328)"),
                        QStringLiteral("OrderService.placeOrder(LeakApp.java:282)")};
        report.framesDropped = 5;
        JoinedLeakReport joined;
        joined.report = std::make_shared<const LeakReport>(report);
        LeakLogState state;
        state.reports = {joined};

        recording::LeakRecordTracker tracker;
        QCOMPARE(tracker.changes(state).size(), 1); // read: recorded
        QCOMPARE(tracker.changes(state).size(), 0); // unchanged: not again
        state.reports[0].join = LeakJoin::ExactTime;
        state.reports[0].pid = 19530;
        state.reports[0].sessionState = QStringLiteral("idle in transaction");
        const QList<JoinedLeakReport> changed = tracker.changes(state);
        QCOMPARE(changed.size(), 1); // joined: recorded again

        const std::optional<recording::RecordedLeakReport> back =
            recording::leakReportFromJson(recording::leakReportToJson(3, 1234, changed.first()), QStringLiteral("db1"));
        QVERIFY(back);
        QCOMPARE(back->target, QStringLiteral("db1"));
        QCOMPARE(back->timeMs, 1234);
        QCOMPARE(back->joined.pid, 19530);
        QCOMPARE(back->joined.join, LeakJoin::ExactTime);
        const LeakReport &r = *back->joined.report;
        QCOMPARE(r.pool, report.pool);
        QCOMPARE(r.file, report.file);
        QCOMPARE(r.line, report.line);
        QCOMPARE(r.loggedAtMs, report.loggedAtMs);
        QCOMPARE(r.checkoutAtMs, report.checkoutAtMs);
        QCOMPARE(r.connection, report.connection);
        QCOMPARE(r.stack, report.stack);
        QCOMPARE(r.framesDropped, 5);
        QVERIFY(!recording::leakReportFromJson(QJsonObject{{QStringLiteral("join"), QStringLiteral("exact")}}, {}));
    }

    // SQLAlchemy 2.0's warning has an owner and a time, no stack and no checkout: joined by
    // its owner alone, to the session that went as the pool terminated it.
    void ownerOnlyToTheSessionThatWent()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        LeakReport report;
        report.pool = LeakLogPool::SQLAlchemy;
        report.file = QStringLiteral("app.log");
        report.owner = QStringLiteral("billing");
        report.loggedAtMs = t;
        report.closesConnection = true;
        Snapshot before;
        before.takenAtMs = t - 500;
        before.sessions = {idleInTransaction(31, QStringLiteral("billing"), t - 60'000, t - 30'000),
                           idleInTransaction(32, QStringLiteral("billing"), t - 60'000, t - 20'000)};
        LeakLogBook book;
        LeakReport placeholder;
        placeholder.file = QStringLiteral("other.log");
        book.add({placeholder}); // the book remembers sessions once it has something to join
        book.update(before);
        book.add({report});
        Snapshot after;
        after.takenAtMs = t + 500;
        after.sessions = {before.sessions.last()}; // 31 went: terminated by the pool
        const LeakLogStatePtr state = book.update(after);
        QCOMPARE(state->reports.first().pid, 31);
        QCOMPARE(state->reports.first().join, LeakJoin::OwnerOnly);
        QVERIFY(state->reports.first().sessionEnded);
        QVERIFY(!after.sessions.first().leakReport);
        QCOMPARE(after.sessions.first().leak, LeakVerdict::None); // a guess never makes a suspect
    }

    // An idle session's last query ended near the checkout: any pooled connection has such a
    // time, so it is a window at best, and no suspect.
    void idleIsNeverExact()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        Snapshot snapshot;
        snapshot.takenAtMs = t + 3000;
        Session idle = idleInTransaction(61, QStringLiteral("app"), t - 60'000, 0);
        idle.sessionClass = SessionClass::Idle;
        idle.state = QStringLiteral("idle");
        idle.stateChangeMs = t + 100;
        snapshot.sessions = {idle};
        LeakReport report;
        report.file = QStringLiteral("a.log");
        report.loggedAtMs = t + 2000;
        report.checkoutAtMs = t;
        LeakLogBook book;
        book.add({report});
        const LeakLogStatePtr state = book.update(snapshot);
        QCOMPARE(state->reports.first().pid, 61);
        QCOMPARE(state->reports.first().join, LeakJoin::TimeWindow);
        QCOMPARE(snapshot.sessions.first().leak, LeakVerdict::None);
    }

    // A joined session that works again after the report was back in its pool: the report no
    // longer explains it.
    void workedAgain()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        LeakReport report;
        report.file = QStringLiteral("a.log");
        report.loggedAtMs = t + 2000;
        report.checkoutAtMs = t;
        LeakLogBook book;
        book.add({report});
        Snapshot held;
        held.takenAtMs = t + 3000;
        held.sessions = {idleInTransaction(51, QStringLiteral("app"), t - 1000, t + 20)};
        QCOMPARE(book.update(held)->joined(), 1);
        Snapshot again;
        again.takenAtMs = t + 9000;
        again.sessions = {idleInTransaction(51, QStringLiteral("app"), t - 1000, t + 8000)}; // a new transaction
        const LeakLogStatePtr state = book.update(again);
        QCOMPARE(state->joined(), 0);
        QVERIFY(state->reports.first().withdrawn);
        QVERIFY(!again.sessions.first().leakReport);
        QCOMPARE(again.sessions.first().leak, LeakVerdict::None);
    }

    void withdrawn()
    {
        const qint64 t = utc(2026, 12, 7, 1, 2, 3);
        Snapshot snapshot;
        snapshot.takenAtMs = t + 3000;
        snapshot.sessions = {idleInTransaction(9, QStringLiteral("billing"), t - 1000, t + 100)};
        LeakReport report;
        report.file = QStringLiteral("a.log");
        report.connection = QStringLiteral("org.postgresql.jdbc.PgConnection@1");
        report.loggedAtMs = t + 2000;
        report.checkoutAtMs = t;
        LeakLogBook book;
        book.add({report});
        QCOMPARE(book.update(snapshot)->joined(), 1);
        LeakReport unleaked = report;
        unleaked.withdrawn = true;
        book.add({unleaked});
        Snapshot next = snapshot;
        next.sessions.first().leakReport.reset();
        const LeakLogStatePtr state = book.update(next);
        QVERIFY(state->reports.first().withdrawn);
        QCOMPARE(state->joined(), 0);
        QVERIFY(!next.sessions.first().leakReport);
    }
};

QTEST_GUILESS_MAIN(TestLeakJoin)
#include "tst_leakjoin.moc"
