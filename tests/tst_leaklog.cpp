// The leak log readers: times at the start of a log line, the operator's log specs, records of
// each pool split at any byte, and the follower through growth, truncation, rotation and a
// missing file. The join is tst_leakjoin's; the pools' real logs are tst_leaklogfixtures'.
#include "leaklog/javastack.h"
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

const QString kLeakFrame = QStringLiteral("OrderRepository.reserveStock(LeakApp.java:328)");

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
        QVERIFY(r.thread.isEmpty()); // the collector's thread logged it, not the checkout's
        QCOMPARE(r.loggedAtMs, local(2026, 12, 7, 1, 2, 3, 456));
        QVERIFY(r.connection.startsWith(QStringLiteral("<connection object at 0x7f3278675f80")));
        QVERIFY(r.connection.endsWith(QStringLiteral("closed: 0>")));
    }

    // A last line still being written is not a line yet: its report comes when it ends.
    void partialLineWaits()
    {
        const qsizetype cut = kHikariLogback.indexOf("Connection leak det") + 10;
        LeakLogParser parser;
        QVERIFY(parser.feed(kHikariLogback.first(cut)).isEmpty());
        QVERIFY(parser.finish().isEmpty()); // the file stopped growing mid-line
        QList<LeakReport> reports = parser.feed(kHikariLogback.sliced(cut));
        reports += parser.finish();
        QCOMPARE(reports.size(), 1);
        QCOMPARE(reports.first().thread, QStringLiteral("http-worker-1"));
        QCOMPARE(reports.first().stack.size(), 3);
    }

    // DBCP2's report has no time: it was printed after the last line that had one, and after
    // the checkout it names.
    void untimedReport()
    {
        const QByteArray text = "2026-12-07 01:00:00.000 [main] INFO x - quiet since\n"
                                "Pooled object created 2026-12-07 01:05:00 +0000 by the following code has not been "
                                "returned to the pool:\n\tat shop.A.b(A.java:1)\n";
        const QList<LeakReport> reports = parseAll(text);
        QCOMPARE(reports.size(), 1);
        QCOMPARE(reports.first().checkoutAtMs, utc(2026, 12, 7, 1, 5, 0));
        QCOMPARE(reports.first().loggedAtMs, qMax(reports.first().checkoutAtMs, local(2026, 12, 7, 1, 0, 0)));
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
};

QTEST_GUILESS_MAIN(TestLeakLog)
#include "tst_leaklog.moc"
