// Faults PoolScope is opened in the middle of, on the real bench: restarts, a hung backend,
// a full server, TLS, and never leaving a session of its own behind.
#include "lossyrelay.h"
#include "testsupport.h"

#include "actions/bounceractions.h"
#include "postgres/pgconnection.h"
#include "analysis/health.h"
#include "recording/recordingreader.h"
#include "sampling/sampler.h"
#include "postgres/pgreader.h"

#include <QFile>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>
#include <QScopeGuard>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace poolscope;

namespace {

ConnInfo target(const QString &conninfo)
{
    QString error;
    return *ConnInfo::parse(conninfo, &error);
}

// Runs a server tool as the clusters' owner, as the bench does.
bool asServerOwner(const QStringList &command)
{
    QProcess process;
    if (geteuid() == 0)
        process.start(QStringLiteral("runuser"), QStringList{QStringLiteral("-u"), QStringLiteral("postgres"),
                                                             QStringLiteral("--")} + command);
    else
        process.start(command.first(), command.mid(1));
    // Wait with the event loop turning, so the heartbeat measures PoolScope, not this helper.
    QSignalSpy finished(&process, &QProcess::finished);
    return (finished.size() > 0 || finished.wait(120000)) && process.exitStatus() == QProcess::NormalExit
        && process.exitCode() == 0;
}

int poolscopeSessions(const QString &superuser)
{
    ClientSession probe(superuser, "test-probe");
    return probe
        .value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'poolscope%'"))
        .toInt();
}

// A PgBouncer console sampled every 200 ms, with every snapshot and status it reported. The
// lists come before the sampler: it stops, on destruction, while they still exist.
struct ConsoleWatch
{
    explicit ConsoleWatch(const ConnInfo &console)
        : sampler(console, fastSampling())
    {
        QObject::connect(&sampler, &Sampler::sampled, &context,
                         [this](const AnalysedSamplePtr &s) { snapshots.append(s->bouncer); });
        QObject::connect(&sampler, &Sampler::statusChanged, &context, [this](const SamplerStatus &s) { statuses.append(s); });
        sampler.start();
    }
    static SamplerOptions fastSampling()
    {
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(200);
        return options;
    }
    QObject context;
    QList<BouncerSnapshotPtr> snapshots;
    QList<SamplerStatus> statuses;
    Sampler sampler;
};

// A client logs in to PgBouncer only once it knows the server's parameters, which it learns
// from a first server connection: tests that pause or fill PgBouncer make one first, whatever
// ran before them on the bench.
void warmUp(const QString &pooledConninfo)
{
    ClientSession warmup(pooledConninfo, "warms-the-pool");
    QVERIFY2(warmup.ok() && warmup.exec(QStringLiteral("SELECT 1")), qPrintable(warmup.error()));
}

struct Watcher
{
    explicit Watcher(Sampler &sampler)
    {
        QObject::connect(&sampler, &Sampler::sampled, &context, [this](const AnalysedSamplePtr &s) {
            snapshots.append(s->postgres);
            snapshotTimes.append(clock.elapsed());
        });
        QObject::connect(&sampler, &Sampler::statusChanged, &context,
                         [this](const SamplerStatus &s) { statuses.append({clock.elapsed(), s}); });
        heartbeat.setInterval(10);
        QObject::connect(&heartbeat, &QTimer::timeout, &context, [this] {
            const qint64 now = clock.elapsed();
            longestStallMs = qMax(longestStallMs, now - lastBeat - 10);
            lastBeat = now;
        });
        clock.start();
        heartbeat.start();
    }
    QString describe() const
    {
        QStringList lines;
        for (const auto &[at, status] : statuses)
            lines.append(QStringLiteral("%1 ms: %2 %3").arg(at).arg(samplerStateName(status.state), status.error.message));
        return lines.join(u'\n');
    }
    bool sawError(PgError::Kind kind) const
    {
        return std::any_of(statuses.cbegin(), statuses.cend(),
                           [kind](const auto &s) { return s.second.error.kind == kind; });
    }
    QObject context;
    QElapsedTimer clock;
    QTimer heartbeat;
    qint64 lastBeat = 0;
    qint64 longestStallMs = 0;
    QList<SnapshotPtr> snapshots;
    QList<qint64> snapshotTimes;
    QList<std::pair<qint64, SamplerStatus>> statuses;
};

} // namespace

class TestFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void restartUnderARunningSampler_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("fast") << QStringLiteral("fast");
        QTest::newRow("immediate") << QStringLiteral("immediate");
    }

    void restartUnderARunningSampler()
    {
        QFETCH(QString, mode);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BENCH_DIR);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_BIN);
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(100);
        Sampler sampler(target(POOLSCOPE_TEST_SMALL), options);
        Watcher watcher(sampler);
        sampler.start();
        QTRY_VERIFY2_WITH_TIMEOUT(watcher.snapshots.size() >= 3, qPrintable(watcher.describe()), 15000);
        const SnapshotPtr before = watcher.snapshots.last();

        QVERIFY(asServerOwner({POOLSCOPE_TEST_PG_BIN + QStringLiteral("/pg_ctl"), QStringLiteral("-D"),
                               POOLSCOPE_TEST_BENCH_DIR + QStringLiteral("/pg-small"), QStringLiteral("-m"), mode,
                               QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("stop")}));
        const int seenWhileUp = int(watcher.snapshots.size());
        QVERIFY(asServerOwner({POOLSCOPE_TEST_PG_BIN + QStringLiteral("/pg_ctl"), QStringLiteral("-D"),
                               POOLSCOPE_TEST_BENCH_DIR + QStringLiteral("/pg-small"), QStringLiteral("-l"),
                               POOLSCOPE_TEST_BENCH_DIR + QStringLiteral("/pg-small.log"), QStringLiteral("-w"),
                               QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")}));
        const qint64 backAt = watcher.clock.elapsed();
        QTRY_VERIFY_WITH_TIMEOUT(watcher.snapshots.size() > seenWhileUp && watcher.snapshotTimes.last() > backAt, 15000);
        const qint64 reconnectMs = watcher.snapshotTimes.last() - backAt;
        qInfo("%s shutdown: first sample %lld ms after the server was back; longest event-loop stall %lld ms",
              qPrintable(mode), reconnectMs, watcher.longestStallMs);

        QVERIFY(watcher.sawError(PgError::Kind::Connection));
        QVERIFY2(reconnectMs < 3000, qPrintable(QString::number(reconnectMs)));
        QVERIFY(watcher.longestStallMs < 500);
        // No sample was invented for the time the server was down.
        for (int i = 1; i < watcher.snapshots.size(); ++i)
            QVERIFY(watcher.snapshots[i]->takenAtMs > watcher.snapshots[i - 1]->takenAtMs);
        const SnapshotPtr after = watcher.snapshots.last();
        QCOMPARE(before->limits.maxConnections, 8);
        QCOMPARE(after->limits.maxConnections, 8);
        QVERIFY(after->ownPid != before->ownPid);
        sampler.stop();
    }

    // A paused PgBouncer database: the console is not paused, so sampling goes on and says the
    // database is paused before the clients it holds waiting.
    void pgbouncerPaused()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        ConsoleWatch console(target(POOLSCOPE_TEST_BOUNCER));
        QTRY_VERIFY_WITH_TIMEOUT(!console.snapshots.isEmpty(), 5000);

        warmUp(POOLSCOPE_TEST_BOUNCER_APP);
        BouncerActions actions(target(POOLSCOPE_TEST_BOUNCER));
        // Whatever happens below, the bench's database is resumed for the tests after this one.
        const auto resume = qScopeGuard([&] { actions.run(BouncerActions::Command::Resume, QStringLiteral("appdb")); });
        const ActionResult paused = actions.run(BouncerActions::Command::Pause, QStringLiteral("appdb"));
        QVERIFY2(paused.ok(), qPrintable(paused.message));
        ClientSession client(POOLSCOPE_TEST_BOUNCER_APP, "waits-on-pause");
        QVERIFY2(client.ok(), qPrintable(client.error()));
        QVERIFY(client.send(QStringLiteral("SELECT 1")));
        // The console is not paused: sampling goes on and shows the database paused and the
        // client waiting, which is what a DBA needs to see.
        const auto waitingOnPause = [&] {
            if (console.snapshots.isEmpty())
                return false;
            const BouncerSnapshot &last = *console.snapshots.last();
            const auto db = std::find_if(last.databases.cbegin(), last.databases.cend(),
                                         [](const BouncerDatabase &d) { return d.name == u"appdb"; });
            const auto pool = std::find_if(last.pools.cbegin(), last.pools.cend(),
                                           [](const BouncerPool &p) { return p.database == u"appdb" && p.clWaiting > 0; });
            return db != last.databases.cend() && db->paused && pool != last.pools.cend();
        };
        QTRY_VERIFY_WITH_TIMEOUT(waitingOnPause(), 10000);
        const QString health = healthLine(*console.snapshots.last());
        QVERIFY2(health.startsWith(u"database appdb is paused") && health.contains(u"client(s) waiting"), qPrintable(health));
        QVERIFY(!client.finished(300)); // still held
        const ActionResult resumed = actions.run(BouncerActions::Command::Resume, QStringLiteral("appdb"));
        QVERIFY2(resumed.ok(), qPrintable(resumed.message));
        QVERIFY(client.finished(5000));
        console.sampler.stop();
    }

    // PgBouncer out of client slots: the console PoolScope already has keeps being sampled and
    // names the limit; the console still lets a new PoolScope in (PgBouncer exempts it), and a
    // pooled database refuses with advice that names max_client_conn and the console.
    void pgbouncerAtMaxClientConn()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        ConsoleWatch console(target(POOLSCOPE_TEST_BOUNCER));
        QTRY_VERIFY_WITH_TIMEOUT(!console.snapshots.isEmpty(), 5000);

        warmUp(POOLSCOPE_TEST_BOUNCER_APP);
        // The action connection opens now and stays open: the limit goes back up through it
        // even while no new connection is let in.
        BouncerActions actions(target(POOLSCOPE_TEST_BOUNCER));
        const QString original = console.snapshots.last()->setting(QStringLiteral("max_client_conn"));
        QVERIFY(original.toInt() > 0);
        const qsizetype clientsNow = console.snapshots.last()->clients.size() + 1; // + the action connection
        const auto restore = qScopeGuard([&] { actions.set(QStringLiteral("max_client_conn"), original); });
        const ActionResult lowered = actions.set(QStringLiteral("max_client_conn"), QString::number(clientsNow + 3));
        QVERIFY2(lowered.ok(), qPrintable(lowered.message));
        // Fill the remaining slots with application clients until PgBouncer turns one away.
        std::vector<std::unique_ptr<ClientSession>> clients;
        for (int i = 0; i < 20; ++i) {
            auto client = std::make_unique<ClientSession>(POOLSCOPE_TEST_BOUNCER_APP, "fills-pgbouncer");
            const bool ok = client->ok();
            clients.push_back(std::move(client));
            if (!ok)
                break;
        }
        QVERIFY2(!clients.back()->ok() && clients.back()->error().contains(u"max_client_conn"), qPrintable(clients.back()->error()));
        // Sampling goes on over the connection PoolScope already had, and says what is wrong.
        const qsizetype before = console.snapshots.size();
        QTRY_VERIFY_WITH_TIMEOUT(console.snapshots.size() >= before + 3, 5000);
        const QString health = healthLine(*console.snapshots.last());
        QVERIFY2(health.startsWith(u"at max_client_conn") && health.contains(u"new clients are refused"), qPrintable(health));
        // PgBouncer still lets its admin console in: a new PoolScope on the console connects...
        PgConnection newcomer;
        QVERIFY2(!newcomer.open(target(POOLSCOPE_TEST_BOUNCER), QByteArrayLiteral("poolscope-test")).isError(), "console refused");
        newcomer.close();
        // ...and one pointed at a pooled database is told why not, and where to go instead.
        PgConnection pooled;
        const PgError refused = pooled.open(target(POOLSCOPE_TEST_BOUNCER_APP), QByteArrayLiteral("poolscope-test"));
        QVERIFY2(refused.kind == PgError::Kind::TooManyConnections, qPrintable(refused.message));
        QVERIFY2(refused.advice().contains(u"max_client_conn") && refused.advice().contains(u"admin console"),
                 qPrintable(refused.advice()));
        clients.clear();
        const ActionResult raised = actions.set(QStringLiteral("max_client_conn"), original);
        QVERIFY2(raised.ok(), qPrintable(raised.message));
        QTRY_VERIFY_WITH_TIMEOUT(!pooled.open(target(POOLSCOPE_TEST_BOUNCER_APP), QByteArrayLiteral("poolscope-test")).isError(), 5000);
        console.sampler.stop();
    }

    // PgBouncer restarted under a console sampler: it reconnects, and the rates computed from
    // counters that went back to zero are zero, not negative.
    void pgbouncerRestart()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BENCH_DIR);
        ConsoleWatch console(target(POOLSCOPE_TEST_BOUNCER));
        {
            ClientSession traffic(POOLSCOPE_TEST_BOUNCER_APP, "traffic");
            for (int i = 0; i < 50; ++i)
                QVERIFY(traffic.exec(QStringLiteral("SELECT 1")));
        }
        QTRY_VERIFY_WITH_TIMEOUT(console.snapshots.size() >= 3, 5000);

        QFile pidFile(POOLSCOPE_TEST_BENCH_DIR + QStringLiteral("/pgbouncer.pid"));
        QVERIFY(pidFile.open(QIODevice::ReadOnly));
        const pid_t pid = pid_t(pidFile.readAll().trimmed().toInt());
        QVERIFY(pid > 0);
        QCOMPARE(::kill(pid, SIGTERM), 0); // 1.18: immediate shutdown
        QTRY_VERIFY_WITH_TIMEOUT(::kill(pid, 0) != 0, 10000);
        const int beforeRestart = int(console.snapshots.size());
        QVERIFY(asServerOwner({QStringLiteral("pgbouncer"), QStringLiteral("-d"),
                               POOLSCOPE_TEST_BENCH_DIR + QStringLiteral("/pgbouncer.ini")}));
        QTRY_VERIFY_WITH_TIMEOUT(console.snapshots.size() > beforeRestart + 2, 15000);
        QVERIFY(std::any_of(console.statuses.cbegin(), console.statuses.cend(), [](const SamplerStatus &s) {
            return s.state == SamplerStatus::State::Reconnecting;
        }));
        for (const BouncerSnapshotPtr &snapshot : std::as_const(console.snapshots)) {
            for (const BouncerStats &stats : snapshot->stats) {
                QVERIFY(stats.xactsPerSecond >= 0);
                QVERIFY(stats.queriesPerSecond >= 0);
                QVERIFY(stats.waitMsPerSecond >= 0);
            }
        }
        console.sampler.stop();
    }

    // A backend that stops answering (SIGSTOP): the read gives up at its deadline, cancels,
    // reconnects on a fresh backend, and this thread's event loop never waits for any of it.
    void hungBackend()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(200);
        options.queryTimeout = std::chrono::milliseconds(1000);
        Sampler sampler(target(POOLSCOPE_TEST_PG), options);
        Watcher watcher(sampler);
        sampler.start();
        QTRY_VERIFY_WITH_TIMEOUT(watcher.snapshots.size() >= 2, 5000);
        const int hungPid = watcher.snapshots.last()->ownPid;
        QCOMPARE(::kill(hungPid, SIGSTOP), 0);
        const auto wake = qScopeGuard([hungPid] { ::kill(hungPid, SIGCONT); });
        const qint64 stoppedAt = watcher.clock.elapsed();

        QTRY_VERIFY_WITH_TIMEOUT(watcher.sawError(PgError::Kind::Timeout), 10000);
        const auto timeout = std::find_if(watcher.statuses.cbegin(), watcher.statuses.cend(), [](const auto &s) {
            return s.second.error.kind == PgError::Kind::Timeout;
        });
        const qint64 reportedAfterMs = timeout->first - stoppedAt;
        QTRY_VERIFY_WITH_TIMEOUT(watcher.snapshots.last()->ownPid != hungPid, 10000);
        qInfo("timeout reported %lld ms after the backend stopped (deadline 1000 ms + 2000 ms for the cancel); "
              "longest event-loop stall %lld ms",
              reportedAfterMs, watcher.longestStallMs);
        QVERIFY2(reportedAfterMs < 5000, qPrintable(QString::number(reportedAfterMs)));
        QVERIFY(watcher.longestStallMs < 500);
        sampler.stop();
    }

    void exitsPromptlyOnALostNetwork_data()
    {
        QTest::addColumn<QStringList>("arguments"); // after the conninfo
        QTest::addColumn<QString>("verb");
        QTest::addColumn<int>("signal");
        QTest::newRow("watch, Ctrl-C") << QStringList{QStringLiteral("--interval"), QStringLiteral("0.2s")}
                                       << QStringLiteral("watch") << int(SIGINT);
        QTest::newRow("record, SIGTERM") << QStringList{QStringLiteral("--interval"), QStringLiteral("0.2s"),
                                                        QStringLiteral("-o"), QStringLiteral("lost.psrec")}
                                         << QStringLiteral("record") << int(SIGTERM);
        QTest::newRow("window, SIGTERM") << QStringList{QStringLiteral("--interval"), QStringLiteral("0.2")}
                                         << QString() << int(SIGTERM);
    }

    // A process asked to stop while its read waits on a network that passes nothing: it closes
    // what it can and exits within a second, instead of waiting for the read's deadline.
    void exitsPromptlyOnALostNetwork()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, verb);
        QFETCH(int, signal);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        LossyRelay relay(QStringLiteral("127.0.0.1"), portOf(POOLSCOPE_TEST_PG));
        QTemporaryDir home;
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
        environment.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
        process.setProcessEnvironment(environment);
        process.setWorkingDirectory(home.path());
        QStringList all = verb.isEmpty() ? QStringList() : QStringList{verb};
        all << throughRelay(POOLSCOPE_TEST_PG, relay) << arguments;
        process.start(qEnvironmentVariable("POOLSCOPE_BINARY"), all);
        QVERIFY(process.waitForStarted());
        // Sampling, through the relay: PoolScope's session shows on the server.
        const auto sampling = [&] {
            ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");
            return probe.value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'poolscope'"))
                       .toInt() > 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(sampling(), 15000);
        QTest::qWait(500);
        relay.setLost(true);
        QTest::qWait(700); // the next read is in flight, and nothing comes back
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(::kill(pid_t(process.processId()), signal), 0);
        QVERIFY2(process.waitForFinished(10000), "still running 10 s after it was asked to stop");
        const qint64 exitMs = clock.elapsed();
        qInfo("%s exited %lld ms after the signal (goal: 1 s)", qPrintable(verb.isEmpty() ? QStringLiteral("the window") : verb),
              exitMs);
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QVERIFY2(exitMs < 1500, qPrintable(QString::number(exitMs)));
        if (verb == u"record") {
            std::unique_ptr<Recording> recording;
            QString error;
            recording = Recording::open(home.filePath(QStringLiteral("lost.psrec")), &error);
            QVERIFY2(recording, qPrintable(error));
            QVERIFY(recording->endedCleanly()); // closed, not cut off
        }
        relay.setLost(false);
    }

    // The network goes away while a sample runs on the server: PoolScope gives up at its
    // deadline and cannot even send the cancel, yet the server ends the query by itself
    // (statement_timeout and lock_timeout are set on the sampling session), so no query of
    // PoolScope's is left running; when the network is back, sampling resumes.
    void networkLostMidSample()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        const quint16 serverPort = portOf(POOLSCOPE_TEST_PG);
        QVERIFY(serverPort > 0);
        LossyRelay relay(QStringLiteral("127.0.0.1"), serverPort);
        const QString relayed = throughRelay(POOLSCOPE_TEST_PG, relay);
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(200);
        options.queryTimeout = std::chrono::milliseconds(3000);
        Sampler sampler(target(relayed), options);
        Watcher watcher(sampler);
        sampler.start();
        QTRY_VERIFY_WITH_TIMEOUT(watcher.snapshots.size() >= 2, 5000);
        const int samplerPid = watcher.snapshots.last()->ownPid;

        // Hold the catalog pg_stat_activity joins, so that the next sample waits on the server...
        ClientSession holder(POOLSCOPE_TEST_PG, "holds-pg_authid");
        QVERIFY2(holder.ok(), qPrintable(holder.error()));
        const auto release = qScopeGuard([&] { holder.exec(QStringLiteral("ROLLBACK")); });
        QVERIFY(holder.exec(QStringLiteral("BEGIN")));
        QVERIFY(holder.exec(QStringLiteral("LOCK TABLE pg_catalog.pg_authid IN ACCESS EXCLUSIVE MODE")));
        // (Inside a transaction the activity view is read once and cached: clear it per read.)
        const auto stateOfSampler = [&] {
            holder.exec(QStringLiteral("SELECT pg_stat_clear_snapshot()"));
            return holder.value(QStringLiteral("SELECT coalesce(state, '') || '/' || coalesce(wait_event_type, '') "
                                               "FROM pg_stat_activity WHERE pid = %1").arg(samplerPid));
        };
        QTRY_COMPARE_WITH_TIMEOUT(stateOfSampler(), QStringLiteral("active/Lock"), 3000);
        // ...and then lose the network.
        relay.setLost(true);
        QTRY_VERIFY_WITH_TIMEOUT(watcher.sawError(PgError::Kind::Timeout), 10000);
        // The server ends the query on its own once lock_timeout passes: nothing left running.
        QTRY_VERIFY_WITH_TIMEOUT(!stateOfSampler().startsWith(u"active"), 6000);
        holder.exec(QStringLiteral("SELECT pg_stat_clear_snapshot()"));
        QCOMPARE(holder.value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'poolscope%' "
                                             "AND state = 'active' AND pid <> pg_backend_pid()")),
                 QStringLiteral("0"));
        holder.exec(QStringLiteral("ROLLBACK"));
        // The network comes back: a new sampling connection, new samples.
        relay.setLost(false);
        const qsizetype before = watcher.snapshots.size();
        QTRY_VERIFY2_WITH_TIMEOUT(watcher.snapshots.size() > before && watcher.snapshots.last()->ownPid != samplerPid,
                                  qPrintable(watcher.describe()), 20000);
        sampler.stop();
    }

    // The sampling connection, once open, stays usable when the server is full; a new one is
    // refused with 53300 and PoolScope says how to get in.
    void fullServer()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL_APP);
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(200);
        Sampler sampler(target(POOLSCOPE_TEST_SMALL_APP), options);
        Watcher watcher(sampler);
        sampler.start();
        QTRY_VERIFY_WITH_TIMEOUT(!watcher.snapshots.isEmpty(), 5000);

        std::vector<std::unique_ptr<ClientSession>> fill;
        for (int i = 0; i < 10; ++i) {
            auto session = std::make_unique<ClientSession>(POOLSCOPE_TEST_SMALL_APP, "filler");
            if (!session->ok()) {
                QVERIFY2(session->error().contains(QLatin1String("reserved")), qPrintable(session->error()));
                break;
            }
            fill.push_back(std::move(session));
        }
        QVERIFY(fill.size() >= 4);
        const int seen = int(watcher.snapshots.size());
        QTRY_VERIFY_WITH_TIMEOUT(watcher.snapshots.size() >= seen + 3, 5000);
        QVERIFY(std::any_of(watcher.snapshots.last()->findings.cbegin(), watcher.snapshots.last()->findings.cend(),
                            [](const Finding &f) { return f.code == QLatin1String("flood"); }));

        QProcess cli;
        cli.start(qEnvironmentVariable("POOLSCOPE_BINARY"), {QStringLiteral("snapshot"), POOLSCOPE_TEST_SMALL_APP});
        QVERIFY(cli.waitForFinished(20000));
        const QString err = QString::fromUtf8(cli.readAllStandardError());
        QCOMPARE(cli.exitCode(), 3);
        QVERIFY2(err.contains(QLatin1String("53300")) && err.contains(QLatin1String("superuser")), qPrintable(err));
        // The superuser reserve still lets a DBA in.
        cli.start(qEnvironmentVariable("POOLSCOPE_BINARY"), {QStringLiteral("snapshot"), POOLSCOPE_TEST_SMALL});
        QVERIFY(cli.waitForFinished(20000));
        QCOMPARE(cli.exitCode(), 0);
        sampler.stop();
    }

    void tls_data()
    {
        QTest::addColumn<QString>("extra");
        QTest::addColumn<QString>("error"); // empty: connects
        QTest::newRow("verify-full with the CA") << QString() << QString();
        QTest::newRow("verify-full without the CA") << QStringLiteral("sslrootcert=/nonexistent/ca.crt")
                                                    << QStringLiteral("root certificate file");
        QTest::newRow("verify-full, wrong host name") << QStringLiteral("host=127.0.0.1")
                                                      << QStringLiteral("does not match host name");
        QTest::newRow("require") << QStringLiteral("sslmode=require") << QString();
    }

    void tls()
    {
        QFETCH(QString, extra);
        QFETCH(QString, error);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL);
        PgConnection connection;
        const PgError result = connection.open(target(POOLSCOPE_TEST_SMALL + u' ' + extra), QByteArrayLiteral("poolscope"));
        if (error.isEmpty()) {
            QVERIFY2(!result.isError(), qPrintable(result.message));
        } else {
            QVERIFY(result.isError());
            QVERIFY2(result.message.contains(error), qPrintable(result.message));
        }
    }

    // Opening and closing a target a thousand times, and a PoolScope killed mid-sample, leave
    // no session of PoolScope's behind.
    void leavesNoSessionBehind()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        const ConnInfo info = target(POOLSCOPE_TEST_PG);
        for (int i = 0; i < 1000; ++i) {
            PgConnection connection;
            QVERIFY(!connection.open(info, QByteArrayLiteral("poolscope")).isError());
            if (i % 100 == 0) {
                PgReader reader(connection);
                AnalysisPipeline pipeline(info.displayName());
                AnalysedSamplePtr sample;
                QVERIFY(!sampleOnce(connection, reader, pipeline, std::chrono::seconds(5), &sample).isError());
            }
        }
        for (int i = 0; i < 20; ++i) {
            SamplerOptions options;
            options.interval = std::chrono::milliseconds(100);
            Sampler sampler(info, options);
            QSignalSpy snapshots(&sampler, &Sampler::sampled);
            sampler.start();
            if (i % 2)
                QVERIFY(snapshots.wait(5000));
        } // destroyed mid-sample half of the time
        QTRY_COMPARE_WITH_TIMEOUT(poolscopeSessions(POOLSCOPE_TEST_PG), 0, 5000);

        QProcess watch;
        watch.start(qEnvironmentVariable("POOLSCOPE_BINARY"),
                    {QStringLiteral("watch"), POOLSCOPE_TEST_PG, QStringLiteral("--interval"), QStringLiteral("0.1s"),
                     QStringLiteral("--json")});
        QVERIFY(watch.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(watch.readAllStandardOutput().count('\n') > 0 || poolscopeSessions(POOLSCOPE_TEST_PG) > 0,
                                 5000);
        QTest::qWait(350);
        watch.kill(); // SIGKILL: no chance to clean up
        QVERIFY(watch.waitForFinished(5000));
        QTRY_COMPARE_WITH_TIMEOUT(poolscopeSessions(POOLSCOPE_TEST_PG), 0, 10000);
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
