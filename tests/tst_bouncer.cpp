// PgBouncer console answers, recorded from the bench's 1.18 and written for 1.25 from
// PgBouncer's documentation, read and linked to PostgreSQL without a server.
#include "pgbouncer/bouncerparse.h"
#include "pgbouncer/bouncerreader.h"
#include "analysis/linker.h"
#include "actions/bounceractions.h"
#include "pgbouncer/bouncersettings.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace poolscope;

namespace {

QString fixtureDir(const QString &version) { return QStringLiteral(POOLSCOPE_FIXTURES "/pgbouncer-") + version; }

QMap<QString, ResultTable> loadTables(const QString &version, const QStringList &without = {})
{
    QMap<QString, ResultTable> tables;
    for (const QString &command : bouncerCommands()) {
        if (without.contains(command))
            continue;
        QFile file(fixtureDir(version) + u'/' + command + QStringLiteral(".tsv"));
        if (!file.open(QIODevice::ReadOnly))
            qFatal("missing fixture %s", qPrintable(file.fileName()));
        tables.insert(command, ResultTable::fromTsv(QString::fromUtf8(file.readAll())));
    }
    return tables;
}

BouncerSnapshot load(const QString &version, const QStringList &without = {})
{
    BouncerSnapshot snapshot;
    assembleBouncerSnapshot(snapshot, loadTables(version, without));
    return snapshot;
}

// The PostgreSQL side recorded at the same moment as the 1.18 fixture.
Snapshot postgresSide(double stateSeconds)
{
    QFile file(fixtureDir(QStringLiteral("1.18")) + QStringLiteral("/pg-activity.tsv"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing pg-activity fixture");
    const ResultTable table = ResultTable::fromTsv(QString::fromUtf8(file.readAll()));
    Snapshot snapshot;
    snapshot.takenAtMs = 1'800'000'000'000;
    snapshot.limits.maxConnections = 100;
    snapshot.limits.superuserReserved = 3;
    for (int r = 0; r < table.rows.size(); ++r) {
        Session s;
        s.pid = int(table.number(r, table.column(u"pid")));
        s.clientPort = int(table.number(r, table.column(u"client_port")));
        s.applicationName = table.text(r, table.column(u"application_name"));
        s.state = table.text(r, table.column(u"state"));
        s.database = QStringLiteral("appdb");
        s.user = QStringLiteral("ps_app");
        s.backendStartMs = snapshot.takenAtMs - 600'000;
        s.stateChangeMs = snapshot.takenAtMs - qint64(stateSeconds * 1000);
        snapshot.sessions.append(s);
    }
    classify(snapshot, LeakRules{});
    return snapshot;
}

} // namespace

class TestBouncer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void versions_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<int>("versionNum");
        QTest::addColumn<bool>("hasIds");
        QTest::addColumn<int>("clients");
        QTest::newRow("1.18 recorded") << QStringLiteral("1.18") << 11800 << false << 7;
        QTest::newRow("1.21 from docs") << QStringLiteral("1.21") << 12100 << false << 7;
        QTest::newRow("1.24 from docs") << QStringLiteral("1.24") << 12400 << true << 7;
        QTest::newRow("1.25 from docs") << QStringLiteral("1.25") << 12500 << true << 8;
    }

    void versions()
    {
        QFETCH(QString, version);
        QFETCH(int, versionNum);
        QFETCH(bool, hasIds);
        QFETCH(int, clients);
        const BouncerSnapshot s = load(version);
        QCOMPARE(s.versionNum, versionNum);
        QCOMPARE(s.version, version + QStringLiteral(".0"));
        QVERIFY(s.missingCommands.isEmpty());
        QCOMPARE(s.hasKillClient(), versionNum >= 12400);

        // The drained pool: 5 clients holding all 5 servers, one waiting.
        const auto pool = std::find_if(s.pools.cbegin(), s.pools.cend(),
                                       [](const BouncerPool &p) { return p.database == QLatin1String("appdb"); });
        QVERIFY(pool != s.pools.cend());
        QCOMPARE(pool->user, QStringLiteral("ps_app"));
        QCOMPARE(pool->clActive, 5);
        QCOMPARE(pool->clWaiting, 1);
        QCOMPARE(pool->svActive, 5);
        QCOMPARE(pool->servers(), 5);
        QVERIFY(pool->maxWaitSeconds > 2.0 && pool->maxWaitSeconds < 3.0);
        QCOMPARE(pool->poolMode, QStringLiteral("transaction"));
        QCOMPARE(pool->size, 5);
        QCOMPARE(pool->sizeSource, QStringLiteral("default_pool_size"));
        QCOMPARE(pool->utilisation(), 1.0);

        QCOMPARE(s.clients.size(), clients);
        QCOMPARE(s.servers.size(), 5);
        QCOMPARE(s.clients[0].applicationName, QStringLiteral("billing"));
        QCOMPARE(s.clients[0].link, s.servers[0].ptr);
        QCOMPARE(s.servers[0].link, s.clients[0].ptr);
        QVERIFY(s.servers[0].remotePid > 0);
        QCOMPARE(!s.clients[0].id.isEmpty(), hasIds);
        QCOMPARE(s.clients[5].state, QStringLiteral("waiting"));
        QVERIFY(s.clients[5].link.isEmpty());

        const auto appdb = std::find_if(s.databases.cbegin(), s.databases.cend(),
                                        [](const BouncerDatabase &d) { return d.name == QLatin1String("appdb"); });
        QCOMPARE(appdb->poolSize, 5);
        QCOMPARE(s.setting(QStringLiteral("pool_mode")), QStringLiteral("transaction"));
        QVERIFY(s.findSetting(QStringLiteral("listen_port")).has_value());
        QVERIFY(!s.findSetting(QStringLiteral("listen_port"))->changeable);
        QVERIFY(s.findSetting(QStringLiteral("default_pool_size"))->changeable);
        QCOMPARE(s.lists.value(QStringLiteral("databases")), 3);
    }

    void renamedReservePoolColumn()
    {
        // reserve_pool (up to 1.23) and reserve_pool_size (1.24+) read into the same field.
        for (const char *version : {"1.18", "1.24"}) {
            ResultTable table = loadTables(QString::fromLatin1(version))[QStringLiteral("databases")];
            const int column = table.has(u"reserve_pool_size") ? table.column(u"reserve_pool_size")
                                                                : table.column(u"reserve_pool");
            QVERIFY(column >= 0);
            table.rows[0][column] = QStringLiteral("3");
            QCOMPARE(parseDatabases(table).first().reservePool, 3);
        }
    }

    void idleClientStateOf125()
    {
        const BouncerSnapshot s = load(QStringLiteral("1.25"));
        QCOMPARE(s.clients.last().state, QStringLiteral("idle"));
        QCOMPARE(s.clients.last().id, QStringLiteral("120"));
    }

    void consoleLackingCommands()
    {
        const BouncerSnapshot s = load(QStringLiteral("1.18"), {QStringLiteral("lists"), QStringLiteral("config")});
        QCOMPARE(s.missingCommands, (QStringList{QStringLiteral("SHOW CONFIG"), QStringLiteral("SHOW LISTS")}));
        QVERIFY(s.lists.isEmpty());
        QCOMPARE(s.pools.size(), 2); // the rest is read as usual
        const auto pool = std::find_if(s.pools.cbegin(), s.pools.cend(),
                                       [](const BouncerPool &p) { return p.database == QLatin1String("appdb"); });
        QCOMPARE(pool->size, 5); // from SHOW DATABASES
        QCOMPARE(pool->sizeSource, QStringLiteral("database pool_size")); // no default to compare with
    }

    void unknownColumnsAndGarbage()
    {
        const ResultTable table = ResultTable::fromTsv(
            QStringLiteral("database\tuser\tcl_active\tsomething_new\n"
                           "appdb\tapp\tnot-a-number\tx\n"
                           "short\n"));
        const QList<BouncerPool> pools = parsePools(table);
        QCOMPARE(pools.size(), 2);
        QCOMPARE(pools[0].clActive, 0);   // unreadable number: 0, not a crash
        QCOMPARE(pools[0].svActive, 0);   // missing column: absent
        QCOMPARE(pools[1].database, QStringLiteral("short"));
        QCOMPARE(parseBouncerVersion(QStringLiteral("not pgbouncer"), nullptr), 0);
    }

    // Found by fuzz_bouncer: counts near INT_MAX made the cancel-request sum overflow.
    void absurdNumbersSaturate()
    {
        const ResultTable pools = ResultTable::fromTsv(QStringLiteral(
            "database\tuser\tcl_active\tcl_active_cancel_req\tcl_waiting_cancel_req\tsv_active\tsv_idle\tmaxwait\n"
            "db\tu\t99999999999\t2147483647\t2147483647\t-5\t2147483647\t-1\n"));
        const BouncerPool pool = parsePools(pools).first();
        QCOMPARE(pool.clActive, 100'000'000);
        QCOMPARE(pool.clCancelRequests, 200'000'000);
        QCOMPARE(pool.svActive, 0);
        QCOMPARE(pool.servers(), 100'000'000);
        QCOMPARE(pool.maxWaitSeconds, 0.0);
        const ResultTable stats = ResultTable::fromTsv(
            QStringLiteral("database\ttotal_xact_count\ndb\t-9223372036854775807\n"));
        QList<BouncerStats> now = parseStats(stats);
        BouncerStats before;
        before.database = QStringLiteral("db");
        before.totalXacts = 5;
        computeRates(now, {before}, 1.0);
        QCOMPARE(now.first().xactsPerSecond, 0.0);
        QCOMPARE(parseBouncerVersion(QStringLiteral("PgBouncer 99999999999.1.1"), nullptr), 0);
    }

    void clientListsReadRarelyWhenLarge_data()
    {
        QTest::addColumn<qint64>("usedClients");
        QTest::addColumn<qint64>("lastReadMs");
        QTest::addColumn<qint64>("nowMs");
        QTest::addColumn<bool>("due");
        QTest::newRow("never read") << qint64(50'000) << qint64(0) << qint64(1'000) << true;
        QTest::newRow("few clients: every sample") << qint64(1'500) << qint64(1'000) << qint64(1'100) << true;
        QTest::newRow("at the threshold") << qint64(2'000) << qint64(1'000) << qint64(1'100) << true;
        QTest::newRow("many clients, read 1 s ago") << qint64(5'000) << qint64(1'000) << qint64(2'000) << false;
        QTest::newRow("many clients, read 9.9 s ago") << qint64(5'000) << qint64(1'000) << qint64(10'900) << false;
        QTest::newRow("many clients, read 10 s ago") << qint64(5'000) << qint64(1'000) << qint64(11'000) << true;
    }

    void clientListsReadRarelyWhenLarge()
    {
        QFETCH(qint64, usedClients);
        QFETCH(qint64, lastReadMs);
        QFETCH(qint64, nowMs);
        QFETCH(bool, due);
        QCOMPARE(BouncerReader::clientListsDue(usedClients, lastReadMs, nowMs), due);
    }

    void rates_data()
    {
        QTest::addColumn<qint64>("before");
        QTest::addColumn<qint64>("after");
        QTest::addColumn<double>("perSecond");
        QTest::newRow("steady") << qint64(1000) << qint64(1500) << 250.0;
        QTest::newRow("restart: counter went backwards") << qint64(1000) << qint64(40) << 0.0;
        QTest::newRow("idle") << qint64(7) << qint64(7) << 0.0;
    }

    void rates()
    {
        QFETCH(qint64, before);
        QFETCH(qint64, after);
        QFETCH(double, perSecond);
        BouncerStats previous;
        previous.database = QStringLiteral("appdb");
        previous.totalXacts = before;
        previous.totalWaitUs = before * 1000;
        QList<BouncerStats> current{previous};
        current[0].totalXacts = after;
        current[0].totalWaitUs = after * 1000;
        computeRates(current, {previous}, 2.0);
        QCOMPARE(current[0].xactsPerSecond, perSecond);
        QCOMPARE(current[0].waitMsPerSecond, perSecond);
    }

    // The leak signature: active in PgBouncer, idle in transaction on PostgreSQL.
    void linkAndLeakSignature()
    {
        const BouncerSnapshot bouncer = load(QStringLiteral("1.18"));
        const Snapshot postgres = postgresSide(75);
        const LinkedLayers linked = linkLayers(bouncer, &postgres);
        QCOMPARE(linked.clients.size(), bouncer.clients.size());
        for (int c = 0; c < 5; ++c) {
            const ClientLink &link = linked.clients[c];
            QCOMPARE(link.server, c);
            QVERIFY(link.backend >= 0);
            QCOMPARE(postgres.sessions[link.backend].pid, bouncer.servers[c].remotePid);
            QCOMPARE(link.leak, LeakVerdict::Leaked);
            QVERIFY2(link.reasons.join(u';').contains(QLatin1String("idle in transaction for 75 s")),
                     qPrintable(link.reasons.join(u';')));
            QCOMPARE(linked.clientOfPid.value(bouncer.servers[c].remotePid), c);
        }
        QCOMPARE(linked.clients[5].server, -1); // the waiting client holds nothing
        QCOMPARE(linked.clients[5].leak, LeakVerdict::None);
        const auto starved = std::find_if(linked.findings.cbegin(), linked.findings.cend(),
                                          [](const Finding &f) { return f.code == QLatin1String("pool-starved"); });
        QVERIFY(starved != linked.findings.cend());
        QVERIFY2(starved->message.contains(QLatin1String("pool appdb/ps_app: 1 client(s) waiting")),
                 qPrintable(starved->message));
        const auto held = std::find_if(linked.findings.cbegin(), linked.findings.cend(),
                                       [](const Finding &f) { return f.code == QLatin1String("held-leak"); });
        QVERIFY(held != linked.findings.cend());
        QVERIFY2(held->message.startsWith(QLatin1String("5 client(s) of pool appdb/ps_app hold servers")),
                 qPrintable(held->message));
    }

    void youngTransactionsAreNotLeaks()
    {
        const BouncerSnapshot bouncer = load(QStringLiteral("1.18"));
        const Snapshot postgres = postgresSide(2);
        const LinkedLayers linked = linkLayers(bouncer, &postgres);
        QCOMPARE(linked.clients[0].leak, LeakVerdict::None);
        QVERIFY(std::none_of(linked.findings.cbegin(), linked.findings.cend(), [](const Finding &f) {
            return f.code == QLatin1String("pool-starved") || f.code == QLatin1String("held-leak");
        }));
    }

    void poolBudgetAgainstMaxConnections()
    {
        BouncerSnapshot bouncer = load(QStringLiteral("1.18"));
        Snapshot postgres = postgresSide(1);
        postgres.limits.maxConnections = 8; // 5 usable slots for a pool of 5 (+ reserve)
        for (BouncerPool &pool : bouncer.pools)
            pool.size = pool.database == QLatin1String("appdb") ? 40 : pool.size;
        const LinkedLayers linked = linkLayers(bouncer, &postgres);
        const auto budget = std::find_if(linked.findings.cbegin(), linked.findings.cend(),
                                         [](const Finding &f) { return f.code == QLatin1String("pool-budget"); });
        QVERIFY(budget != linked.findings.cend());
        QVERIFY2(budget->message.contains(QLatin1String("can open 40 server connections")), qPrintable(budget->message));
        QVERIFY(budget->message.contains(QLatin1String("5 usable slots")));
    }

    void withoutPostgresNothingIsLinked()
    {
        const BouncerSnapshot bouncer = load(QStringLiteral("1.18"));
        const LinkedLayers linked = linkLayers(bouncer, nullptr);
        QCOMPARE(linked.clients[0].server, 0);
        QCOMPARE(linked.clients[0].backend, -1);
        QVERIFY(linked.findings.isEmpty());
    }

    // Before SET: PgBouncer reads an int setting with strtol into an int and wraps without a
    // word (99999999999 -> 1215752191, 4294967297 -> 1), so each known setting is checked
    // against its type and range here, and sent in a form PgBouncer cannot misread.
    void settingValues_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("sent"); // empty: refused
        QTest::addColumn<QString>("why");  // part of the refusal
        const QString range = QStringLiteral("from 0 to 2147483647");
        QTest::newRow("size") << QStringLiteral("default_pool_size") << QStringLiteral("20") << QStringLiteral("20") << QString();
        QTest::newRow("size: wraps in PgBouncer") << QStringLiteral("default_pool_size") << QStringLiteral("99999999999")
                                                  << QString() << range;
        QTest::newRow("size: 2^32 + 1") << QStringLiteral("default_pool_size") << QStringLiteral("4294967297") << QString() << range;
        QTest::newRow("size: negative") << QStringLiteral("default_pool_size") << QStringLiteral("-1") << QString() << range;
        QTest::newRow("size: int max") << QStringLiteral("max_client_conn") << QStringLiteral("2147483647")
                                       << QStringLiteral("2147483647") << QString();
        QTest::newRow("size: not a number") << QStringLiteral("reserve_pool_size") << QStringLiteral("five") << QString() << range;
        QTest::newRow("size: octal to strtol") << QStringLiteral("min_pool_size") << QStringLiteral("010") << QStringLiteral("10")
                                               << QString();
        QTest::newRow("size: hex to strtol") << QStringLiteral("min_pool_size") << QStringLiteral("0x10") << QString() << range;
        QTest::newRow("size: thirty digits") << QStringLiteral("max_db_connections")
                                             << QStringLiteral("999999999999999999999999999999") << QString() << range;
        QTest::newRow("port") << QStringLiteral("listen_port") << QStringLiteral("70000") << QString() << QStringLiteral("1 to 65535");
        QTest::newRow("peer_id") << QStringLiteral("peer_id") << QStringLiteral("16384") << QString() << QStringLiteral("0 to 16383");
        QTest::newRow("unsigned") << QStringLiteral("max_packet_size") << QStringLiteral("4294967296") << QString()
                                  << QStringLiteral("0 to 4294967295");
        QTest::newRow("duration: bare is seconds") << QStringLiteral("query_timeout") << QStringLiteral("90") << QStringLiteral("90")
                                                   << QString();
        QTest::newRow("duration: minutes") << QStringLiteral("server_idle_timeout") << QStringLiteral("5min")
                                           << QStringLiteral("300") << QString();
        QTest::newRow("duration: milliseconds") << QStringLiteral("query_wait_timeout") << QStringLiteral("1500ms")
                                                << QStringLiteral("1.5") << QString();
        QTest::newRow("duration: negative") << QStringLiteral("query_timeout") << QStringLiteral("-1") << QString()
                                            << QStringLiteral("duration from 0");
        QTest::newRow("duration: beyond 64-bit microseconds") << QStringLiteral("server_lifetime") << QStringLiteral("1000000000d")
                                                              << QString() << QStringLiteral("to 18446744073709 s");
        QTest::newRow("whole seconds") << QStringLiteral("stats_period") << QStringLiteral("1min") << QStringLiteral("60") << QString();
        QTest::newRow("whole seconds: a fraction") << QStringLiteral("stats_period") << QStringLiteral("1.5") << QString()
                                                   << QStringLiteral("whole seconds");
        QTest::newRow("whole seconds: 0 would spin") << QStringLiteral("stats_period") << QStringLiteral("0") << QString()
                                                     << QStringLiteral("from 1");
        QTest::newRow("milliseconds with a unit") << QStringLiteral("tcp_user_timeout") << QStringLiteral("10s")
                                                  << QStringLiteral("10000") << QString();
        QTest::newRow("milliseconds: a bare number is ambiguous") << QStringLiteral("tcp_user_timeout") << QStringLiteral("10000")
                                                                  << QString() << QStringLiteral("with its unit");
        QTest::newRow("milliseconds: 0") << QStringLiteral("tcp_user_timeout") << QStringLiteral("0") << QStringLiteral("0") << QString();
        QTest::newRow("boolean on") << QStringLiteral("log_connections") << QStringLiteral("on") << QStringLiteral("1") << QString();
        QTest::newRow("boolean 0") << QStringLiteral("server_round_robin") << QStringLiteral("0") << QStringLiteral("0") << QString();
        QTest::newRow("boolean 2") << QStringLiteral("log_stats") << QStringLiteral("2") << QString() << QStringLiteral("0 or 1");
        QTest::newRow("choice") << QStringLiteral("pool_mode") << QStringLiteral("Transaction") << QStringLiteral("transaction")
                                << QString();
        QTest::newRow("choice: unknown") << QStringLiteral("pool_mode") << QStringLiteral("bogus") << QString()
                                         << QStringLiteral("session, transaction, statement");
        QTest::newRow("sslmode") << QStringLiteral("server_tls_sslmode") << QStringLiteral("verify-full")
                                 << QStringLiteral("verify-full") << QString();
        QTest::newRow("text passes") << QStringLiteral("server_check_query") << QStringLiteral("select 2")
                                     << QStringLiteral("select 2") << QString();
        QTest::newRow("unknown setting passes") << QStringLiteral("a_setting_from_1_26") << QStringLiteral("x")
                                                << QStringLiteral("x") << QString();
    }

    void settingValues()
    {
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, sent);
        QFETCH(QString, why);
        const CheckedSetting checked = checkBouncerSetting(key, value);
        QCOMPARE(checked.ok(), !sent.isEmpty());
        QCOMPARE(checked.value, sent);
        QVERIFY2(checked.error.contains(why), qPrintable(checked.error));
        if (!checked.ok())
            QVERIFY2(checked.error.contains(key) && checked.error.contains(value.trimmed()), qPrintable(checked.error));
    }

    // After SET, what SHOW CONFIG reads: a value other than the one sent is a failure that names
    // the value in effect, never "not changeable".
    void setOutcome_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("sent");
        QTest::addColumn<QString>("after");
        QTest::addColumn<bool>("done");
        QTest::newRow("as sent") << QStringLiteral("default_pool_size") << QStringLiteral("20") << QStringLiteral("20") << true;
        QTest::newRow("wrapped") << QStringLiteral("default_pool_size") << QStringLiteral("99999999999")
                                 << QStringLiteral("1215752191") << false;
        QTest::newRow("duration, %g") << QStringLiteral("server_lifetime") << QStringLiteral("1234567")
                                      << QStringLiteral("1.23457e+06") << true;
        QTest::newRow("duration, fraction") << QStringLiteral("query_wait_timeout") << QStringLiteral("1.5")
                                            << QStringLiteral("1.5") << true;
        QTest::newRow("duration, other") << QStringLiteral("query_timeout") << QStringLiteral("30") << QStringLiteral("0") << false;
        QTest::newRow("choice, case") << QStringLiteral("pool_mode") << QStringLiteral("session") << QStringLiteral("SESSION") << true;
        QTest::newRow("text") << QStringLiteral("server_check_query") << QStringLiteral("select 2") << QStringLiteral("select 1")
                              << false;
    }

    void setOutcome()
    {
        QFETCH(QString, key);
        QFETCH(QString, sent);
        QFETCH(QString, after);
        QFETCH(bool, done);
        const ActionResult result = BouncerActions::setOutcome(key, sent, QStringLiteral("5"), after);
        QCOMPARE(result.ok(), done);
        QVERIFY(result.status == ActionResult::Status::Done || result.status == ActionResult::Status::Failed);
        QVERIFY2(result.message.contains(after), qPrintable(result.message)); // the value in effect now
        const ActionResult gone = BouncerActions::setOutcome(key, sent, QStringLiteral("5"), std::nullopt);
        QCOMPARE(gone.status, ActionResult::Status::Failed);
    }

    // A paused or disabled database is a finding of the console's own sample, for every output.
    void pausedAndDisabledDatabases()
    {
        BouncerDatabase appdb, other, off;
        appdb.name = QStringLiteral("appdb");
        appdb.paused = true;
        other.name = QStringLiteral("other");
        off.name = QStringLiteral("off");
        off.disabled = true;
        const QList<Finding> findings = databaseFindings({appdb, other, off});
        QCOMPARE(findings.size(), 2);
        QCOMPARE(findings[0].code, QStringLiteral("database-paused"));
        QCOMPARE(findings[0].message, QStringLiteral("database appdb is paused (RESUME lets its clients through)"));
        QCOMPARE(findings[1].code, QStringLiteral("database-disabled"));
        BouncerSnapshot snapshot;
        QMap<QString, ResultTable> tables = loadTables(QStringLiteral("1.18"));
        assembleBouncerSnapshot(snapshot, tables);
        QVERIFY(snapshot.findings.isEmpty()); // nothing paused in the fixture
    }
};

QTEST_GUILESS_MAIN(TestBouncer)
#include "tst_bouncer.moc"
