// The replay window on a recording: the views show each recorded instant as it was, the
// slider, stepping, play and the jumps to alerts and actions move through it, nothing in it can
// act on a server, and its exports write what they say.
#include "actionrunner.h"
#include "recordingfeed.h"
#include "chartpanel.h"
#include "keyedtreemodel.h"
#include "overviewstrip.h"
#include "recording/recorder.h"
#include "recording/recordingreader.h"
#include "replaywindow.h"
#include "screenshots.h"
#include "sessionspanel.h"
#include "sessiontablemodel.h"
#include "syntheticactivity.h"
#include "targetcontroller.h"
#include "targetview.h"
#include "testsupport.h"
#include "treepanel.h"

#include <QApplication>
#include <QDateTime>
#include <QFile>
#include <QImage>
#include <QTabWidget>
#include <QTemporaryDir>

#include <memory>

using namespace poolscope;
using namespace poolscope::ui;

namespace {

constexpr int kSamples = 120;
constexpr int kLeakFrom = 40;
constexpr int kLeakUntil = 100;

// Two minutes of a PostgreSQL target whose billing sessions leak from sample 40 to 100, a
// PgBouncer target beside it, and a terminate in the audit trail at sample 100.
QList<Snapshot> writeRecording(const QString &path)
{
    Recorder recorder;
    RecordingFeed feed(recorder);
    QString error;
    if (!recorder.open(path, true, &error))
        qFatal("%s", qPrintable(error));
    const int pg = recorder.addTarget(QStringLiteral("db1"), TargetKind::PostgreSQL);
    const int bouncer = recorder.addTarget(QStringLiteral("bouncer1"), TargetKind::PgBouncer);
    SyntheticActivity activity(9, {40, 0.0, 0.0, 1000});
    QList<Snapshot> written;
    for (int i = 0; i < kSamples; ++i) {
        Snapshot s = activity.next();
        for (Session &session : s.sessions) {
            if (session.own || session.pid % 8 != 1 || i < kLeakFrom || i >= kLeakUntil)
                continue;
            session.state = QStringLiteral("idle in transaction (aborted)");
            session.stateChangeMs = s.takenAtMs - (i - kLeakFrom) * 1000;
            session.applicationName = QStringLiteral("billing");
            session.stack = {QStringLiteral("Billing::charge billing.cpp:88")};
        }
        classify(s, {});
        feed.append(pg, s, s.takenAtMs);
        written.append(s);
        BouncerSnapshot pools = SyntheticActivity::bouncerAt(i);
        for (BouncerPool &pool : pools.pools)
            pool.svActive = qMin(pool.svActive, 5); // below the alert threshold: the leak's are the only alerts
        feed.append(bouncer, pools, s.takenAtMs);
        if (i == kLeakUntil)
            recorder.appendAction(terminateEntry(s.takenAtMs, QStringLiteral("db1"), 1001));
    }
    recorder.close();
    return written;
}

int visibleSessions(const Snapshot &s)
{
    return int(std::count_if(s.sessions.cbegin(), s.sessions.cend(), [](const Session &x) { return !x.own; }));
}

} // namespace

class TestReplay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("incident.psrec"));
        m_written = writeRecording(m_path);
        m_window = ReplayWindow::open(m_path, nullptr);
        QVERIFY(m_window);
        m_window->resize(1500, 950);
        QVERIFY(QTest::qWaitForWindowExposed(m_window));
        QCOMPARE(m_window->views().size(), 2);
        QCOMPARE(m_window->currentView()->target().displayName(), QStringLiteral("db1")); // PostgreSQL first
    }

    void cleanupTestCase() { delete m_window; }

    // Each instant shows what was recorded then: the sessions, the leak, the owners.
    void viewsFollowTheSlider_data()
    {
        QTest::addColumn<int>("sample");
        QTest::newRow("before the leak") << 20;
        QTest::newRow("leaking") << 80;
        QTest::newRow("after the terminate") << 110;
        QTest::newRow("first") << 0;
        QTest::newRow("last") << kSamples - 1;
    }

    void viewsFollowTheSlider()
    {
        QFETCH(int, sample);
        const Snapshot &expected = m_written[sample];
        m_window->seek(expected.takenAtMs + 300); // between samples: the one before counts
        QTRY_VERIFY(!m_window->isSeeking()); // decoded on the player's thread
        TargetView *view = m_window->currentView();
        const SnapshotPtr shown = view->target().postgres();
        QVERIFY(shown);
        QCOMPARE(shown->takenAtMs, expected.takenAtMs);
        // Every session of the sample; the table shows them less its own, as live.
        QCOMPARE(view->sessions()->model()->sessionCount(), int(expected.sessions.size()));
        QCOMPARE(view->sessions()->model()->rowCount(), int(std::count_if(expected.sessions.cbegin(), expected.sessions.cend(), [](const Session &s) { return !s.own; })));
        QCOMPARE(shown->totals.leaked, expected.totals.leaked);
        const bool leaking = expected.totals.leaked > 0;
        QCOMPARE(leaking, sample >= kLeakFrom + 10 && sample < kLeakUntil);
        if (leaking) {
            QCOMPARE(view->target().owners().first().owner, QStringLiteral("billing"));
            view->tabs()->setCurrentWidget(view->owners()); // a panel takes the sample when shown
            QVERIFY(view->owners()->model()->rowCount() > 0);
            saveScreenshot(m_window, QStringLiteral("replay-leak"), m_dir);
        }
    }

    void stepsAndJumps()
    {
        m_window->seek(m_written[10].takenAtMs);
        QTest::keyClick(m_window, Qt::Key_Right, Qt::AltModifier);
        QCOMPARE(m_window->position(), m_written[11].takenAtMs);
        QTest::keyClick(m_window, Qt::Key_Left, Qt::AltModifier);
        QCOMPARE(m_window->position(), m_written[10].takenAtMs);
        // F8: the first alert (leaked sessions), then the terminate; Shift+F8 back.
        QTest::keyClick(m_window, Qt::Key_F8);
        QCOMPARE(m_window->position(), m_written[kLeakFrom + 10].takenAtMs);
        QTest::keyClick(m_window, Qt::Key_F8);
        QCOMPARE(m_window->position(), m_written[kLeakUntil].takenAtMs);
        QTest::keyClick(m_window, Qt::Key_F8, Qt::ShiftModifier);
        QCOMPARE(m_window->position(), m_written[kLeakFrom + 10].takenAtMs);
        m_window->seek(m_written[0].takenAtMs - 60'000); // before the start: the start
        QCOMPARE(m_window->position(), m_written[0].takenAtMs);
    }

    void playMovesOn()
    {
        m_window->seek(m_written[0].takenAtMs);
        m_window->setSpeed(30);
        m_window->setPlaying(true);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->position() >= m_written[20].takenAtMs, 5000);
        QTest::keyClick(m_window, Qt::Key_Space);
        QVERIFY(!m_window->isPlaying());
        const qint64 stopped = m_window->position();
        QTest::qWait(300);
        QCOMPARE(m_window->position(), stopped);
    }

    // Nothing in a replay can reach a server: no action is offered, and the runner refuses.
    void replayCannotAct()
    {
        for (TargetView *view : m_window->views()) {
            QVERIFY(view->isReadOnly());
            view->setReadOnly(false);
            QVERIFY(view->isReadOnly());
            QVERIFY(!view->target().canAct());
        }
        ActionRunner *runner = m_window->currentView()->findChild<ActionRunner *>();
        QVERIFY(runner);
        QVERIFY(!runner->signalSessions(m_written[80].sessions.mid(1, 1), true));
    }

    // Seeks never wait for the decoder: a burst of them returns at once, the ones overtaken are
    // dropped, and the views end on the last one asked for.
    void seeksOvertakenAreDropped()
    {
        for (int i = 0; i < 40; ++i)
            m_window->seek(m_written[(i * 37) % kSamples].takenAtMs);
        const Snapshot &last = m_written[kLeakFrom + 15];
        m_window->seek(last.takenAtMs);
        QVERIFY(m_window->isSeeking());
        QTRY_VERIFY(!m_window->isSeeking());
        const SnapshotPtr shown = m_window->currentView()->target().postgres();
        QVERIFY(shown);
        QCOMPARE(shown->takenAtMs, last.takenAtMs);
        QCOMPARE(shown->totals.leaked, last.totals.leaked);
        QCOMPARE(m_window->currentView()->sessions()->model()->sessionCount(), int(last.sessions.size()));
    }

    void exports()
    {
        m_window->seek(m_written[80].takenAtMs);
        QTRY_VERIFY(!m_window->isSeeking());
        const QString png = m_dir.filePath(QStringLiteral("charts.png"));
        QCOMPARE(m_window->exportCharts(png), QString());
        const QImage image(png);
        QVERIFY(image.width() > 800 && image.height() > 200);
        const QString svg = m_dir.filePath(QStringLiteral("charts.svg"));
        QCOMPARE(m_window->exportCharts(svg), QString());
        QFile svgFile(svg);
        QVERIFY(svgFile.open(QIODevice::ReadOnly));
        const QByteArray svgText = svgFile.readAll();
        QVERIFY(svgText.contains("<svg") && svgText.contains("</svg>"));

        const QString sessions = m_dir.filePath(QStringLiteral("sessions.csv"));
        QCOMPARE(m_window->exportSessions(sessions), QString());
        QFile sessionsFile(sessions);
        QVERIFY(sessionsFile.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(sessionsFile.readAll()).split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
        QVERIFY(lines.first().startsWith(QStringLiteral("pid,database,user,application_name")));
        QCOMPARE(lines.size(), 1 + visibleSessions(m_written[80]));
        QVERIFY(lines.join(u'\n').contains(QStringLiteral("billing,10.")));

        const QString owners = m_dir.filePath(QStringLiteral("owners.csv"));
        QCOMPARE(m_window->exportOwners(owners), QString());
        QFile ownersFile(owners);
        QVERIFY(ownersFile.open(QIODevice::ReadOnly));
        const QString ownersText = QString::fromUtf8(ownersFile.readAll());
        QVERIFY2(ownersText.section(QStringLiteral("\r\n"), 1, 1).startsWith(QStringLiteral("billing,")), qPrintable(ownersText));
        QVERIFY(ownersText.contains(QStringLiteral("Billing::charge billing.cpp:88")));

        const QString counts = m_dir.filePath(QStringLiteral("counts.csv"));
        QCOMPARE(m_window->exportCounts(counts), QString());
        QFile countsFile(counts);
        QVERIFY(countsFile.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(countsFile.readAll()).count(QStringLiteral("\r\n")), 1 + kSamples);

        const QString timeline = m_dir.filePath(QStringLiteral("timeline.md"));
        std::optional<QString> written;
        m_window->writeTimeline(timeline, [&written](const QString &error) { written = error; });
        QTRY_VERIFY(written.has_value()); // the timeline decodes on the player's thread
        QCOMPARE(*written, QString());
        QFile timelineFile(timeline);
        QVERIFY(timelineFile.open(QIODevice::ReadOnly));
        const QString markdown = QString::fromUtf8(timelineFile.readAll());
        QVERIFY(markdown.contains(QStringLiteral("![Connections by class over the recording](timeline.png)")));
        QVERIFY(markdown.contains(QStringLiteral("Billing::charge billing.cpp:88")));
        QVERIFY(QImage(m_dir.filePath(QStringLiteral("timeline.png"))).height() > 400);
    }

    // A target whose samples begin later, and one with none left (a file cut short before its
    // first): the replay says so in words, not "Waiting for the first sample…".
    void targetsWithoutASampleYetSaySo()
    {
        const QString path = m_dir.filePath(QStringLiteral("late.psrec"));
        qint64 lateFirstMs = 0;
        {
            Recorder recorder;
            RecordingFeed feed(recorder);
            QString error;
            QVERIFY2(recorder.open(path, true, &error), qPrintable(error));
            const int early = recorder.addTarget(QStringLiteral("early"), TargetKind::PostgreSQL);
            const int late = recorder.addTarget(QStringLiteral("late"), TargetKind::PostgreSQL);
            recorder.addTarget(QStringLiteral("never"), TargetKind::PgBouncer);
            SyntheticActivity activity(3, {10, 0.0, 0.0, 1000});
            for (int i = 0; i < 10; ++i) {
                Snapshot s = activity.next();
                classify(s, {});
                feed.append(early, s, s.takenAtMs);
                if (i >= 5) {
                    feed.append(late, s, s.takenAtMs);
                    if (lateFirstMs == 0)
                        lateFirstMs = s.takenAtMs;
                }
            }
            recorder.close();
        }
        std::unique_ptr<ReplayWindow> window(ReplayWindow::open(path, nullptr));
        QVERIFY(window);
        window->show();
        QCOMPARE(window->views().size(), 3);
        // Read as the operator reads it: on the target's own tab (a view behind another tab
        // catches up when it comes to the front).
        const auto healthOf = [&](const QString &name) {
            for (TargetView *view : window->views()) {
                if (view->target().displayName() != name)
                    continue;
                for (QWidget *up = view->parentWidget(); up; up = up->parentWidget()) {
                    if (auto *tabs = qobject_cast<QTabWidget *>(up)) {
                        tabs->setCurrentWidget(view);
                        break;
                    }
                }
                return view->overview()->healthText();
            }
            return QString();
        };
        const QString lateFirst = QDateTime::fromMSecsSinceEpoch(lateFirstMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        QTRY_COMPARE(healthOf(QStringLiteral("late")), QStringLiteral("No sample of late yet at this point of the recording: its first is at %1.").arg(lateFirst));
        QTRY_VERIFY(healthOf(QStringLiteral("never")).startsWith(u"No sample of never in this recording"));
        QTRY_VERIFY(!healthOf(QStringLiteral("early")).startsWith(u"No sample"));
    }

    void damagedFileSaysWhy()
    {
        const QString path = m_dir.filePath(QStringLiteral("garbage.psrec"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(5000, 'x'));
        file.close();
        QString error;
        QVERIFY(!Recording::open(path, &error));
        QVERIFY2(error.contains(QStringLiteral("not a PoolScope recording")), qPrintable(error));
    }

private:
    QTemporaryDir m_dir;
    QString m_path;
    QList<Snapshot> m_written;
    ReplayWindow *m_window = nullptr;
};

QTEST_MAIN(TestReplay)
#include "tst_replay.moc"
