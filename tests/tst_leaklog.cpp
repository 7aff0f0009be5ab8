// The leak log readers and the join of their reports to sessions: times at the start of a log
// line, the operator's log specs, records of each pool split at any byte, the follower through
// growth, truncation, rotation and a missing file, and the join's rules on sessions made here.
// The pools' real logs (tests/fixtures/leaklogs/) are read in tst_leaklogfixtures.
#include "leaklog/javastack.h"
#include "leaklog/leaklogbook.h"
#include "leaklog/leaklogfollower.h"
#include "leaklog/leaklogparser.h"

#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace poolscope;

namespace {

qint64 local(int y, int mo, int d, int h, int mi, int s, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms)).toMSecsSinceEpoch();
}

qint64 utc(int y, int mo, int d, int h, int mi, int s, int ms = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), QTimeZone::utc()).toMSecsSinceEpoch();
}

QList<LeakReport> parseAll(const QByteArray &text, const LeakLogSpec &spec = {})
{
    LeakLogParser parser(spec);
    QList<LeakReport> reports = parser.feed(text);
    reports += parser.finish();
    return reports;
}

const QByteArray kHikariLogback =
    "2026-12-07 01:02:03.456 [main] INFO  com.zaxxer.hikari.HikariDataSource - HikariPool-1 - Starting...\n"
    "2026-12-07 01:02:05.500 [HikariPool-1 housekeeper] WARN  com.zaxxer.hikari.pool.ProxyLeakTask - Connection leak "
    "detection triggered for org.postgresql.jdbc.PgConnection@5e9f23b4 on thread http-worker-1, stack trace follows\n"
    "java.lang.Exception: Apparent connection leak detected\n"
    "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100) ~[HikariCP.jar:na]\n"
    "\tat shop.OrderRepository.reserveStock(OrderRepository.java:42) ~[leakapp.jar:na]\n"
    "\tat shop.OrderService.placeOrder(OrderService.java:17)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
    "2026-12-07 01:02:05.600 [http-worker-2] INFO  shop.OrderController - order 7 placed\n";

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

class TestLeakLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lineTimes_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<qint64>("expected"); // 0: not a time
        QTest::newRow("logback") << QByteArray("2026-12-07 01:02:03.456 [main] WARN x - y") << local(2026, 12, 7, 1, 2, 3, 456);
        QTest::newRow("log4j2 ISO8601 comma") << QByteArray("2026-12-07T01:02:03,456 WARN [t] c - m")
                                              << local(2026, 12, 7, 1, 2, 3, 456);
        QTest::newRow("offset") << QByteArray("2026-12-07T01:02:03.456+01:00 WARN") << utc(2026, 12, 7, 0, 2, 3, 456);
        QTest::newRow("zulu") << QByteArray("2026-12-07T01:02:03Z x") << utc(2026, 12, 7, 1, 2, 3);
        QTest::newRow("bracketed") << QByteArray("[2026-12-07 01:02:03] x") << local(2026, 12, 7, 1, 2, 3);
        QTest::newRow("python logging") << QByteArray("2026-12-07 01:02:03,456 WARNING py.warnings x")
                                        << local(2026, 12, 7, 1, 2, 3, 456);
        QTest::newRow("microseconds") << QByteArray("2026-12-07 01:02:03.456789 x") << local(2026, 12, 7, 1, 2, 3, 456);
        QTest::newRow("JUL AM") << QByteArray("Dec 07, 2026 1:02:03 AM com.mchange.v2.resourcepool.BasicResourcePool x")
                                << local(2026, 12, 7, 1, 2, 3);
        QTest::newRow("JUL PM") << QByteArray("Dec 7, 2026 1:02:03 PM c m") << local(2026, 12, 7, 13, 2, 3);
        QTest::newRow("JUL noon") << QByteArray("Dec 7, 2026 12:00:01 PM c m") << local(2026, 12, 7, 12, 0, 1);
        QTest::newRow("JUL midnight") << QByteArray("Dec 7, 2026 12:00:01 AM c m") << local(2026, 12, 7, 0, 0, 1);
        QTest::newRow("tomcat one line") << QByteArray("07-Dec-2026 01:02:03.456 WARNING [t] c.m msg")
                                         << local(2026, 12, 7, 1, 2, 3, 456);
        QTest::newRow("stack frame") << QByteArray("\tat shop.A.b(A.java:1)") << qint64(0);
        QTest::newRow("message") << QByteArray("WARNING: Connection leak") << qint64(0);
        QTest::newRow("empty") << QByteArray() << qint64(0);
        QTest::newRow("date only") << QByteArray("2026-12-07 something") << qint64(0);
        QTest::newRow("more digits") << QByteArray("2026-12-07 01:02:031 x") << qint64(0);
        QTest::newRow("month 13") << QByteArray("2026-13-07 01:02:03 x") << qint64(0);
        QTest::newRow("hour 25") << QByteArray("2026-12-07 25:02:03 x") << qint64(0);
        QTest::newRow("cut short") << QByteArray("2026-12-07 01:0") << qint64(0);
        QTest::newRow("not a month") << QByteArray("Dez 07, 2026 1:02:03 AM") << qint64(0);
    }
    void lineTimes()
    {
        QFETCH(QByteArray, line);
        QFETCH(qint64, expected);
        const std::optional<qint64> time = logLineTimeMs(line);
        QCOMPARE(time.value_or(0), expected);
    }

    void specs_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("owner");
        QTest::addColumn<qint64>("thresholdMs");
        QTest::newRow("file") << "/var/log/app.log" << true << "/var/log/app.log" << "" << qint64(0);
        QTest::newRow("owner") << "billing=/var/log/app.log" << true << "/var/log/app.log" << "billing" << qint64(0);
        QTest::newRow("threshold") << "billing=/var/log/app.log,threshold=2s" << true << "/var/log/app.log" << "billing"
                                   << qint64(2000);
        QTest::newRow("short threshold") << "/tmp/a.log,1500ms" << true << "/tmp/a.log" << "" << qint64(1500);
        QTest::newRow("equals in a path") << "/tmp/a=b.log" << true << "/tmp/a=b.log" << "" << qint64(0);
        QTest::newRow("comma in a name") << "/tmp/a,b.log" << true << "/tmp/a,b.log" << "" << qint64(0);
        QTest::newRow("bad threshold") << "/tmp/a.log,threshold=soon" << false << "" << "" << qint64(0);
        QTest::newRow("no file") << "billing=" << false << "" << "" << qint64(0);
        QTest::newRow("empty") << "  " << false << "" << "" << qint64(0);
    }
    void specs()
    {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QString error;
        const std::optional<LeakLogSpec> spec = LeakLogSpec::parse(text, &error);
        QCOMPARE(spec.has_value(), ok);
        if (!ok) {
            QVERIFY(!error.isEmpty());
            return;
        }
        QTEST(spec->file, "file");
        QTEST(spec->owner, "owner");
        QTEST(spec->thresholdMs, "thresholdMs");
        // What the window saves reads back the same.
        QCOMPARE(LeakLogSpec::parse(spec->toString(), &error), spec);
    }

    void hikariRecord()
    {
        const QList<LeakReport> reports = parseAll(kHikariLogback, {QStringLiteral("app.log"), {}, 2000});
        QCOMPARE(reports.size(), 1);
        const LeakReport &r = reports.first();
        QCOMPARE(r.pool, LeakLogPool::HikariCP);
        QCOMPARE(r.line, 2);
        QCOMPARE(r.loggedAtMs, local(2026, 12, 7, 1, 2, 5, 500));
        QCOMPARE(r.checkoutAtMs, local(2026, 12, 7, 1, 2, 3, 500)); // logged less the threshold
        QVERIFY(!r.checkoutExact);
        QCOMPARE(r.connection, QStringLiteral("org.postgresql.jdbc.PgConnection@5e9f23b4"));
        QCOMPARE(r.thread, QStringLiteral("http-worker-1"));
        QCOMPARE(r.stack, (QStringList{QStringLiteral("shop.OrderRepository.reserveStock(OrderRepository.java:42)"),
                                       QStringLiteral("shop.OrderService.placeOrder(OrderService.java:17)"),
                                       QStringLiteral("java.base/java.lang.Thread.run(Thread.java:833)")}));
        QCOMPARE(r.framesDropped, 1);
    }

    // The same reports whatever the pieces the file arrives in: every split point, and a byte at a time.
    void anySplit()
    {
        const QByteArray text = kHikariLogback + kHikariLogback;
        const QList<LeakReport> whole = parseAll(text);
        QCOMPARE(whole.size(), 2);
        for (qsizetype cut = 1; cut < text.size(); ++cut) {
            LeakLogParser parser;
            QList<LeakReport> reports = parser.feed(text.first(cut));
            reports += parser.feed(text.sliced(cut));
            reports += parser.finish();
            QCOMPARE(reports.size(), 2);
            QCOMPARE(reports.last().stack, whole.last().stack);
            QCOMPARE(reports.last().line, whole.last().line);
        }
        LeakLogParser parser;
        QList<LeakReport> reports;
        for (char c : text)
            reports += parser.feed(QByteArrayView(&c, 1));
        reports += parser.finish();
        QCOMPARE(reports.size(), 2);
        QCOMPARE(reports.first().thread, QStringLiteral("http-worker-1"));
    }

    void stacks_data()
    {
        QTest::addColumn<QByteArray>("record");
        QTest::addColumn<QStringList>("frames");
        QTest::addColumn<int>("dropped");
        const QByteArray head = "2026-12-07 01:02:05.500 [t] WARN x - Connection leak detection triggered for c on "
                                "thread main, stack trace follows\njava.lang.Exception: Apparent connection leak detected\n";
        QTest::newRow("caused by is another exception") << head + "\tat a.B.c(B.java:1)\nCaused by: x.Y: z\n\tat q.R.s(R.java:2)\n"
                                                        << QStringList{QStringLiteral("a.B.c(B.java:1)")} << 0;
        QTest::newRow("more") << head + "\tat a.B.c(B.java:1)\n\t... 12 more\n" << QStringList{QStringLiteral("a.B.c(B.java:1)")} << 0;
        QTest::newRow("only library frames") << head + "\tat java.lang.Thread.run(Thread.java:1)\n" << QStringList{} << 1;
        QTest::newRow("library frames below the application stay")
            << head + "\tat org.postgresql.Driver.connect(Driver.java:3)\n\tat a.B.c(B.java:1)\n\tat java.lang.Thread.run(Thread.java:1)\n"
            << QStringList{QStringLiteral("a.B.c(B.java:1)"), QStringLiteral("java.lang.Thread.run(Thread.java:1)")} << 1;
        QTest::newRow("no stack") << head << QStringList{} << 0;
        QTest::newRow("spaces, not a tab") << head + "    at a.B.c(B.java:1)\n" << QStringList{QStringLiteral("a.B.c(B.java:1)")} << 0;
        QTest::newRow("not a frame") << head + "\tat nothing here\n" << QStringList{} << 0;
    }
    void stacks()
    {
        QFETCH(QByteArray, record);
        const QList<LeakReport> reports = parseAll(record);
        QCOMPARE(reports.size(), 1);
        QTEST(reports.first().stack, "frames");
        QTEST(reports.first().framesDropped, "dropped");
    }

    void hikariUnleaked()
    {
        const QByteArray text = kHikariLogback
                                + "2026-12-07 01:02:09.000 [http-worker-1] INFO  com.zaxxer.hikari.pool.ProxyLeakTask - "
                                  "Previously reported leaked connection org.postgresql.jdbc.PgConnection@5e9f23b4 on "
                                  "thread http-worker-1 was returned to the pool (unleaked)\n";
        const QList<LeakReport> reports = parseAll(text);
        QCOMPARE(reports.size(), 2);
        QVERIFY(reports.last().withdrawn);
        QCOMPARE(reports.last().connection, reports.first().connection);
    }

    // SQLAlchemy 2.0's warning, in its words (lib/sqlalchemy/pool/base.py, _finalize_fairy),
    // logged by its pool logger through Python's logging: an owner and a time, no stack, and
    // the connection terminated. (Debian 12 packages 1.4, which writes none: tst_liveleaklog.)
    void sqlalchemy20()
    {
        const QByteArray text =
            "2026-12-07 01:02:03,456 ERROR [MainThread] sqlalchemy.pool.impl.QueuePool: The garbage collector is "
            "trying to clean up non-checked-in connection <connection object at 0x7f3278675f80; dsn: 'host=db "
            "application_name=billing', closed: 0>, which will be terminated.  Please ensure that SQLAlchemy pooled "
            "connections are returned to the pool explicitly, either by calling ``close()`` or by using appropriate "
            "context managers to manage their lifecycle.\n"
            "2026-12-07 01:02:03,457 INFO [MainThread] shop: next\n";
        const QList<LeakReport> reports = parseAll(text, {QStringLiteral("app.log"), QStringLiteral("billing"), 0});
        QCOMPARE(reports.size(), 1);
        const LeakReport &r = reports.first();
        QCOMPARE(r.pool, LeakLogPool::SQLAlchemy);
        QVERIFY(r.closesConnection);
        QVERIFY(r.stack.isEmpty());
        QCOMPARE(r.thread, QStringLiteral("MainThread"));
        QCOMPARE(r.loggedAtMs, local(2026, 12, 7, 1, 2, 3, 456));
        QVERIFY(r.connection.startsWith(QStringLiteral("<connection object at 0x7f3278675f80")));
        QVERIFY(r.connection.endsWith(QStringLiteral("closed: 0>")));
        // Joined by its owner alone, to the session that went as it was terminated.
        const qint64 t = r.loggedAtMs;
        Snapshot before;
        before.takenAtMs = t - 500;
        before.sessions = {idleInTransaction(31, QStringLiteral("billing"), t - 60'000, t - 30'000)};
        LeakLogBook book;
        LeakReport placeholder;
        placeholder.file = QStringLiteral("other.log");
        book.add({placeholder}); // the book remembers sessions once it has something to join
        book.update(before);
        book.add(reports);
        Snapshot after;
        after.takenAtMs = t + 500;
        const LeakLogStatePtr state = book.update(after);
        QCOMPARE(state->reports.first().pid, 31);
        QCOMPARE(state->reports.first().join, LeakJoin::OwnerOnly);
        QVERIFY(state->reports.first().sessionEnded);
    }

    void otherRecordsAreDropped()
    {
        QByteArray noise;
        for (int i = 0; i < 500; ++i)
            noise += "2026-12-07 01:02:0" + QByteArray::number(i % 10) + ".000 [w] INFO a.B - request " + QByteArray::number(i) + "\n";
        noise += "\tat orphan.Frame.of(Frame.java:1)\n"; // a stack of another thread's error: not a report
        QVERIFY(parseAll(noise).isEmpty());
        QVERIFY(parseAll("\tat a.B.c(B.java:1)\n... 3 more\n").isEmpty()); // the tail of a record begun earlier
    }

    // A hostile or broken log costs bounded memory: a 1 MiB line, a 10,000-line "stack".
    void bounded()
    {
        QByteArray huge = "2026-12-07 01:02:05.500 [t] WARN x - Connection leak detection triggered for "
                        + QByteArray(1 << 20, 'c') + " on thread main, stack trace follows\n";
        for (int i = 0; i < 10000; ++i)
            huge += "\tat a.B.c" + QByteArray::number(i) + "(B.java:1)\n";
        const QList<LeakReport> reports = parseAll(huge);
        QCOMPARE(reports.size(), 1);
        QVERIFY(reports.first().message.size() <= 16 * 1024);
        QVERIFY(reports.first().stack.size() < 400);
    }

    void follower()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("app.log"));
        LeakLogFollower follower({path, {}, 0});
        QVERIFY(follower.poll().isEmpty());
        QVERIFY(follower.problem().startsWith(QStringLiteral("cannot open")));

        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(kHikariLogback);
        file.flush();
        QCOMPARE(follower.poll().size(), 1); // the first poll reads it whole
        QVERIFY(follower.problem().isEmpty());

        // A report written in pieces, the first ending mid-line: it ends when the next record
        // begins, or once the file stops growing.
        const qsizetype cut = kHikariLogback.indexOf("stack trace follows") + 5;
        const qsizetype stackEnd = kHikariLogback.indexOf("2026-12-07 01:02:05.600");
        file.write(kHikariLogback.first(cut));
        file.flush();
        QCOMPARE(follower.poll().size(), 0);
        file.write(kHikariLogback.sliced(cut, stackEnd - cut));
        file.flush();
        QCOMPARE(follower.poll().size(), 0); // it grew: the stack may go on
        const QList<LeakReport> late = follower.poll();
        QCOMPARE(late.size(), 1);
        QCOMPARE(late.first().stack.size(), 3);
        file.write(kHikariLogback.sliced(stackEnd));
        file.flush();
        QCOMPARE(follower.poll().size(), 0); // another thread's line: no report

        // Truncated in place (copytruncate): read again from the start.
        file.resize(0);
        file.seek(0);
        QVERIFY(follower.poll().isEmpty());
        file.write(kHikariLogback);
        file.flush();
        QList<LeakReport> again = follower.poll();
        again += follower.poll();
        QCOMPARE(again.size(), 1);
        QCOMPARE(again.first().line, 2);

        // Rotated: the old file is read to its end, then the new one from its start.
        file.write(kHikariLogback);
        file.close();
        QVERIFY(QFile::rename(path, path + QStringLiteral(".1")));
        QFile fresh(path);
        QVERIFY(fresh.open(QIODevice::WriteOnly));
        fresh.write(kHikariLogback);
        fresh.close();
        const QList<LeakReport> rotated = follower.poll();
        QCOMPARE(rotated.size(), 2); // the old file's last report and the new file's
        QCOMPARE(rotated.last().line, 2);

        // Removed: said, and picked up again when it comes back.
        QVERIFY(QFile::remove(path));
        QVERIFY(follower.poll().isEmpty());
        QVERIFY(!follower.problem().isEmpty());
        QVERIFY(fresh.open(QIODevice::WriteOnly));
        fresh.write(kHikariLogback);
        fresh.close();
        QCOMPARE(follower.poll().size(), 1);
        QVERIFY(follower.problem().isEmpty());
    }

    void directoryIsAProblem()
    {
        QTemporaryDir dir;
        LeakLogFollower follower({dir.path(), {}, 0});
        QVERIFY(follower.poll().isEmpty());
        QVERIFY(follower.problem().contains(QStringLiteral("directory")));
    }

    // The join: sessions made here, reports made here.
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

QTEST_GUILESS_MAIN(TestLeakLog)
#include "tst_leaklog.moc"
