// Live tests against the bench's real PgBouncer 1.18, in front of its PostgreSQL.
#include "testsupport.h"

#include "actions/bounceractions.h"
#include "pgbouncer/bouncerreader.h"
#include "analysis/linker.h"
#include "sampling/sampler.h"
#include "postgres/pgreader.h"

#include <QSignalSpy>

#include <memory>

using namespace poolscope;

namespace {

ConnInfo target(const QString &conninfo)
{
    QString error;
    return *ConnInfo::parse(conninfo, &error);
}

BouncerSnapshot readBouncer(const QString &conninfo, PgError *error = nullptr)
{
    PgConnection connection;
    BouncerSnapshot snapshot;
    PgError failure = connection.open(target(conninfo), QByteArrayLiteral("poolscope"));
    BouncerReader reader;
    if (!failure.isError())
        failure = reader.read(connection, std::chrono::seconds(5), &snapshot);
    if (error)
        *error = failure;
    return snapshot;
}

Snapshot readPostgres(const QString &conninfo, const LeakRules &rules)
{
    PgConnection connection;
    Snapshot snapshot;
    if (connection.open(target(conninfo), QByteArrayLiteral("poolscope")).isError())
        return snapshot;
    PgReader reader(connection);
    AnalysisPipeline pipeline(conninfo, AnalysisSettings{rules, {}, {}});
    AnalysedSamplePtr sample;
    if (!sampleOnce(connection, reader, pipeline, std::chrono::seconds(5), &sample).isError())
        snapshot = *sample->postgres;
    return snapshot;
}

const BouncerPool *poolOf(const BouncerSnapshot &s, const char *database)
{
    for (const BouncerPool &p : s.pools) {
        if (p.database == QLatin1String(database))
            return &p;
    }
    return nullptr;
}

// Five clients holding every server of appdb's transaction pool in an open transaction.
struct DrainedPool
{
    explicit DrainedPool(const QString &conninfo)
    {
        for (int i = 0; i < 5; ++i) {
            holders.push_back(std::make_unique<ClientSession>(conninfo, "billing"));
            holders.back()->exec(QStringLiteral("BEGIN"));
            holders.back()->exec(QStringLiteral(
                "SELECT 1 /*stack='billing%3A%3AInvoice%3A%3Asave%20invoice.cpp%3A77|http%3A%3Aserve'*/"));
        }
        waiter = std::make_unique<ClientSession>(conninfo, "catalog");
        waiter->send(QStringLiteral("SELECT 2"));
    }
    std::vector<std::unique_ptr<ClientSession>> holders;
    std::unique_ptr<ClientSession> waiter;
};

} // namespace

class TestLiveBouncer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void detectsTheKind()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        for (const auto &[conninfo, expected] : {std::pair{POOLSCOPE_TEST_BOUNCER, TargetKind::PgBouncer},
                                                 std::pair{POOLSCOPE_TEST_PG, TargetKind::PostgreSQL}}) {
            PgConnection connection;
            QVERIFY(!connection.open(target(conninfo), QByteArrayLiteral("poolscope")).isError());
            TargetKind kind{};
            QVERIFY(!detectTargetKind(connection, std::chrono::seconds(5), &kind).isError());
            QCOMPARE(kind, expected);
        }
    }

    void drainedPoolIsLinkedToItsLeakedBackends()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        DrainedPool drained(POOLSCOPE_TEST_BOUNCER_APP);
        BouncerSnapshot bouncer;
        QTRY_VERIFY_WITH_TIMEOUT((bouncer = readBouncer(POOLSCOPE_TEST_BOUNCER), poolOf(bouncer, "appdb")
                                  && poolOf(bouncer, "appdb")->clWaiting == 1),
                                 5000);
        QTRY_VERIFY_WITH_TIMEOUT((bouncer = readBouncer(POOLSCOPE_TEST_BOUNCER),
                                  poolOf(bouncer, "appdb")->maxWaitSeconds >= 1.0),
                                 5000);
        const BouncerPool *pool = poolOf(bouncer, "appdb");
        QCOMPARE(bouncer.versionNum / 100, 118);
        QCOMPARE(pool->svActive, 5);
        QCOMPARE(pool->size, 5);
        QCOMPARE(pool->poolMode, QStringLiteral("transaction"));
        QVERIFY(bouncer.missingCommands.isEmpty());

        LeakRules eager;
        eager.idleInTxLeakedAfter = 0;
        const Snapshot postgres = readPostgres(POOLSCOPE_TEST_PG, eager);
        const LinkedLayers linked = linkLayers(bouncer, &postgres);
        int leaked = 0;
        for (const ClientLink &link : linked.clients) {
            const BouncerClient &client = bouncer.clients[link.client];
            if (client.applicationName != QLatin1String("billing"))
                continue;
            QVERIFY(link.backend >= 0);
            const Session &backend = postgres.sessions[link.backend];
            QCOMPARE(backend.sessionClass, SessionClass::IdleInTransaction);
            QCOMPARE(backend.stack.first(), QStringLiteral("billing::Invoice::save invoice.cpp:77"));
            QCOMPARE(link.leak, LeakVerdict::Leaked);
            ++leaked;
        }
        QCOMPARE(leaked, 5);
        QVERIFY(std::any_of(linked.findings.cbegin(), linked.findings.cend(),
                            [](const Finding &f) { return f.code == QLatin1String("pool-starved"); }));
    }

    void raisingThePoolServesTheWaitingClient()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        DrainedPool drained(POOLSCOPE_TEST_BOUNCER_APP);
        QVERIFY(!drained.waiter->finished(1500)); // queued behind the held servers
        BouncerActions actions(target(POOLSCOPE_TEST_BOUNCER));
        const ActionResult raised = actions.set(QStringLiteral("default_pool_size"), QStringLiteral("6"));
        const auto restore = qScopeGuard([&] { actions.set(QStringLiteral("default_pool_size"), QStringLiteral("5")); });
        QVERIFY2(raised.ok(), qPrintable(raised.message));
        QVERIFY(raised.message.contains(QLatin1String("default_pool_size is now 6 (was 5)")));
        QVERIFY(drained.waiter->finished(5000));
    }

    void fixedSettingIsReportedAsSuch()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        const QString before = readBouncer(POOLSCOPE_TEST_BOUNCER).setting(QStringLiteral("listen_port"));
        BouncerActions actions(target(POOLSCOPE_TEST_BOUNCER));
        const ActionResult result = actions.set(QStringLiteral("listen_port"), QStringLiteral("7777"));
        QCOMPARE(result.status, ActionResult::Status::NotChangeable);
        QVERIFY2(result.message.contains(QLatin1String("not changeable at run time")), qPrintable(result.message));
        QCOMPARE(readBouncer(POOLSCOPE_TEST_BOUNCER).setting(QStringLiteral("listen_port")), before);
        QCOMPARE(actions.set(QStringLiteral("no_such_setting"), QStringLiteral("1")).status,
                 ActionResult::Status::NotFound);
        QCOMPARE(actions.set(QStringLiteral("pool_mode"), QStringLiteral("x'; SHUTDOWN; --")).status,
                 ActionResult::Status::InvalidArgument);
    }

    void statsUserReadsButCannotChange()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_STATS);
        PgError error;
        const BouncerSnapshot snapshot = readBouncer(POOLSCOPE_TEST_BOUNCER_STATS, &error);
        QVERIFY2(!error.isError(), qPrintable(error.message));
        QVERIFY(!snapshot.pools.isEmpty());
        BouncerActions actions(target(POOLSCOPE_TEST_BOUNCER_STATS));
        const ActionResult result = actions.set(QStringLiteral("default_pool_size"), QStringLiteral("9"));
        QCOMPARE(result.status, ActionResult::Status::InsufficientPrivilege);
        QCOMPARE(result.requiredRole, QStringLiteral("admin_users"));
        QCOMPARE(readBouncer(POOLSCOPE_TEST_BOUNCER_STATS).setting(QStringLiteral("default_pool_size")),
                 QStringLiteral("5")); // nothing half-done
        QCOMPARE(actions.run(BouncerActions::Command::Pause, QStringLiteral("postgres")).status,
                 ActionResult::Status::InsufficientPrivilege);
    }

    void pauseAndResumeOneDatabase()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        BouncerActions actions(target(POOLSCOPE_TEST_BOUNCER));
        const auto paused = [&] {
            for (const BouncerDatabase &d : readBouncer(POOLSCOPE_TEST_BOUNCER).databases) {
                if (d.name == QLatin1String("postgres"))
                    return d.paused;
            }
            return false;
        };
        QVERIFY2(actions.run(BouncerActions::Command::Pause, QStringLiteral("postgres")).ok(), "PAUSE postgres");
        QVERIFY(paused());
        QVERIFY2(actions.run(BouncerActions::Command::Resume, QStringLiteral("postgres")).ok(), "RESUME postgres");
        QVERIFY(!paused());
        QCOMPARE(actions.run(BouncerActions::Command::Pause, QStringLiteral("nosuchdb")).status,
                 ActionResult::Status::NotFound);
        QCOMPARE(actions.run(BouncerActions::Command::Disable).status, ActionResult::Status::InvalidArgument);
    }

    // 1.18 has no KILL_CLIENT: ending the backend the client holds drops exactly that client.
    void killOneClientThroughItsBackend()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        ClientSession victim(POOLSCOPE_TEST_BOUNCER_APP, "victim");
        ClientSession bystander(POOLSCOPE_TEST_BOUNCER_APP, "bystander");
        QVERIFY(victim.exec(QStringLiteral("BEGIN")) && victim.exec(QStringLiteral("SELECT 1")));
        QVERIFY(bystander.exec(QStringLiteral("BEGIN")) && bystander.exec(QStringLiteral("SELECT 1")));
        BouncerActions actions(target(POOLSCOPE_TEST_BOUNCER));
        QCOMPARE(actions.killClient(QStringLiteral("1")).status, ActionResult::Status::NotSupported);

        const BouncerSnapshot bouncer = readBouncer(POOLSCOPE_TEST_BOUNCER);
        int pid = 0;
        for (const ClientLink &link : linkLayers(bouncer, nullptr).clients) {
            if (bouncer.clients[link.client].applicationName == QLatin1String("victim") && link.server >= 0)
                pid = bouncer.servers[link.server].remotePid;
        }
        QVERIFY(pid > 0);
        PgActions postgres(target(POOLSCOPE_TEST_PG));
        QVERIFY(postgres.terminate({pid, std::nullopt}).ok());
        QVERIFY(!victim.alive());
        QVERIFY(bystander.alive());
    }

    // The threaded sampler follows a console: kind found out, rates from the totals, one connection.
    void samplerFollowsAConsole()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(200);
        Sampler sampler(target(POOLSCOPE_TEST_BOUNCER), options);
        QList<BouncerSnapshotPtr> snapshots;
        int postgresSamples = 0;
        std::optional<TargetKind> kind;
        connect(&sampler, &Sampler::sampled, this, [&](const AnalysedSamplePtr &sample) {
            if (sample->bouncer)
                snapshots.append(sample->bouncer);
            else
                ++postgresSamples;
        });
        connect(&sampler, &Sampler::statusChanged, this, [&](const SamplerStatus &status) {
            if (status.kind)
                kind = status.kind;
        });
        sampler.start();
        QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 5000);
        QCOMPARE(kind, TargetKind::PgBouncer);

        ClientSession traffic(POOLSCOPE_TEST_BOUNCER_APP, "traffic");
        const auto rate = [&] {
            for (const BouncerStats &s : snapshots.last()->stats) {
                if (s.database == QLatin1String("appdb"))
                    return s.xactsPerSecond;
            }
            return 0.0;
        };
        QElapsedTimer timer;
        timer.start();
        bool seen = false;
        while (!seen && timer.elapsed() < 5000) {
            for (int i = 0; i < 20; ++i)
                QVERIFY(traffic.exec(QStringLiteral("SELECT 1")));
            QTest::qWait(100);
            seen = rate() > 0;
        }
        QVERIFY2(seen, "no transaction rate seen for appdb");
        const BouncerSnapshot &last = *snapshots.last();
        QVERIFY(last.clientsReadAtMs > 0 && last.clientsReadAtMs <= last.takenAtMs);
        const int ours = int(std::count_if(last.clients.cbegin(), last.clients.cend(), [](const BouncerClient &c) {
            return c.database == QLatin1String("pgbouncer") && c.applicationName == QLatin1String("poolscope");
        }));
        QCOMPARE(ours, 1);
        QCOMPARE(postgresSamples, 0);
        sampler.stop();
    }

    void sessionPooling()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_SESSION);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        ClientSession first(POOLSCOPE_TEST_BOUNCER_SESSION, "reports");
        ClientSession second(POOLSCOPE_TEST_BOUNCER_SESSION, "reports");
        QVERIFY(first.exec(QStringLiteral("SELECT 1")) && second.exec(QStringLiteral("SELECT 1")));
        ClientSession third(POOLSCOPE_TEST_BOUNCER_SESSION, "reports");
        third.send(QStringLiteral("SELECT 3"));
        BouncerSnapshot bouncer;
        QTRY_VERIFY_WITH_TIMEOUT((bouncer = readBouncer(POOLSCOPE_TEST_BOUNCER), poolOf(bouncer, "appdb_session")
                                  && poolOf(bouncer, "appdb_session")->clWaiting == 1),
                                 5000);
        const BouncerPool *pool = poolOf(bouncer, "appdb_session");
        QCOMPARE(pool->poolMode, QStringLiteral("session"));
        QCOMPARE(pool->size, 2);
        QCOMPARE(pool->sizeSource, QStringLiteral("database pool_size"));
        // Idle sessions that hold a server in session pooling are linked, and not leaks.
        const Snapshot postgres = readPostgres(POOLSCOPE_TEST_PG, LeakRules{});
        const LinkedLayers linked = linkLayers(bouncer, &postgres);
        int linkedIdle = 0;
        for (const ClientLink &link : linked.clients) {
            if (link.backend >= 0 && bouncer.clients[link.client].database == QLatin1String("appdb_session")) {
                QCOMPARE(postgres.sessions[link.backend].sessionClass, SessionClass::Idle);
                QCOMPARE(link.leak, LeakVerdict::None);
                ++linkedIdle;
            }
        }
        QCOMPARE(linkedIdle, 2);
    }
};

QTEST_GUILESS_MAIN(TestLiveBouncer)
#include "tst_livebouncer.moc"
