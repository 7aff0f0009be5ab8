// Recordings: what is written is what is read back, at every recorded instant, through
// keyframes and deltas; a file cut or damaged anywhere still opens with what is intact; what
// is not a recording, or is a newer one, gets a clear error; the timeline finds the incident.
#include "analysis/tracecontext.h"
#include "recording/incidentreport.h"
#include "recording/recorder.h"
#include "recording/recordingreader.h"
#include "snapshotcompare.h"
#include "recordingfeed.h"
#include "syntheticactivity.h"
#include "testsupport.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtEndian>
#include <QDir>
#include <QScopeGuard>

#include <csignal>
#include <cstring>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace poolscope;

namespace {

bool sameBouncer(const BouncerSnapshot &a, const BouncerSnapshot &b)
{
    const auto sameConnections = [](const QList<BouncerConnection> &x, const QList<BouncerConnection> &y) {
        if (x.size() != y.size())
            return false;
        for (int i = 0; i < x.size(); ++i) {
            if (x[i].ptr != y[i].ptr || x[i].state != y[i].state || x[i].waitSeconds != y[i].waitSeconds ||
                x[i].applicationName != y[i].applicationName || x[i].addr != y[i].addr)
                return false;
        }
        return true;
    };
    if (a.pools.size() != b.pools.size() || a.databases.size() != b.databases.size())
        return false;
    for (int i = 0; i < a.pools.size(); ++i) {
        const BouncerPool &x = a.pools[i], &y = b.pools[i];
        if (x.database != y.database || x.clActive != y.clActive || x.clWaiting != y.clWaiting || x.clIdle != y.clIdle ||
            x.svActive != y.svActive || x.svIdle != y.svIdle || x.maxWaitSeconds != y.maxWaitSeconds || x.size != y.size)
            return false;
    }
    for (int i = 0; i < a.databases.size(); ++i) {
        if (a.databases[i].name != b.databases[i].name || a.databases[i].paused != b.databases[i].paused)
            return false;
    }
    return a.takenAtMs == b.takenAtMs && a.version == b.version && a.lists == b.lists && a.findings == b.findings &&
           sameConnections(a.clients, b.clients) && a.settings.size() == b.settings.size() &&
           a.settings.last().value == b.settings.last().value && a.stats.size() == b.stats.size() &&
           a.stats.first().totalXacts == b.stats.first().totalXacts;
}

struct Recorded
{
    QString path;
    QList<Snapshot> postgres;
    QList<BouncerSnapshot> bouncer;
};

// A recording of `samples` samples of a PostgreSQL target and a PgBouncer target.
Recorded record(const QString &path, int samples, int keyframeEvery, const SyntheticActivity::Profile &profile,
                quint32 seed = 7)
{
    Recorded recorded;
    recorded.path = path;
    RecorderOptions options;
    options.keyframeEvery = keyframeEvery;
    Recorder recorder(options);
    RecordingFeed feed(recorder);
    QString error;
    if (!recorder.open(path, true, &error))
        qFatal("%s", qPrintable(error));
    const int pg = recorder.addTarget(QStringLiteral("pg"), TargetKind::PostgreSQL);
    const int bouncer = recorder.addTarget(QStringLiteral("bouncer"), TargetKind::PgBouncer);
    SyntheticActivity activity(seed, profile);
    for (int i = 0; i < samples; ++i) {
        Snapshot snapshot = activity.next();
        snapshot.target = QStringLiteral("pg");
        feed.append(pg, snapshot, snapshot.takenAtMs);
        recorded.postgres.append(snapshot);
        BouncerSnapshot b = SyntheticActivity::bouncerAt(i);
        b.target = QStringLiteral("bouncer");
        feed.append(bouncer, b, b.takenAtMs);
        recorded.bouncer.append(b);
        if (i == samples / 2)
            recorder.appendGap(pg, snapshot.takenAtMs + 500, QStringLiteral("server closed the connection unexpectedly"));
    }
    recorder.appendAction(terminateEntry(recorded.postgres.last().takenAtMs, QStringLiteral("pg"), 1234));
    recorder.close();
    return recorded;
}

QByteArray contentsOf(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

std::unique_ptr<Recording> openBytes(const QByteArray &bytes, QString *error)
{
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(bytes);
    buffer->open(QIODevice::ReadOnly);
    return Recording::open(std::move(buffer), error);
}

// Every sample that the recording offers equals the one recorded at that instant.
void verifySamples(Recording &recording, const Recorded &recorded, int *checked = nullptr)
{
    int count = 0;
    QCOMPARE(recording.targets().size(), 2);
    const RecordedTarget &pg = recording.targets()[0];
    QVERIFY(pg.samples.size() <= recorded.postgres.size());
    for (int i = 0; i < pg.samples.size(); ++i) {
        Snapshot snapshot;
        if (!recording.snapshotAt(0, i, &snapshot))
            continue; // a damaged segment: it must say so, never give back something else
        const auto original = std::find_if(recorded.postgres.cbegin(), recorded.postgres.cend(),
                                           [&](const Snapshot &s) { return s.takenAtMs == pg.samples[i].timeMs; });
        QVERIFY(original != recorded.postgres.cend());
        const QString difference = differenceOf(*original, snapshot);
        QVERIFY2(difference.isEmpty(), qPrintable(QStringLiteral("sample %1: %2").arg(i).arg(difference)));
        ++count;
    }
    const RecordedTarget &bouncer = recording.targets()[1];
    for (int i = 0; i < bouncer.samples.size(); ++i) {
        BouncerSnapshot snapshot;
        if (!recording.snapshotAt(1, i, &snapshot))
            continue;
        const auto original = std::find_if(recorded.bouncer.cbegin(), recorded.bouncer.cend(),
                                           [&](const BouncerSnapshot &s) { return s.takenAtMs == bouncer.samples[i].timeMs; });
        QVERIFY(original != recorded.bouncer.cend());
        QVERIFY2(sameBouncer(*original, snapshot), qPrintable(QStringLiteral("PgBouncer sample %1").arg(i)));
        ++count;
    }
    if (checked)
        *checked = count;
}

} // namespace

class TestRecording : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<int>("sessions");
        QTest::addColumn<double>("changing");
        QTest::addColumn<double>("churn");
        QTest::addColumn<int>("keyframeEvery");
        QTest::newRow("quiet, keyframes rare") << 50 << 0.02 << 0.0 << 1000;
        QTest::newRow("busy, keyframe every 7") << 300 << 0.3 << 0.02 << 7;
        QTest::newRow("heavy churn, every sample a keyframe") << 80 << 0.5 << 0.2 << 1;
        QTest::newRow("heavy churn, deltas") << 80 << 0.5 << 0.2 << 50;
    }

    void roundTrip()
    {
        QFETCH(int, sessions);
        QFETCH(double, changing);
        QFETCH(double, churn);
        QFETCH(int, keyframeEvery);
        QTemporaryDir dir;
        const Recorded recorded = record(dir.filePath(QStringLiteral("r.psrec")), 120, keyframeEvery,
                                         {sessions, changing, churn, 1000});
        QString error;
        std::unique_ptr<Recording> recording = Recording::open(recorded.path, &error);
        QVERIFY2(recording, qPrintable(error));
        QVERIFY2(recording->problems().isEmpty(), qPrintable(recording->problems().join(u'\n')));
        QVERIFY(recording->endedCleanly());
        // Queries can hold customer data: the file is its owner's alone.
        QCOMPARE(QFileInfo(recorded.path).permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther),
                 QFileDevice::Permissions());
        QCOMPARE(recording->targets()[0].samples.size(), 120);
        QCOMPARE(recording->targets()[1].samples.size(), 120);
        int checked = 0;
        verifySamples(*recording, recorded, &checked);
        QCOMPARE(checked, 240);
        // In any order: seeking back and forth gives the same as reading straight through.
        QRandomGenerator random(3);
        for (int i = 0; i < 40; ++i) {
            const int at = int(random.bounded(120));
            Snapshot snapshot;
            QVERIFY(recording->snapshotAt(0, at, &snapshot));
            QVERIFY(differenceOf(recorded.postgres[at], snapshot).isEmpty());
        }
        // The charts' history: one point per sample, one gap, the same counts.
        const History &history = recording->targets()[0].history;
        QCOMPARE(history.size(), 121);
        int gaps = 0;
        for (int i = 0, sample = 0; i < history.size(); ++i) {
            if (history.at(i).gap) {
                ++gaps;
                continue;
            }
            QCOMPARE(history.at(i).total(), recorded.postgres[sample].totals.total);
            QCOMPARE(int(history.at(i).leaked), recorded.postgres[sample].totals.leaked);
            ++sample;
        }
        QCOMPARE(gaps, 1);
        QCOMPARE(recording->actions().size(), 1);
        QCOMPARE(recording->actions().first().action, QStringLiteral("terminate"));
        QCOMPARE(recording->targets()[0].sampleAtOrBefore(recorded.postgres[10].takenAtMs + 1), 10);
        QCOMPARE(recording->targets()[0].sampleAtOrBefore(recorded.postgres[0].takenAtMs - 1), -1);
    }

    // Cut at any byte, as a kill or a power cut would: the file opens, with every sample up
    // to the cut that can be decoded equal to the recorded one, and the cut reported.
    void truncatedAnywhere()
    {
        QTemporaryDir dir;
        const Recorded recorded = record(dir.filePath(QStringLiteral("r.psrec")), 24, 5, {20, 0.3, 0.05, 1000});
        const QByteArray bytes = contentsOf(recorded.path);
        QVERIFY(bytes.size() > 1000);
        // Until the start record is whole there is nothing to open; from then on there is.
        const qsizetype startRecordEnd = recording::kHeaderSize + recording::kRecordHeaderSize +
                                         qFromLittleEndian<quint32>(bytes.constData() + recording::kHeaderSize + 4);
        int previousSamples = 0;
        for (qsizetype cut = recording::kHeaderSize; cut <= bytes.size(); cut += cut < 2000 ? 1 : 7) {
            QString error;
            std::unique_ptr<Recording> recording = openBytes(bytes.left(cut), &error);
            if (!recording) {
                // Only before the first record is complete is there nothing to open.
                QVERIFY2(cut < startRecordEnd, qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(error)));
                QVERIFY(!error.isEmpty());
                continue;
            }
            if (cut < bytes.size())
                QVERIFY(!recording->endedCleanly());
            const int samples = recording->targets().isEmpty() ? 0 : int(recording->targets()[0].samples.size());
            QVERIFY(samples >= previousSamples); // a longer file never holds less
            previousSamples = samples;
            if (recording->targets().size() == 2) {
                // A cut loses the record it cuts, never one before it.
                int checked = 0;
                verifySamples(*recording, recorded, &checked);
                QCOMPARE(checked, int(recording->targets()[0].samples.size() + recording->targets()[1].samples.size()));
            }
        }
        QCOMPARE(previousSamples, 24);
    }

    // Damage in the middle: the record is skipped and reported; the deltas after it wait for
    // the next keyframe, and everything from there on reads back exactly.
    void damagedInTheMiddle()
    {
        QTemporaryDir dir;
        const Recorded recorded = record(dir.filePath(QStringLiteral("r.psrec")), 60, 10, {40, 0.3, 0.05, 1000});
        QByteArray bytes = contentsOf(recorded.path);
        const qsizetype middle = bytes.size() / 2;
        for (qsizetype i = middle; i < middle + 40; ++i)
            bytes[i] = char(bytes[i] ^ 0x5a);
        QString error;
        std::unique_ptr<Recording> recording = openBytes(bytes, &error);
        QVERIFY2(recording, qPrintable(error));
        QVERIFY(!recording->problems().isEmpty());
        QVERIFY2(recording->problems().first().contains(QStringLiteral("damaged bytes skipped")),
                 qPrintable(recording->problems().first()));
        QVERIFY(recording->endedCleanly()); // the end record after the damage is still found
        int checked = 0;
        verifySamples(*recording, recorded, &checked);
        QVERIFY2(checked >= 100, qPrintable(QString::number(checked)));
        // The last sample, after the damage, is there and exact.
        Snapshot last;
        const int lastIndex = int(recording->targets()[0].samples.size()) - 1;
        QVERIFY(recording->snapshotAt(0, lastIndex, &last));
        QCOMPARE(last.takenAtMs, recorded.postgres.last().takenAtMs);
    }

    void notARecording_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("error");
        QByteArray future = recording::fileHeader();
        future[recording::kMagicSize] = 2;
        QByteArray garbage(4096, '\0');
        QRandomGenerator random(11);
        for (char &c : garbage)
            c = char(random.bounded(256));
        QByteArray lineEndings = recording::fileHeader();
        lineEndings.replace("\r\n", "\n");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("not a PoolScope recording");
        QTest::newRow("garbage") << garbage << QStringLiteral("not a PoolScope recording");
        QTest::newRow("an audit log") << QByteArray("{\"time\":\"2026-01-01T00:00:00Z\"}\n")
                                      << QStringLiteral("not a PoolScope recording");
        QTest::newRow("future version") << future + QByteArray(100, 'x')
                                        << QStringLiteral("recorded by a newer PoolScope (format version 2)");
        QTest::newRow("text-mode transfer") << lineEndings << QStringLiteral("its header is damaged");
        QTest::newRow("header only") << recording::fileHeader() << QStringLiteral("nothing readable");
        QTest::newRow("header and garbage") << recording::fileHeader() + garbage << QStringLiteral("nothing readable");
    }

    void notARecording()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, error);
        QString message;
        QVERIFY(!openBytes(bytes, &message));
        QVERIFY2(message.contains(error), qPrintable(message));
    }

    // What is derived from the stored names and tags - trace ids, call-site owners and where a
    // stack came from - comes back the same, with the recording's own patterns.
    void callSitesAndTracesReadBack()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("callsites.psrec"));
        Recorder recorder; // the default patterns, which the recording keeps
        RecordingFeed feed(recorder);
        QString error;
        QVERIFY2(recorder.open(path, true, &error), qPrintable(error));
        const int pg = recorder.addTarget(QStringLiteral("pg"), TargetKind::PostgreSQL);
        const auto session = [](int pid, const char *app, const char *query) {
            Session s;
            s.pid = pid;
            s.applicationName = QString::fromLatin1(app);
            s.user = s.database = QStringLiteral("shop");
            s.backendType = QStringLiteral("client backend");
            s.backendStartMs = 1'790'000'000'000 - pid;
            s.state = QStringLiteral("idle in transaction");
            s.queryStartMs = s.stateChangeMs = s.xactStartMs = 1'790'000'000'000 - 2000;
            s.query = QString::fromLatin1(query);
            return s;
        };
        TagMemory tags;
        AppCallSiteCache callSites;
        QList<Snapshot> recorded;
        for (int i = 0; i < 3; ++i) {
            Snapshot snapshot;
            snapshot.takenAtMs = 1'790'000'000'000 + i * 1000;
            snapshot.limits.maxConnections = 20;
            snapshot.sessions = {
                session(1, "billing@OrderRepo.java:212",
                        "SELECT 1 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/"),
                session(2, "billing (repo.go:9)", "SELECT 1 /*stack='repo.Save%20repo.go%3A9|main.go%3A3'*/"),
                // The same frame, but sent in the query: the query's, not the name's.
                session(3, "billing@OrderRepo.java:212", "SELECT 1 /*stack='OrderRepo.java%3A212'*/"),
                session(4, "catalog", "SELECT 1 /*trace_id='5BD66EF5095369C7B0D1F8F4BD33716A'*/"),
            };
            tags.apply(snapshot);
            callSites.apply(snapshot);
            classify(snapshot, LeakRules{});
            QVERIFY(feed.append(pg, snapshot, snapshot.takenAtMs));
            recorded.append(snapshot);
        }
        recorder.close();
        const QList<Session> &first = recorded.first().sessions;
        QVERIFY(first[0].stackFromApplicationName && !traceIdOf(first[0]).isEmpty());
        QVERIFY(!first[2].stackFromApplicationName && first[2].stack == first[0].stack);
        QCOMPARE(traceIdOf(first[3]), QStringLiteral("5bd66ef5095369c7b0d1f8f4bd33716a"));

        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        QCOMPARE(recording->rules().callSites, AppCallSites());
        for (int i = 0; i < 3; ++i) {
            Snapshot snapshot;
            QVERIFY(recording->snapshotAt(0, i, &snapshot));
            const QString difference = differenceOf(recorded[i], snapshot);
            QVERIFY2(difference.isEmpty(), qPrintable(difference));
        }
    }

    // Recordings from before call sites were read keep their whole names as owners.
    void callSitePatternsInTheRules()
    {
        LeakRules rules;
        rules.callSites.patterns = QStringList{QStringLiteral("^(?<owner>\\w+)#(?<frame>.+)$")};
        QCOMPARE(leakRulesFromJson(leakRulesToJson(rules)).callSites, rules.callSites);
        QJsonObject older = leakRulesToJson(LeakRules{});
        older.remove(QStringLiteral("app_callsites"));
        QVERIFY(leakRulesFromJson(older).callSites.patterns.isEmpty());
    }

    void existingFileIsKept()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("keep.psrec"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("precious");
        file.close();
        Recorder recorder;
        QString error;
        QVERIFY(!recorder.open(path, false, &error));
        QVERIFY2(error.contains(QStringLiteral("exists already")), qPrintable(error));
        QCOMPARE(contentsOf(path), QByteArray("precious"));
    }

    // The timeline of a leak that begins a minute into a quiet recording and is ended by a
    // terminate: the deviation, the leaking owner and stack, when it began, the action, the
    // recovery.
    void timelineOfALeak()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("leak.psrec"));
        Recorder recorder;
        RecordingFeed feed(recorder);
        QString error;
        QVERIFY(recorder.open(path, false, &error));
        const int id = recorder.addTarget(QStringLiteral("db1"), TargetKind::PostgreSQL);
        SyntheticActivity activity(5, {30, 0.0, 0.0, 1000}); // steady: nothing changes by itself
        const qint64 leakStartsAt = 90; // samples
        const qint64 terminatedAt = 150;
        qint64 leakBeganMs = 0;
        for (int i = 0; i < 200; ++i) {
            Snapshot s = activity.next();
            for (Session &session : s.sessions) {
                if (session.own || session.pid % 10 != 3 || i < leakStartsAt || i >= terminatedAt)
                    continue;
                // These went idle in transaction (aborted) at the leak's start and stayed there.
                const qint64 began = s.takenAtMs - (i - leakStartsAt) * 1000;
                leakBeganMs = leakBeganMs ? qMin(leakBeganMs, began) : began;
                session.state = QStringLiteral("idle in transaction (aborted)");
                session.stateChangeMs = began;
                session.xactStartMs = began - 10;
                session.applicationName = QStringLiteral("billing");
                session.tags = {{QStringLiteral("application"), QStringLiteral("billing")}};
                session.stack = {QStringLiteral("Billing::charge billing.cpp:88"), QStringLiteral("Router::dispatch router.cpp:12")};
            }
            classify(s, {});
            feed.append(id, s, s.takenAtMs);
            if (i == terminatedAt - 1)
                recorder.appendAction(terminateEntry(s.takenAtMs + 200, QStringLiteral("db1"), 1003));
        }
        recorder.close();
        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        const TargetTimeline timeline = analyseTarget(*recording, 0);
        QVERIFY(timeline.deviated);
        const qint64 firstMs = recording->targets()[0].samples.first().timeMs;
        // Three sessions idle in transaction where there were none: off the baseline at once
        // (they are called leaked 10 s later).
        QCOMPARE(timeline.deviationMs, firstMs + leakStartsAt * 1000);
        QVERIFY2(timeline.deviation.contains(QStringLiteral("3 idle in transaction")), qPrintable(timeline.deviation));
        QCOMPARE(timeline.leakBeganMs, leakBeganMs);
        QCOMPARE(timeline.leakBeganOwner, QStringLiteral("billing"));
        QVERIFY(!timeline.peakOwners.isEmpty());
        QCOMPARE(timeline.peakOwners.first().owner, QStringLiteral("billing"));
        QVERIFY(timeline.recovered);
        QCOMPARE(timeline.recoveryMs, firstMs + terminatedAt * 1000);

        const QString markdown = incidentTimeline(*recording, {QStringLiteral("leak.png")});
        const QString began = QDateTime::fromMSecsSinceEpoch(leakBeganMs, Qt::UTC).toString(QStringLiteral("HH:mm:ss"));
        QVERIFY2(markdown.contains(QStringLiteral("| %1 | db1 | **Leak began**").arg(began)), qPrintable(markdown));
        QVERIFY(markdown.contains(QStringLiteral("**First deviation from the baseline**")));
        QVERIFY(markdown.contains(QStringLiteral("Billing::charge billing.cpp:88")));
        QVERIFY(markdown.contains(QStringLiteral("**Recovered**")));
        QVERIFY(markdown.contains(QStringLiteral("terminate {\"pid\":1003}")));
        QVERIFY(markdown.contains(QStringLiteral("![Connections by class over the recording](leak.png)")));
        // In time order.
        QVERIFY(markdown.indexOf(QStringLiteral("Leak began")) < markdown.indexOf(QStringLiteral("First deviation")));
        QVERIFY(markdown.indexOf(QStringLiteral("First deviation")) < markdown.indexOf(QStringLiteral("**Peak**")));
        QVERIFY(markdown.indexOf(QStringLiteral("Action from PoolScope")) < markdown.indexOf(QStringLiteral("**Recovered**")));
    }

    void quietRecordingHasNoIncident()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("quiet.psrec"));
        Recorder recorder;
        RecordingFeed feed(recorder);
        QString error;
        QVERIFY(recorder.open(path, false, &error));
        const int id = recorder.addTarget(QStringLiteral("db1"), TargetKind::PostgreSQL);
        SyntheticActivity activity(5, {30, 0.0, 0.0, 1000});
        for (int i = 0; i < 100; ++i) {
            const Snapshot s = activity.next();
            feed.append(id, s, s.takenAtMs);
        }
        recorder.close();
        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        QVERIFY(recording);
        QVERIFY(!analyseTarget(*recording, 0).deviated);
        QVERIFY(incidentTimeline(*recording).contains(QStringLiteral("no deviation from the baseline")));
    }

    // A recording whose targets were never reached opens, and its timeline says there is none.
    void recordingWithoutSamples()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("empty.psrec"));
        Recorder recorder;
        QString error;
        QVERIFY(recorder.open(path, false, &error));
        recorder.close();
        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        QVERIFY(recording->targets().isEmpty());
        QVERIFY(incidentTimeline(*recording).contains(QStringLiteral("No target was sampled")));
    }

    void auditTailReadsOnlyNewCompleteLines()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("audit.jsonl"));
        const auto append = [&](const QByteArray &text) {
            QFile file(path);
            QVERIFY(file.open(QIODevice::Append));
            file.write(text);
        };
        const QByteArray line = R"({"time":"2026-11-22T10:00:00.000Z","target":"db1","action":"terminate","arguments":{"pid":1},"result":{"status":"done"}})";
        append(line + '\n');
        AuditTail tail(path);
        QVERIFY(tail.poll().isEmpty()); // what was there before is not news
        append(line + '\n' + line.left(20));
        QCOMPARE(tail.poll().size(), 1);
        append(line.mid(20) + '\n');
        QCOMPARE(tail.poll().size(), 1); // the line finished since
        QVERIFY(tail.poll().isEmpty());
    }

    // Query texts can hold customer data: a recording is created 0600 whatever the umask, and
    // one overwritten is made so too. Two recorders on one file would write over each other:
    // the second is refused, naming the process that holds it, and the first goes on intact.
    void ownerOnlyAndLocked()
    {
        QTemporaryDir dir;
        const mode_t previousMask = ::umask(022);
        const auto restoreMask = qScopeGuard([previousMask] { ::umask(previousMask); });
        const QString path = dir.filePath(QStringLiteral("locked.psrec"));
        {
            QFile loose(path);
            QVERIFY(loose.open(QIODevice::WriteOnly));
            loose.write("an older file, world-readable");
        }
        QCOMPARE(modeOf(path), 0644);
        Recorder first;
        QString error;
        QVERIFY2(first.open(path, true, &error), qPrintable(error));
        QCOMPARE(modeOf(path), 0600);
        const int id = first.addTarget(QStringLiteral("db1"), TargetKind::PostgreSQL);
        RecordingFeed feed(first);
        SyntheticActivity activity(3, {20, 0.1, 0.0, 1000});
        for (int i = 0; i < 5; ++i) {
            const Snapshot s = activity.next();
            feed.append(id, s, s.takenAtMs);
        }
        const qint64 written = QFileInfo(path).size();

        Recorder second;
        QVERIFY(!second.open(path, true, &error));
        QVERIFY2(error.contains(QStringLiteral("another PoolScope (pid %1)").arg(QCoreApplication::applicationPid())),
                 qPrintable(error));
        QCOMPARE(QFileInfo(path).size(), written); // not truncated under the first one
        QVERIFY(!second.open(path, false, &error)); // nor created over it
        for (int i = 0; i < 5; ++i) {
            const Snapshot s = activity.next();
            feed.append(id, s, s.takenAtMs);
        }
        first.close();
        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        QVERIFY2(recording->problems().isEmpty(), qPrintable(recording->problems().join(u'\n')));
        QCOMPARE(recording->targets().first().samples.size(), 10);
        QVERIFY(recording->endedCleanly());

        QVERIFY2(second.open(path, true, &error), qPrintable(error)); // free once the first is closed
        second.close();

        const QString fresh = dir.filePath(QStringLiteral("fresh.psrec"));
        Recorder third;
        QVERIFY2(third.open(fresh, false, &error), qPrintable(error));
        QCOMPARE(modeOf(fresh), 0600);
    }

    // A full disk: the recorder says so in the system's words, not Qt's "Unknown error", and
    // ends the file with a record saying why, so the report blames the disk, not a kill. On a
    // 64 KB tmpfs as root (a real ENOSPC); elsewhere under a 64 KB file size limit (EFBIG).
    void diskFull()
    {
        QTemporaryDir dir;
        const QString mountPoint = dir.filePath(QStringLiteral("small"));
        QVERIFY(QDir().mkpath(mountPoint));
        const QByteArray native = QFile::encodeName(mountPoint);
        const bool tmpfs = ::mount("tmpfs", native.constData(), "tmpfs", 0, "size=64k,mode=0700") == 0;
        const auto unmount = qScopeGuard([&] {
            if (tmpfs)
                ::umount2(native.constData(), MNT_DETACH);
        });
        rlimit previousLimit{};
        ::getrlimit(RLIMIT_FSIZE, &previousLimit);
        const auto previousSignal = std::signal(SIGXFSZ, SIG_IGN);
        if (!tmpfs) {
            qInfo("no tmpfs (%s): a 64 KB file size limit stands in for the full disk", std::strerror(errno));
            rlimit limit = previousLimit;
            limit.rlim_cur = 64 * 1024;
            QVERIFY(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
        }
        const auto restore = qScopeGuard([&] {
            ::setrlimit(RLIMIT_FSIZE, &previousLimit);
            std::signal(SIGXFSZ, previousSignal);
        });
        const QString path = mountPoint + QStringLiteral("/full.psrec");
        RecorderOptions options;
        options.keyframeEvery = 5;
        Recorder recorder(options);
        RecordingFeed feed(recorder);
        QString error;
        QVERIFY2(recorder.open(path, false, &error), qPrintable(error));
        const int id = recorder.addTarget(QStringLiteral("db1"), TargetKind::PostgreSQL);
        SyntheticActivity activity(9, {60, 0.3, 0.05, 1000});
        int samples = 0;
        while (recorder.isOpen() && samples < 100000) {
            const Snapshot s = activity.next();
            feed.append(id, s, s.takenAtMs);
            ++samples;
        }
        QVERIFY2(!recorder.isOpen(), "the recording never filled 64 KB");
        const QString expected = tmpfs ? QStringLiteral("no space left on device") : QStringLiteral("File too large");
        QVERIFY2(recorder.error().contains(expected), qPrintable(recorder.error()));
        QVERIFY(!recorder.error().contains(QLatin1String("Unknown error")));
        ::setrlimit(RLIMIT_FSIZE, &previousLimit);

        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        QVERIFY2(recording->problems().isEmpty(), qPrintable(recording->problems().join(u'\n')));
        QVERIFY(recording->targets().first().samples.size() > 5);
        QCOMPARE(recording->stoppedBecause(), tmpfs ? QStringLiteral("disk_full") : QStringLiteral("write_error"));
        const QString markdown = incidentTimeline(*recording);
        QVERIFY2(markdown.contains(tmpfs ? QStringLiteral("stopped because the disk was full")
                                         : QStringLiteral("stopped because the file could not be written")),
                 qPrintable(markdown.left(1500)));
        QVERIFY(!markdown.contains(QLatin1String("was killed")));
    }

private:
    static int modeOf(const QString &path)
    {
        struct stat info{};
        return ::stat(QFile::encodeName(path).constData(), &info) == 0 ? int(info.st_mode & 07777) : -1;
    }
};

QTEST_GUILESS_MAIN(TestRecording)
#include "tst_recording.moc"
