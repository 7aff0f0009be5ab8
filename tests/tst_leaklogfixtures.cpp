// The pools' real logs (tests/fixtures/leaklogs/, recorded by tests/leakapps/capture-fixtures.sh)
// read as PoolScope reads them, and joined, sample by sample, to the pg_stat_activity the
// capture sampled beside each run: every leaked session (ready.tsv) is explained by its pool's
// report, with the checkout's stack, and nothing else is.
#include "leaklog/leaklogbook.h"
#include "leaklog/leaklogparser.h"

#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

#include <map>

using namespace poolscope;

namespace {

const QString kDir = QStringLiteral(POOLSCOPE_FIXTURES "/leaklogs/");
const QString kLeakSite = QStringLiteral("OrderRepository.reserveStock(LeakApp.java:328)");

QByteArray fixture(const QString &name)
{
    QFile file(kDir + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(file.fileName()));
    return file.readAll();
}

QList<LeakReport> reportsOf(const QString &name, const LeakLogSpec &spec = {})
{
    LeakLogParser parser(spec);
    QList<LeakReport> reports = parser.feed(fixture(name));
    reports += parser.finish();
    return reports;
}

qint64 utcMs(const QString &text) // "2026-12-07 00:58:12.124"
{
    if (text.isEmpty())
        return 0;
    QDateTime at = QDateTime::fromString(text, QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    at.setTimeZone(QTimeZone::utc());
    return at.toMSecsSinceEpoch();
}

// The samples of <pool>-activity.tsv, by time.
std::map<qint64, Snapshot> activityOf(const QString &pool)
{
    std::map<qint64, Snapshot> samples;
    const QList<QByteArray> lines = fixture(pool + QStringLiteral("-activity.tsv")).split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList f = QString::fromUtf8(lines[i]).split(u'\t');
        if (f.size() < 7)
            continue;
        Snapshot &snapshot = samples[utcMs(f[0])];
        snapshot.takenAtMs = utcMs(f[0]);
        if (f[1].isEmpty())
            continue; // the app had no session then
        Session s;
        s.pid = f[1].toInt();
        s.state = f[2];
        s.applicationName = QStringLiteral("leakapp-") + pool;
        s.backendStartMs = utcMs(f[3]);
        s.xactStartMs = utcMs(f[4]);
        s.stateChangeMs = utcMs(f[5]);
        s.query = f[6];
        s.sessionClass = s.state == QLatin1String("idle in transaction") ? SessionClass::IdleInTransaction
                         : s.state == QLatin1String("idle")              ? SessionClass::Idle
                                                                          : SessionClass::Active;
        snapshot.sessions.append(s);
    }
    return samples;
}

QList<int> leakedPids(const QString &pool)
{
    for (const QByteArray &line : fixture(QStringLiteral("ready.tsv")).split('\n')) {
        const QList<QByteArray> f = line.split('\t');
        if (f.size() == 2 && f[0] == pool.toUtf8()) {
            QList<int> pids;
            for (const QByteArray &pid : f[1].split(' '))
                pids.append(pid.toInt());
            return pids;
        }
    }
    return {};
}

} // namespace

class TestLeakLogFixtures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // The fixtures were written in UTC, without a zone in their times, as most logs are.
        qputenv("TZ", "UTC");
    }

    // Each file's reports as the README lists them.
    void reports_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QList<qint64>>("lines");      // first line of each report, withdrawals included
        QTest::addColumn<QList<bool>>("withdrawn");
        QTest::addColumn<QStringList>("threads");     // that checked it out, as the report names it ("" none)
        QTest::addColumn<int>("framesDropped");       // of the first report
        QTest::addColumn<bool>("closes");             // of the first report
        QTest::newRow("HikariCP, Logback") << "hikari-logback.log" << QList<qint64>{28, 55, 75, 88}
                                           << QList<bool>{false, false, false, true}
                                           << QStringList{QStringLiteral("http-worker-1"), QStringLiteral("http-worker-2"),
                                                          QStringLiteral("http-worker-1"), QStringLiteral("http-worker-1")}
                                           << 1 << false;
        QTest::newRow("c3p0, Log4j 2") << "c3p0-log4j2.log" << QList<qint64>{46, 68, 85} << QList<bool>{false, false, false}
                                       << QStringList{QString(), QString(), QString()} // Timer-0 logs it: not the checkout's
                                       << 3 << true;
        QTest::newRow("DBCP2, raw in catalina.out") << "dbcp2-catalina.log" << QList<qint64>{45, 66, 85}
                                                    << QList<bool>{false, false, false}
                                                    << QStringList{QString(), QString(), QString()} << 6 << true;
        QTest::newRow("Tomcat JDBC, java.util.logging") << "tomcat-jul.log" << QList<qint64>{33, 73, 106, 110, 135, 156}
                                                        << QList<bool>{false, false, true, false, false, false}
                                                        << QStringList{QString(), QString(), QString(), QString(), QString(), QString()}
                                                        << 5 << false;
        QTest::newRow("SQLAlchemy 1.4: no report to read") << "sqlalchemy.log" << QList<qint64>{} << QList<bool>{}
                                                           << QStringList{} << 0 << false;
    }
    void reports()
    {
        QFETCH(QString, file);
        QFETCH(QList<qint64>, lines);
        QFETCH(QList<bool>, withdrawn);
        QFETCH(QStringList, threads);
        const QList<LeakReport> reports = reportsOf(file);
        QList<qint64> seen;
        for (const LeakReport &r : reports)
            seen.append(r.line);
        QCOMPARE(seen, lines);
        for (qsizetype i = 0; i < reports.size(); ++i) {
            const LeakReport &r = reports[i];
            QCOMPARE(r.withdrawn, withdrawn[i]);
            QCOMPARE(r.thread, threads[i]);
            QVERIFY2(r.loggedAtMs > 0, qPrintable(r.message));
            if (r.withdrawn)
                continue;
            // The application's frame first, the pool's dropped: never the app's own exception
            // (PaymentGateway.charge), which these logs hold too.
            QCOMPARE(r.stack.value(0), kLeakSite);
            QVERIFY(r.stack.size() >= 3);
            QCOMPARE(r.stack[1], QStringLiteral("OrderService.placeOrder(LeakApp.java:282)"));
        }
        if (!reports.isEmpty()) {
            QTEST(reports.first().framesDropped, "framesDropped");
            QTEST(reports.first().closesConnection, "closes");
        }
    }

    // What each pool says of the checkout and the connection.
    void details()
    {
        const QList<LeakReport> hikari = reportsOf(QStringLiteral("hikari-logback.log"), {{}, {}, 2000});
        QCOMPARE(hikari[0].connection, QStringLiteral("org.postgresql.jdbc.PgConnection@50d0686"));
        QCOMPARE(hikari[3].connection, hikari[0].connection); // the withdrawal names it
        QCOMPARE(hikari[0].checkoutAtMs, utcMs(QStringLiteral("2026-12-07 00:58:10.969")));

        const QList<LeakReport> dbcp = reportsOf(QStringLiteral("dbcp2-catalina.log"));
        QCOMPARE(dbcp[0].checkoutAtMs, utcMs(QStringLiteral("2026-12-07 00:58:43.000")));
        QVERIFY(dbcp[0].checkoutExact);
        QCOMPARE(dbcp[0].loggedAtMs, utcMs(QStringLiteral("2026-12-07 00:58:47.750"))); // the line before it

        const QList<LeakReport> tomcat = reportsOf(QStringLiteral("tomcat-jul.log"));
        QCOMPARE(tomcat[0].connection, QStringLiteral("PooledConnection[org.postgresql.jdbc.PgConnection@42076c3c]"));
        QCOMPARE(tomcat[0].loggedAtMs, utcMs(QStringLiteral("2026-12-07 00:59:01.000")));
        QCOMPARE(tomcat[0].checkoutAtMs, tomcat[0].loggedAtMs - 2714);
        QCOMPARE(tomcat[0].checkoutSlackMs, 1000); // java.util.logging writes whole seconds
        QCOMPARE(tomcat[2].connection, tomcat[0].connection); // "…that has been marked suspect was returned"
        QCOMPARE(tomcat[4].connection, tomcat[1].connection); // abandoned after being suspect
        QVERIFY(tomcat[4].closesConnection);
    }

    // The reports joined to the sessions sampled beside the run, as the sampler would: each
    // sample gets the reports logged by then.
    void joins_data()
    {
        QTest::addColumn<QString>("pool");
        QTest::addColumn<QString>("file");
        QTest::addColumn<qint64>("thresholdMs");
        QTest::addColumn<int>("leastJoin");
        QTest::newRow("HikariCP") << "hikari" << "hikari-logback.log" << qint64(2000) << int(LeakJoin::ExactTime);
        QTest::newRow("c3p0") << "c3p0" << "c3p0-log4j2.log" << qint64(3000) << int(LeakJoin::TimeWindow);
        QTest::newRow("DBCP2") << "dbcp2" << "dbcp2-catalina.log" << qint64(0) << int(LeakJoin::ExactTime);
        QTest::newRow("Tomcat JDBC") << "tomcat" << "tomcat-jul.log" << qint64(0) << int(LeakJoin::ExactTime);
    }
    void joins()
    {
        QFETCH(QString, pool);
        QFETCH(QString, file);
        QFETCH(qint64, thresholdMs);
        QFETCH(int, leastJoin);
        // The log as it grew: each sample's follow finds the lines written by then (a line
        // without a time of its own was written with the line before it).
        QTemporaryDir dir;
        const QString path = dir.filePath(file);
        QFile log(path);
        QVERIFY(log.open(QIODevice::WriteOnly));
        QList<QByteArray> lines = fixture(file).split('\n');
        if (lines.last().isEmpty())
            lines.removeLast();
        qint64 lineTime = 0;
        QList<std::pair<qint64, QByteArray>> timed;
        for (const QByteArray &line : lines) {
            lineTime = logLineTimeMs(line).value_or(lineTime);
            timed.append({lineTime, line + '\n'});
        }
        LeakLogBook book;
        book.setLogs({{path, QStringLiteral("leakapp-") + pool, thresholdMs}});
        LeakLogStatePtr state;
        QSet<int> markedOpen; // sessions that carried a report while open
        for (auto &[time, sample] : activityOf(pool)) {
            while (!timed.isEmpty() && timed.first().first <= time)
                log.write(timed.takeFirst().second);
            log.flush();
            Snapshot snapshot = sample;
            if (LeakLogStatePtr now = book.update(snapshot))
                state = now;
            for (const Session &s : snapshot.sessions) {
                if (s.leakReport) {
                    markedOpen.insert(s.pid);
                    QVERIFY(s.stackFromLeakLog);
                    QCOMPARE(s.stack.value(0), kLeakSite);
                }
            }
        }
        QVERIFY(state);
        const QList<int> leaked = leakedPids(pool);
        QCOMPARE(leaked.size(), 3);
        QSet<int> explained;
        for (const JoinedLeakReport &r : state->reports) {
            if (r.withdrawn && r.pid == 0)
                continue;
            QVERIFY2(leaked.contains(r.pid), qPrintable(QStringLiteral("line %1 joined to pid %2").arg(r.report->line).arg(r.pid)));
            QVERIFY2(int(r.join) >= leastJoin, qPrintable(QStringLiteral("line %1: %2").arg(r.report->line).arg(leakJoinName(r.join))));
            explained.insert(r.pid);
        }
        QCOMPARE(explained, QSet<int>(leaked.cbegin(), leaked.cend()));
        // Pools that only report leave the session open with the report on it.
        if (pool == QLatin1String("hikari") || pool == QLatin1String("tomcat"))
            QCOMPARE(markedOpen.size(), 3);
    }
};

QTEST_GUILESS_MAIN(TestLeakLogFixtures)
#include "tst_leaklogfixtures.moc"
