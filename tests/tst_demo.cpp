// Demo mode on its own throwaway cluster: it starts and stops without leaving a process or a
// directory behind, also when the window or the host is killed; each scenario shows its
// signature in the core's snapshots within the presenter's 30 seconds, and each fix clears it.
#include "actions/actions.h"
#include "demodirector.h"
#include "recordingfeed.h"
#include "livesampler.h"
#include "recording/recorder.h"
#include "recording/recordingreader.h"
#include "snapshotcompare.h"
#include "testsupport.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <signal.h>

using namespace poolscope;
using namespace poolscope::workload;

namespace {

constexpr int kSignatureMs = 30000; // what the issue promises a presenter

// The diagnosis names `kind` first, with its owner and a code location beginning so; a
// message for the failure otherwise.
QString firstCauseDiffers(const AnalysedSamplePtr &sample, CauseKind kind, QStringView owner, QStringView location)
{
    if (!sample || !sample->diagnosis || sample->diagnosis->causes.isEmpty())
        return QStringLiteral("no cause");
    const Cause &first = sample->diagnosis->causes.first();
    if (first.kind == kind && (owner.isEmpty() || first.owner == owner) && first.codeLocation.startsWith(location))
        return {};
    return QStringLiteral("first cause: %1 %2 at '%3': %4")
        .arg(causeKey(first.kind), first.owner, first.codeLocation, first.summary);
}

bool hasCause(const AnalysedSamplePtr &sample, CauseKind kind)
{
    return sample && sample->diagnosis
        && std::any_of(sample->diagnosis->causes.cbegin(), sample->diagnosis->causes.cend(),
                       [kind](const Cause &c) { return c.kind == kind; });
}

int remainingOf(const QElapsedTimer &since) { return int(qMax<qint64>(1000, kSignatureMs - since.elapsed())); }

QString binaryBeside(const char *name)
{
    return QFileInfo(qEnvironmentVariable("POOLSCOPE_BINARY")).absolutePath() + u'/' + QLatin1String(name);
}

bool alive(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    return text.mid(text.lastIndexOf(')') + 2, 1) != "Z";
}

qint64 pidIn(const QString &file)
{
    QFile f(file);
    return f.open(QIODevice::ReadOnly) ? f.readLine().trimmed().toLongLong() : 0;
}

// The two daemons of a running demo directory.
struct Servers
{
    qint64 postmaster = 0;
    qint64 pgbouncer = 0;
    static Servers in(const QString &directory)
    {
        return {pidIn(directory + QStringLiteral("/pg/postmaster.pid")), pidIn(directory + QStringLiteral("/pgbouncer.pid"))};
    }
    bool anyAlive() const { return alive(postmaster) || alive(pgbouncer); }
};

// Starts poolscope-workload --demo and reads its JSON lines until "ready"; its directory,
// or empty.
QString startHost(QProcess &host)
{
    host.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    host.start(binaryBeside("poolscope-workload"), {QStringLiteral("--demo")});
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 90000) {
        if (!host.canReadLine() && !host.waitForReadyRead(1000)) {
            if (host.state() == QProcess::NotRunning)
                return {};
            continue;
        }
        while (host.canReadLine()) {
            const QJsonObject message = QJsonDocument::fromJson(host.readLine()).object();
            if (message.value(QStringLiteral("event")) == QLatin1String("ready"))
                return message.value(QStringLiteral("directory")).toString();
        }
    }
    return {};
}

} // namespace

class TestDemo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(binaryBeside("poolscope-workload")).isExecutable(), "poolscope-workload is not built");
        QString error;
        QVERIFY2(m_cluster.start(&error), qPrintable(error));
        QVERIFY2(m_director.start(Scenario::Healthy, &error), qPrintable(error));
        m_sampler = std::make_unique<LiveSampler>(m_cluster.postgresConninfo());
        QVERIFY2(m_sampler->ok(), qPrintable(m_sampler->error()));
    }

    void cleanupTestCase()
    {
        m_sampler.reset();
        m_director.stop();
        const QString directory = m_cluster.directory();
        const Servers servers = Servers::in(directory);
        m_cluster.stop();
        QVERIFY(!QFileInfo::exists(directory));
        QVERIFY(!servers.anyAlive());
    }

    // Every scenario starts from the healthy baseline with nothing leaked.
    void init()
    {
        if (!m_sampler)
            QSKIP("the demo cluster did not start (see initTestCase)");
        m_director.reset();
        // Said when it fails: which sessions stayed in a failed transaction, and whose.
        QString aborted;
        const auto noneAborted = [&] {
            const Snapshot snapshot = m_sampler->read();
            aborted.clear();
            for (const Session &s : snapshot.sessions) {
                if (s.sessionClass == SessionClass::IdleInTransactionAborted)
                    aborted += QStringLiteral("\n  pid %1 %2 for %3 s: %4").arg(s.pid).arg(s.applicationName).arg(s.stateSeconds).arg(s.query.left(200));
            }
            return snapshot.totals.count(SessionClass::IdleInTransactionAborted) == 0;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(noneAborted(), qPrintable(u"still in failed transactions after the reset:" + aborted), 15000);
    }

    void leakOnTheErrorPath()
    {
        m_director.setScenario(Scenario::LeakOnError);
        QElapsedTimer chosen;
        chosen.start();
        // Leaked (aborted ≥ 10 s) billing sessions whose stack names the leaking function.
        QList<const Session *> leaked;
        Snapshot snapshot;
        QTRY_VERIFY_WITH_TIMEOUT((snapshot = m_sampler->read(), leaked = leakedOf(snapshot, u"billing"), leaked.size() >= 3),
                                 kSignatureMs);
        qInfo("leak signature (3 billing sessions leaked: aborted for 10 s) after %lld ms", chosen.elapsed());
        for (const Session *s : std::as_const(leaked)) {
            QCOMPARE(s->sessionClass, SessionClass::IdleInTransactionAborted);
            QVERIFY2(!s->stack.isEmpty() && s->stack.first().startsWith(u"poolscope::workload::Shop::checkout shop.cpp:"),
                     qPrintable(s->stack.join(u'|')));
        }
        // The diagnosis names it first, with the owner and the code, within the presenter's time.
        QString differs;
        QTRY_VERIFY2_WITH_TIMEOUT((differs = firstCauseDiffers(m_sampler->readAnalysed(), CauseKind::Leak, u"billing",
                                                               u"poolscope::workload::Shop::checkout shop.cpp:")).isEmpty(),
                                  qPrintable(differs), remainingOf(chosen));
        qInfo("leak diagnosed after %lld ms", chosen.elapsed());
        QTRY_VERIFY_WITH_TIMEOUT(m_director.shop().stats().pools[2].timeouts > 0, kSignatureMs); // the pool drained
        // The fix, then terminating the leaked sessions from PoolScope frees the pool.
        // The fix stops new leaks; the ones already made are ended as from the owners view
        // (also those too young to be called leaked yet).
        m_director.fix();
        QTRY_VERIFY_WITH_TIMEOUT(terminateAll(m_sampler->read(), [](const Session &s) {
            return s.applicationName == u"billing" && s.sessionClass == SessionClass::IdleInTransactionAborted;
        }) == 0, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(m_director.shop().stats().pools[2].abandoned, 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!hasCause(m_sampler->readAnalysed(), CauseKind::Leak), 10000); // the fix cleared it
        const qint64 timeouts = m_director.shop().stats().pools[2].timeouts;
        QTest::qWait(4000);
        QCOMPARE(m_sampler->read().totals.count(SessionClass::IdleInTransactionAborted), 0); // no new leaks
        QVERIFY(m_director.shop().stats().pools[2].timeouts <= timeouts + 1); // a request already waiting may time out
    }

    void forgottenCheckout()
    {
        m_director.setScenario(Scenario::ForgottenCheckout);
        QElapsedTimer chosen;
        chosen.start();
        LeakRules rules;
        rules.idleInTxLeakedAfter = 5; // the default is a minute: the signature, not the patience
        QList<const Session *> held;
        Snapshot snapshot;
        QTRY_VERIFY_WITH_TIMEOUT((snapshot = m_sampler->read(rules), held = leakedOf(snapshot, u"orders"), held.size() >= 3),
                                 kSignatureMs);
        qInfo("forgotten-checkout signature (3 orders sessions idle in transaction for 5 s) after %lld ms", chosen.elapsed());
        QString differs;
        QTRY_VERIFY2_WITH_TIMEOUT((differs = firstCauseDiffers(m_sampler->readAnalysed(rules), CauseKind::ForgottenCheckout,
                                                               u"orders", u"poolscope::workload::Shop::placeOrder shop.cpp:"))
                                      .isEmpty(),
                                  qPrintable(differs), remainingOf(chosen));
        qInfo("forgotten checkout diagnosed after %lld ms", chosen.elapsed());
        for (const Session *s : std::as_const(held)) {
            QCOMPARE(s->sessionClass, SessionClass::IdleInTransaction);
            QVERIFY2(!s->stack.isEmpty() && s->stack.first().startsWith(u"poolscope::workload::Shop::placeOrder shop.cpp:"),
                     qPrintable(s->stack.join(u'|')));
        }
        m_director.fix();
        QTRY_VERIFY_WITH_TIMEOUT(terminateAll(m_sampler->read(rules), [](const Session &s) {
            return s.applicationName == u"orders" && s.sessionClass == SessionClass::IdleInTransaction;
        }) == 0, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(m_director.shop().stats().pools[1].abandoned, 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!hasCause(m_sampler->readAnalysed(rules), CauseKind::ForgottenCheckout), 10000);
    }

    void oversizedPoolFlood()
    {
        m_director.setScenario(Scenario::Flood);
        QElapsedTimer chosen;
        chosen.start();
        Snapshot snapshot;
        const auto atLimit = [&] {
            snapshot = m_sampler->read();
            return snapshot.totals.total >= snapshot.limits.usableSlots() - 1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(atLimit(), kSignatureMs);
        qInfo("flood signature (sessions at the usable-slot limit) after %lld ms", chosen.elapsed());
        AnalysedSamplePtr flooded;
        QString differs;
        QTRY_VERIFY2_WITH_TIMEOUT((flooded = m_sampler->readAnalysed(),
                                   differs = firstCauseDiffers(flooded, CauseKind::Flood, {}, {})).isEmpty(),
                                  qPrintable(differs), remainingOf(chosen));
        qInfo("flood diagnosed after %lld ms: %s", chosen.elapsed(), qPrintable(flooded->diagnosis->causes.first().summary));
        // The owner named is one that grew since the healthy baseline, with its growth as evidence.
        const Cause &flood = flooded->diagnosis->causes.first();
        QVERIFY(!flood.owner.isEmpty());
        QVERIFY2(std::any_of(flood.evidence.cbegin(), flood.evidence.cend(), [&](const Evidence &e) {
                     return e.text.startsWith(u"since the baseline") && e.text.contains(flood.owner + u" +");
                 }),
                 qPrintable(flood.summary));
        QTRY_VERIFY_WITH_TIMEOUT(m_director.shop().stats().refused > 0, kSignatureMs);
        QVERIFY2(std::any_of(snapshot.findings.cbegin(), snapshot.findings.cend(),
                             [](const Finding &f) { return f.severity == Finding::Severity::Critical; }),
                 "no critical finding at the connection limit");
        // Cap the pools: the server gets its room back and stops refusing.
        m_director.fix();
        const int capped = DemoDirector::kCappedBouncerPoolSize + DemoDirector::kCappedPoolSize;
        QTRY_VERIFY_WITH_TIMEOUT(m_sampler->read().totals.total <= capped + 2, kSignatureMs); // + PoolScope's own
        QTRY_VERIFY_WITH_TIMEOUT(!hasCause(m_sampler->readAnalysed(), CauseKind::Flood), kSignatureMs);
        QTest::qWait(2000);
        const qint64 refused = m_director.shop().stats().refused;
        QTest::qWait(4000);
        QCOMPARE(m_director.shop().stats().refused, refused);
        QVERIFY(m_director.shop().stats().served > 0);
    }

    void lockPileUp()
    {
        m_director.setScenario(Scenario::LockPileUp);
        QElapsedTimer chosen;
        chosen.start();
        // One idle-in-transaction orders session at the root, several orders waiting behind it
        // (each waiter queues behind the one before it, so the root blocks one directly).
        const Session *holder = nullptr;
        Snapshot snapshot;
        const auto pileUp = [&] {
            snapshot = m_sampler->read();
            holder = nullptr;
            int blocked = 0;
            for (const Session &s : snapshot.sessions) {
                if (s.sessionClass == SessionClass::IdleInTransaction && !s.blocking.isEmpty())
                    holder = &s;
                blocked += s.blockedBy.isEmpty() ? 0 : 1;
            }
            return holder != nullptr && blocked >= 3;
        };
        QTRY_VERIFY_WITH_TIMEOUT(pileUp(), kSignatureMs);
        qInfo("lock pile-up signature (a leaked holder, 3 sessions blocked) after %lld ms", chosen.elapsed());
        QString differs;
        QTRY_VERIFY2_WITH_TIMEOUT((differs = firstCauseDiffers(m_sampler->readAnalysed(), CauseKind::LockPileUp, u"orders",
                                                               u"poolscope::workload::Shop::reserveHotItem shop.cpp:"))
                                      .isEmpty(),
                                  qPrintable(differs), remainingOf(chosen));
        qInfo("lock pile-up diagnosed after %lld ms", chosen.elapsed());
        snapshot = *m_sampler->readAnalysed()->postgres;
        holder = nullptr;
        for (const Session &s : snapshot.sessions) {
            if (s.sessionClass == SessionClass::IdleInTransaction && !s.blocking.isEmpty())
                holder = &s;
        }
        QVERIFY(holder);
        QCOMPARE(holder->applicationName, QStringLiteral("orders"));
        QVERIFY2(!holder->stack.isEmpty() && holder->stack.first().startsWith(u"poolscope::workload::Shop::reserveHotItem shop.cpp:"),
                 qPrintable(holder->stack.join(u'|')));
        // Terminating the holder lets the queue through.
        const int holderPid = holder->pid;
        QCOMPARE(terminateAll(snapshot, [holderPid](const Session &s) { return s.pid == holderPid; }), 1);
        const auto nobodyBlocked = [&] {
            const Snapshot now = m_sampler->read();
            return std::none_of(now.sessions.cbegin(), now.sessions.cend(), [](const Session &s) { return !s.blockedBy.isEmpty(); });
        };
        QTRY_VERIFY_WITH_TIMEOUT(nobodyBlocked(), 15000);
        QTest::qWait(3000);
        QVERIFY(nobodyBlocked()); // the one leaked holder was the whole pile-up
        QVERIFY(!hasCause(m_sampler->readAnalysed(), CauseKind::LockPileUp));
    }

    // The leak recorded from the command line and written up as a timeline: the leaking owner
    // and stack, when the leak began, the terminate done meanwhile, the recovery. Beside it,
    // every snapshot this test reads goes through a recording and must come back the same.
    void leakIsRecordedAndReported()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("leak.psrec"));
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("POOLSCOPE_AUDIT_LOG"), dir.filePath(QStringLiteral("audit.jsonl")));
        QProcess record;
        record.setProcessEnvironment(environment);
        record.setProcessChannelMode(QProcess::ForwardedChannels);
        record.start(qEnvironmentVariable("POOLSCOPE_BINARY"),
                     {QStringLiteral("record"), m_cluster.postgresConninfo(), m_cluster.bouncerConsoleConninfo(),
                      QStringLiteral("-o"), file, QStringLiteral("--interval"), QStringLiteral("0.5s")});
        QVERIFY(record.waitForStarted());

        Recorder roundTrip;
        RecordingFeed feed(roundTrip);
        QString error;
        QVERIFY2(roundTrip.open(dir.filePath(QStringLiteral("roundtrip.psrec")), false, &error), qPrintable(error));
        const int id = roundTrip.addTarget(QStringLiteral("demo"), TargetKind::PostgreSQL);
        QList<Snapshot> seen;
        const auto sample = [&] {
            Snapshot snapshot = m_sampler->read();
            snapshot.target = QStringLiteral("demo");
            feed.append(id, snapshot, snapshot.takenAtMs);
            seen.append(snapshot);
            return snapshot;
        };
        for (int i = 0; i < 16; ++i) { // the healthy baseline, 8 s
            sample();
            QTest::qWait(500);
        }
        const QDateTime chosen = QDateTime::currentDateTimeUtc();
        m_director.setScenario(Scenario::LeakOnError);
        QList<const Session *> leaked;
        Snapshot snapshot;
        QTRY_VERIFY_WITH_TIMEOUT((snapshot = sample(), leaked = leakedOf(snapshot, u"billing"), leaked.size() >= 3), kSignatureMs);
        // One terminate from the command line, as an operator would, logged to the audit log.
        QProcess terminate;
        terminate.setProcessEnvironment(environment);
        terminate.start(qEnvironmentVariable("POOLSCOPE_BINARY"),
                        {QStringLiteral("terminate"), m_cluster.postgresConninfo(), QStringLiteral("--pid"),
                         QString::number(leaked.first()->pid), QStringLiteral("--yes")});
        QVERIFY(terminate.waitForFinished(30000));
        QCOMPARE(terminate.exitCode(), 0);
        m_director.fix();
        QTRY_VERIFY_WITH_TIMEOUT(terminateAll(sample(), [](const Session &s) {
            return s.applicationName == u"billing" && s.sessionClass == SessionClass::IdleInTransactionAborted;
        }) == 0, 15000);
        for (int i = 0; i < 10; ++i) { // recovered for 5 s
            sample();
            QTest::qWait(500);
        }
        ::kill(pid_t(record.processId()), SIGINT);
        QVERIFY(record.waitForFinished(15000));
        QCOMPARE(record.exitStatus(), QProcess::NormalExit);
        QCOMPARE(record.exitCode(), 0);
        roundTrip.close();

        // Round trip: every instant the test saw, as the recording gives it back.
        std::unique_ptr<Recording> recorded = Recording::open(dir.filePath(QStringLiteral("roundtrip.psrec")), &error);
        QVERIFY2(recorded, qPrintable(error));
        QCOMPARE(recorded->targets().first().samples.size(), seen.size());
        for (int i = 0; i < seen.size(); ++i) {
            Snapshot back;
            QVERIFY(recorded->snapshotAt(0, i, &back, &error));
            const QString difference = differenceOf(seen[i], back);
            QVERIFY2(difference.isEmpty(), qPrintable(QStringLiteral("sample %1: %2").arg(i).arg(difference)));
        }

        QProcess report;
        report.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        report.start(qEnvironmentVariable("POOLSCOPE_BINARY"),
                     {QStringLiteral("report"), file, QStringLiteral("-o"), dir.filePath(QStringLiteral("leak.md"))});
        QVERIFY(report.waitForFinished(60000));
        QCOMPARE(report.exitCode(), 0);
        QFile markdownFile(dir.filePath(QStringLiteral("leak.md")));
        QVERIFY(markdownFile.open(QIODevice::ReadOnly));
        const QString markdown = QString::fromUtf8(markdownFile.readAll());
        QVERIFY2(markdown.contains(QStringLiteral("most held by **billing**")), qPrintable(markdown));
        QVERIFY2(markdown.contains(QStringLiteral("poolscope::workload::Shop::checkout shop.cpp:")), qPrintable(markdown));
        QVERIFY2(markdown.contains(QStringLiteral("Action from PoolScope: terminate")), qPrintable(markdown));
        QVERIFY2(markdown.contains(QStringLiteral("**Recovered**")), qPrintable(markdown));
        // The diagnosis as it stood at the peak names the leak, its owner and code.
        const qsizetype diagnosis = markdown.indexOf(QStringLiteral("## Diagnosis at the peak: "));
        QVERIFY2(diagnosis >= 0, qPrintable(markdown));
        const QString atPeak = markdown.mid(diagnosis);
        QVERIFY2(atPeak.contains(QStringLiteral("1. **Connection leak** (critical), billing: ")), qPrintable(atPeak));
        QVERIFY2(atPeak.contains(QStringLiteral("   - at `poolscope::workload::Shop::checkout shop.cpp:")), qPrintable(atPeak));
        QVERIFY(QFileInfo(dir.filePath(QStringLiteral("leak.png"))).size() > 10000);
        // When the leak began: after the scenario was chosen, and within its first seconds.
        const QRegularExpression began(QStringLiteral(R"(\| (\d\d:\d\d:\d\d) \| [^|]+ \| \*\*Leak began\*\*)"));
        const QRegularExpressionMatch match = began.match(markdown);
        QVERIFY2(match.hasMatch(), qPrintable(markdown));
        QDateTime beganAt = chosen;
        beganAt.setTime(QTime::fromString(match.captured(1), QStringLiteral("HH:mm:ss")));
        const qint64 after = chosen.secsTo(beganAt);
        QVERIFY2(after >= -1 && after <= 10, qPrintable(QStringLiteral("leak began %1 s after the scenario").arg(after)));
        qInfo("recorded and reported: leak began %lld s after the scenario was chosen", after);
    }

    void unknownCommandsAreRefused()
    {
        QString error;
        QVERIFY(!m_director.execute(QStringLiteral("scenario meltdown"), &error));
        QVERIFY2(error.contains(u"leak") && error.contains(u"flood"), qPrintable(error));
        error.clear();
        QVERIFY(!m_director.execute(QStringLiteral("rate lots"), &error));
        QVERIFY(!error.isEmpty());
        error.clear();
        QVERIFY(m_director.execute(QStringLiteral("rate 20"), &error));
        QVERIFY(m_director.status().value(QStringLiteral("rate")).toDouble() == 20);
    }

    void missingServerBinariesAreNamed()
    {
        qputenv("POOLSCOPE_PG_BIN", "/nonexistent/bin");
        DemoCluster cluster;
        QString error;
        const bool started = cluster.start(&error);
        qunsetenv("POOLSCOPE_PG_BIN");
        QVERIFY(!started);
        QVERIFY2(error.contains(u"'postgresql'") && error.contains(u"apt-get install"), qPrintable(error));
        QVERIFY(cluster.directory().isEmpty());
    }

    // A pid file left behind may name a pid that now belongs to another process: cleaning up
    // removes the directory and leaves that process alone.
    void staleDirectoryNeverSignalsAStranger()
    {
        QProcess stranger;
        stranger.start(QStringLiteral("sleep"), {QStringLiteral("60")});
        QVERIFY(stranger.waitForStarted());
        QTemporaryDir parent;
        const QString directory = parent.filePath(DemoCluster::directoryPrefix() + QStringLiteral("left"));
        QVERIFY(QDir().mkpath(directory + QStringLiteral("/pg")));
        const auto write = [](const QString &path, const QByteArray &text) {
            QFile file(path);
            return file.open(QIODevice::WriteOnly) && file.write(text) == text.size();
        };
        const QByteArray strangerPid = QByteArray::number(stranger.processId()) + '\n';
        QVERIFY(write(directory + QStringLiteral("/owner"), "999999999\n")); // gone
        QVERIFY(write(directory + QStringLiteral("/pg/postmaster.pid"), strangerPid));
        QVERIFY(write(directory + QStringLiteral("/pgbouncer.pid"), strangerPid));
        QCOMPARE(DemoCluster::removeStale(parent.path()), QStringList{directory});
        QVERIFY(!QFileInfo::exists(directory));
        QVERIFY(alive(stranger.processId()));
        stranger.kill();
        stranger.waitForFinished();
    }

    // The host alone: its input ending (the window closing) stops and removes everything.
    void hostStopsWhenItsInputEnds()
    {
        QProcess host;
        const QString directory = startHost(host);
        QVERIFY2(!directory.isEmpty(), "the demo host did not get ready");
        const Servers servers = Servers::in(directory);
        QVERIFY(alive(servers.postmaster) && alive(servers.pgbouncer));
        host.closeWriteChannel();
        QVERIFY(host.waitForFinished(30000));
        QCOMPARE(host.exitCode(), 0);
        QVERIFY2(!QFileInfo::exists(directory), qPrintable(directory));
        QVERIFY(!servers.anyAlive());
    }

    // The window killed outright: its host sees the pipe close and cleans up on its own.
    void killedWindowLeavesNothing()
    {
        QProcess window;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("XDG_CONFIG_HOME"), QDir::tempPath() + QStringLiteral("/poolscope-tst-demo-config"));
        window.setProcessEnvironment(environment);
        window.setProcessChannelMode(QProcess::MergedChannels);
        window.start(qEnvironmentVariable("POOLSCOPE_BINARY"), {QStringLiteral("--demo"), QStringLiteral("--scenario"), QStringLiteral("leak")});
        QString directory;
        QByteArray output;
        QElapsedTimer timer;
        timer.start();
        static const QRegularExpression passfile(QStringLiteral("passfile=(\\S+)/pgpass"));
        while (directory.isEmpty() && timer.elapsed() < 90000 && window.state() != QProcess::NotRunning) {
            window.waitForReadyRead(1000);
            output += window.readAll();
            if (output.contains("demo running"))
                directory = passfile.match(QString::fromLocal8Bit(output)).captured(1);
        }
        QVERIFY2(!directory.isEmpty(), output.constData());
        const Servers servers = Servers::in(directory);
        QVERIFY(alive(servers.postmaster) && alive(servers.pgbouncer));
        window.kill(); // SIGKILL: no destructor, no handler runs in the window
        QVERIFY(window.waitForFinished(10000));
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(directory), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!servers.anyAlive(), 10000);
        QDir(QDir::tempPath() + QStringLiteral("/poolscope-tst-demo-config")).removeRecursively();
    }

    // The host itself killed: its servers run on, and the next start removes them.
    void killedHostIsCleanedUpByTheNextStart()
    {
        QProcess host;
        const QString directory = startHost(host);
        QVERIFY2(!directory.isEmpty(), "the demo host did not get ready");
        const Servers servers = Servers::in(directory);
        host.kill();
        QVERIFY(host.waitForFinished(10000));
        QVERIFY(QFileInfo::exists(directory));
        QVERIFY(servers.anyAlive());
        // Our own running demo (initTestCase's) must survive this: its owner is alive.
        const QStringList removed = DemoCluster::removeStale(QFileInfo(directory).absolutePath());
        QVERIFY2(removed.contains(directory), qPrintable(removed.join(u',')));
        QVERIFY(!removed.contains(m_cluster.directory()));
        QVERIFY(!QFileInfo::exists(directory));
        QVERIFY(!servers.anyAlive());
        QVERIFY(QFileInfo::exists(m_cluster.directory()));
    }

private:
    QList<const Session *> leakedOf(const Snapshot &snapshot, QStringView application)
    {
        QList<const Session *> found;
        for (const Session &s : snapshot.sessions) {
            if (s.applicationName == application && s.leak == LeakVerdict::Leaked)
                found.append(&s);
        }
        return found;
    }

    // Terminates the sessions an operator would pick; returns how many there were. Called
    // until none is left: a request that began before the fix may still leak just after it.
    template<typename Predicate>
    int terminateAll(const Snapshot &snapshot, Predicate wanted)
    {
        QString error;
        PgActions actions(*ConnInfo::parse(m_cluster.postgresConninfo(), &error));
        int count = 0;
        for (const Session &s : snapshot.sessions) {
            if (wanted(s)) {
                ++count;
                const ActionResult result = actions.terminate(SessionRef::of(s));
                if (!result.ok() && result.status != ActionResult::Status::NoSuchSession)
                    qWarning("terminate %d: %s", s.pid, qPrintable(result.message));
            }
        }
        return count;
    }

    DemoCluster m_cluster;
    DemoDirector m_director{m_cluster};
    std::unique_ptr<LiveSampler> m_sampler;
};

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
