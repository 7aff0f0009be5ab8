// The window against the real bench, drawn offscreen: what an operator sees and does.
#include "actions/auditreader.h"
#include "advisorpanel.h"
#include "alertviews.h"
#include "chartpanel.h"
#include "confirmdialog.h"
#include "connectiondialog.h"
#include "diagnosispane.h"
#include "fleetview.h"
#include "keyedtreemodel.h"
#include "limitspanel.h"
#include "mainwindow.h"
#include "overviewstrip.h"
#include "recording/recordingreader.h"
#include "sessionspanel.h"
#include "targetcontroller.h"
#include "targetview.h"
#include "lossyrelay.h"
#include "sampling/workerthreads.h"
#include "screenshots.h"
#include "testsupport.h"
#include "treepanel.h"
#include "windowrecorder.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QAction>
#include <QSettings>
#include <QSignalSpy>
#include <QLineEdit>
#include <QInputDialog>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeView>
#include <QTreeWidget>

using namespace poolscope;
using namespace poolscope::ui;

namespace {

// A leak on the error path: the transaction failed and nobody rolled it back.
const char kLeakingQuery[] =
    "SELECT 1/0 /*application='billing-api',stack='billing%3A%3Acheckout%20checkout.cpp%3A120|"
    "http%3A%3Aserve%20server.cpp%3A40'*/";

int proxyRowOfPid(const QAbstractItemModel *model, int pid)
{
    for (int r = 0; r < model->rowCount(); ++r) {
        if (model->index(r, 0).data(SessionTableModel::PidRole).toInt() == pid)
            return r;
    }
    return -1;
}

// Selects exactly the row of `pid`, whatever keyboard modifiers the platform thinks are held.
void selectPid(QTableView *table, int pid)
{
    const QModelIndex index = table->model()->index(proxyRowOfPid(table->model(), pid), 0);
    table->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QModelIndex findRow(const QAbstractItemModel *model, const QString &prefix, const QModelIndex &parent = {})
{
    for (int r = 0; r < model->rowCount(parent); ++r) {
        const QModelIndex index = model->index(r, 0, parent);
        if (index.data().toString().startsWith(prefix))
            return index;
        if (const QModelIndex inner = findRow(model, prefix, index); inner.isValid())
            return inner;
    }
    return {};
}

} // namespace

class TestLiveGui : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;

    WindowOptions options() const
    {
        WindowOptions o;
        o.auditLogPath = m_dir.filePath(QStringLiteral("audit.jsonl"));
        o.sampler.interval = std::chrono::milliseconds(300);
        o.sampler.serverBudgetPercent = 0;
        o.serverBudgetGiven = true; // not the one a test saved in the settings
        o.sampler.rules.abortedLeakedAfter = 1;
        o.restoreTargets = false;
        return o;
    }

    TargetView *open(const QString &conninfo)
    {
        QString error;
        const auto info = ConnInfo::parse(conninfo, &error);
        if (!info)
            qFatal("bad conninfo: %s", qPrintable(error));
        return m_window->openTarget(*info, conninfo, false);
    }

    // Answers the next change confirmation ("Apply") from the event loop it runs.
    static void applyNextChange()
    {
        QTimer::singleShot(100, qApp, [] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box) {
                applyNextChange();
                return;
            }
            for (QAbstractButton *button : box->buttons()) {
                if (button->text() == u"Apply")
                    button->click();
            }
        });
    }

    static void acceptConfirmationListing(int pid, bool *seen)
    {
        // The confirmation is modal: answer it from the event loop it runs.
        QTimer::singleShot(100, qApp, [pid, seen] {
            auto *dialog = qobject_cast<ConfirmSessionsDialog *>(QApplication::activeModalWidget());
            if (!dialog) {
                acceptConfirmationListing(pid, seen);
                return;
            }
            auto *table = dialog->findChild<QTableWidget *>(QStringLiteral("confirmSessions"));
            *seen = table && table->rowCount() == 1 && table->item(0, 0)->text() == QString::number(pid);
            dialog->findChild<QPushButton *>(QStringLiteral("confirmAction"))->click();
        });
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8()); // not the user's settings
    }

    void init()
    {
        m_window = std::make_unique<MainWindow>(options());
        m_window->resize(1280, 800);
        m_window->show();
    }

    void cleanup() { m_window.reset(); }

    void leakShowsWithItsOwnerAndStackAndCanBeTerminated()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession leaker(POOLSCOPE_TEST_PG_APP, "billing-api");
        ClientSession healthy(POOLSCOPE_TEST_PG_APP, "catalog");
        QVERIFY2(leaker.ok() && healthy.ok(), qPrintable(leaker.error()));
        QVERIFY(leaker.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaker.exec(QString::fromLatin1(kLeakingQuery))); // division by zero: aborted

        TargetView *view = open(POOLSCOPE_TEST_PG);
        // The overview says it in words, naming the owner.
        QTRY_VERIFY_WITH_TIMEOUT(view->overview()->healthText().startsWith(u"billing-api holds 1 of"), 15000);
        QVERIFY2(view->overview()->statusText().startsWith(u"connected · PostgreSQL"), qPrintable(view->overview()->statusText()));
        auto *sidebar = m_window->findChild<QListWidget *>(QStringLiteral("targetList"));
        QVERIFY(sidebar->item(0)->text().contains(u"1 leaked"));

        // An alert names it in the banner and in the alert history.
        QTRY_VERIFY_WITH_TIMEOUT(m_window->alertBanner()->isVisible(), 10000);
        QVERIFY2(m_window->alertBanner()->text().contains(u"leaked session(s): billing-api 1"),
                 qPrintable(m_window->alertBanner()->text()));
        QVERIFY(std::any_of(m_window->alertLog().cbegin(), m_window->alertLog().cend(),
                            [](const Alert &a) { return a.code == u"leaked" && a.isActive(); }));

        // The sessions table has the leaker, marked, with its reason.
        QAbstractItemModel *sessions = view->sessions()->view()->model();
        const int row = proxyRowOfPid(sessions, leaker.pid());
        QVERIFY(row >= 0);
        QVERIFY(sessions->index(row, SessionTableModel::Verdict).data().toString().startsWith(u"leaked: "));
        QCOMPARE(sessions->index(row, SessionTableModel::CodeLocation).data().toString(),
                 QStringLiteral("billing::checkout checkout.cpp:120"));

        // The owners view puts the leak site first and shows its stack.
        view->tabs()->setCurrentWidget(view->owners());
        QAbstractItemModel *owners = view->owners()->view()->model();
        QTRY_VERIFY(owners->rowCount() > 0);
        QCOMPARE(owners->index(0, 0).data().toString(), QStringLiteral("billing-api"));
        const QModelIndex stack = owners->index(0, 0, owners->index(0, 0));
        view->owners()->view()->setCurrentIndex(stack);
        const QString frames = view->owners()->stackText();
        QVERIFY2(frames.contains(u"#0 billing::checkout checkout.cpp:120") && frames.contains(u"#1 http::serve server.cpp:40"),
                 qPrintable(frames));

        // The charts have drawn several samples.
        QTRY_VERIFY_WITH_TIMEOUT(view->charts()->lastPointCount() >= 3, 10000);
        qInfo("chart redraw: %.1f ms for %d points", view->charts()->lastRedrawMs(), view->charts()->lastPointCount());
        saveScreenshot(m_window.get(), QStringLiteral("owners"), m_dir);
        view->tabs()->setCurrentWidget(view->sessions());
        saveScreenshot(m_window.get(), QStringLiteral("sessions"), m_dir);

        // Ctrl+C in the table copies the selected rows as text, with a header and the full query.
        QTableView *copyFrom = view->sessions()->view();
        selectPid(copyFrom, leaker.pid());
        copyFrom->setFocus();
        QTest::keyClick(copyFrom, Qt::Key_C, Qt::ControlModifier);
        const QString copied = QApplication::clipboard()->text();
        QVERIFY2(copied.startsWith(u"PID\tClass\t") && copied.contains(QString::number(leaker.pid()))
                     && copied.contains(u"stack='billing%3A%3Acheckout"),
                 qPrintable(copied));

        // Terminate it from the table: the confirmation lists exactly that session, the
        // result shows on its row and in the audit log.
        QTableView *table = view->sessions()->view();
        const int leakerPid = leaker.pid(); // libpq says 0 once the session is gone
        selectPid(table, leakerPid);
        bool confirmationListedIt = false;
        acceptConfirmationListing(leakerPid, &confirmationListedIt);
        view->terminateSelected();
        QVERIFY(confirmationListedIt);
        QTRY_VERIFY_WITH_TIMEOUT(!leaker.alive(), 10000);
        QVERIFY(healthy.alive());
        // The line is written on the action's thread, after the session is gone: waited for.
        QByteArray log;
        const auto auditSays = [&] {
            QFile audit(options().auditLogPath);
            log = audit.open(QIODevice::ReadOnly) ? audit.readAll() : QByteArray();
            return log.contains("\"action\":\"terminate\"") && log.contains(QByteArray("\"pid\":" + QByteArray::number(leakerPid)))
                && log.contains("\"status\":\"done\"");
        };
        QTRY_VERIFY_WITH_TIMEOUT(auditSays(), 5000);
        QVERIFY(!log.contains("bench-secret"));
        QTRY_VERIFY_WITH_TIMEOUT(view->overview()->healthText().startsWith(u"Healthy"), 10000);
        // The alert cleared when the leak went, and stays in the history with both times.
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->alertBanner()->isVisible(), 10000);
        const Alert &leaked = *std::find_if(m_window->alertLog().cbegin(), m_window->alertLog().cend(),
                                            [](const Alert &a) { return a.code == u"leaked"; });
        QVERIFY(leaked.clearedAtMs >= leaked.firedAtMs && !leaked.isActive());
    }

    // The diagnosis pane names the leak first (cause, owner, code location), with evidence and
    // the next step, leaves a pg_dump alone as ignored, and its button ends the leak.
    void diagnosisNamesTheLeakAndEndsIt()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession leaker(POOLSCOPE_TEST_PG_APP, "billing-api");
        ClientSession dump(POOLSCOPE_TEST_PG_APP, "pg_dump");
        QVERIFY2(leaker.ok() && dump.ok(), qPrintable(leaker.error()));
        QVERIFY(leaker.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaker.exec(QString::fromLatin1(kLeakingQuery))); // division by zero: aborted
        QVERIFY(dump.exec(QStringLiteral("BEGIN ISOLATION LEVEL REPEATABLE READ")));
        QVERIFY(dump.exec(QStringLiteral("SELECT 1 /* a dump between two tables */")));

        TargetView *view = open(POOLSCOPE_TEST_PG);
        DiagnosisPane *pane = view->diagnosis();
        const auto first = [pane]() -> const Cause * {
            return pane->diagnosis() && !pane->diagnosis()->causes.isEmpty() ? &pane->diagnosis()->causes.first() : nullptr;
        };
        QTRY_VERIFY_WITH_TIMEOUT(first() && first()->kind == CauseKind::Leak, 15000);
        QCOMPARE(first()->owner, QStringLiteral("billing-api"));
        QCOMPARE(first()->codeLocation, QStringLiteral("billing::checkout checkout.cpp:120"));
        QVERIFY(std::none_of(pane->diagnosis()->causes.cbegin(), pane->diagnosis()->causes.cend(),
                             [](const Cause &c) { return c.owner == u"pg_dump"; }));
        QCOMPARE(pane->diagnosis()->ignoredSessions, 1);
        QCOMPARE(pane->causes()->topLevelItemCount(), int(pane->diagnosis()->causes.size()));
        QVERIFY(pane->causes()->topLevelItem(0)->text(0).contains(u"Connection leak"));
        const QString details = pane->details()->toPlainText();
        QVERIFY2(details.contains(u"billing::checkout checkout.cpp:120") && details.contains(u"Evidence")
                     && details.contains(u"idle in transaction (aborted)") && details.contains(u"Next step"),
                 qPrintable(details));
        QVERIFY(pane->remedyButton()->isVisible());
        QCOMPARE(pane->remedyButton()->text(), QStringLiteral("Terminate session %1…").arg(leaker.pid()));
        QTRY_VERIFY_WITH_TIMEOUT(view->charts()->lastPointCount() >= 3, 10000);
        saveScreenshot(m_window.get(), QStringLiteral("diagnosis"), m_dir);

        bool confirmationListedIt = false;
        acceptConfirmationListing(leaker.pid(), &confirmationListedIt);
        pane->remedyButton()->click();
        QVERIFY(confirmationListedIt);
        QTRY_VERIFY_WITH_TIMEOUT(!leaker.alive(), 10000);
        QVERIFY(dump.alive());
        QTRY_VERIFY_WITH_TIMEOUT(pane->diagnosis() && pane->diagnosis()->causes.isEmpty(), 10000);
        QVERIFY(!pane->remedyButton()->isVisible());
        // Read-only hides the button.
        m_window->setReadOnly(true);
        QVERIFY(!pane->remedyButton()->isVisible());
        m_window->setReadOnly(false); // the mode is kept in the settings: the next test acts
    }

    // View > Ignore rules: a batch job's transaction, leaked by the rules, is shown as ignored
    // once a rule names it, from the next sample on, and the rule is kept in the settings.
    void ignoreRulesFromTheWindow()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession batch(POOLSCOPE_TEST_PG_APP, "nightly-export");
        QVERIFY(batch.exec(QStringLiteral("BEGIN")));
        QVERIFY(!batch.exec(QStringLiteral("SELECT 1/0"))); // aborted: leaked after a second here
        TargetView *view = open(POOLSCOPE_TEST_PG);
        QAbstractItemModel *sessions = view->sessions()->view()->model();
        const auto verdict = [&] {
            const int row = proxyRowOfPid(sessions, batch.pid());
            return row < 0 ? QString() : sessions->index(row, SessionTableModel::Verdict).data().toString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(verdict().startsWith(u"leaked: "), 10000);

        QAction *edit = nullptr;
        for (QAction *action : m_window->findChildren<QAction *>()) {
            if (action->text() == u"&Ignore rules…")
                edit = action;
        }
        QVERIFY(edit);
        QTimer::singleShot(200, qApp, [] {
            auto *dialog = qobject_cast<QInputDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            QVERIFY(dialog->textValue().contains(u"application=pg_dump")); // the defaults, to keep or drop
            dialog->setTextValue(dialog->textValue() + QStringLiteral("\napplication=nightly-export"));
            dialog->accept();
        });
        edit->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(verdict(), QStringLiteral("ignored: application nightly-export"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(view->diagnosis()->diagnosis() && view->diagnosis()->diagnosis()->causes.isEmpty(), 5000);
        QVERIFY(QSettings().value(QStringLiteral("analysis/ignore")).toStringList().contains(u"application=nightly-export"));
        QSettings().remove(QStringLiteral("analysis/ignore")); // the next tests judge every session
    }

    // Several targets in one table, worst first: the unreachable one, then the one with a leak;
    // a row opens its target, and Ctrl+C copies the rows.
    void fleetOverviewPutsTheWorstFirst()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        ClientSession leaker(POOLSCOPE_TEST_PG_APP, "billing-api");
        QVERIFY(leaker.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaker.exec(QString::fromLatin1(kLeakingQuery)));
        open(POOLSCOPE_TEST_SMALL);
        open(POOLSCOPE_TEST_BOUNCER);
        open(POOLSCOPE_TEST_PG);
        open(QStringLiteral("host=127.0.0.1 port=1 dbname=gone user=nobody connect_timeout=2"));
        QAction *showFleet = nullptr;
        for (QAction *action : m_window->findChildren<QAction *>()) {
            if (action->shortcut() == QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F))
                showFleet = action;
        }
        QVERIFY(showFleet);
        showFleet->trigger();
        FleetView *fleet = m_window->fleet();
        QTRY_VERIFY(fleet->isVisible());
        QAbstractItemModel *rows = fleet->table()->model();
        QCOMPARE(rows->rowCount(), 4);
        const auto cell = [rows](int row, int column) { return rows->index(row, column).data().toString(); };
        QTRY_VERIFY_WITH_TIMEOUT(cell(0, FleetModel::Worst) == u"unreachable"
                                     && cell(1, FleetModel::Worst).startsWith(u"Connection leak · billing-api"),
                                 15000);
        QVERIFY2(cell(0, FleetModel::State).startsWith(u"reconnecting"), qPrintable(cell(0, FleetModel::State)));
        QVERIFY(cell(1, FleetModel::Target).contains(u"postgres"));
        QCOMPARE(cell(1, FleetModel::Leaked), QStringLiteral("1"));
        QVERIFY(cell(1, FleetModel::Kind).startsWith(u"PostgreSQL "));
        QTRY_VERIFY_WITH_TIMEOUT(cell(2, FleetModel::Kind).startsWith(u"P") && cell(3, FleetModel::Kind).startsWith(u"P"), 10000);
        QVERIFY(cell(2, FleetModel::Slots).contains(u" of "));
        QCOMPARE(fleet->findChild<QLabel *>()->text(), QStringLiteral("2 of 4 targets critical or unreachable"));
        saveScreenshot(m_window.get(), QStringLiteral("fleet"), m_dir);

        // Sorting by another column works, and back.
        fleet->table()->sortByColumn(FleetModel::Target, Qt::AscendingOrder);
        QVERIFY(cell(0, FleetModel::Target) <= cell(1, FleetModel::Target));
        fleet->table()->sortByColumn(FleetModel::Worst, Qt::DescendingOrder);

        fleet->table()->selectRow(1);
        fleet->table()->setFocus();
        QTest::keyClick(fleet->table(), Qt::Key_C, Qt::ControlModifier);
        const QString copied = QApplication::clipboard()->text();
        QVERIFY2(copied.startsWith(u"Target\tKind\tIn use") && copied.contains(u"Connection leak · billing-api"),
                 qPrintable(copied));
        // Enter on the leaking target's row opens its view.
        QTest::keyClick(fleet->table(), Qt::Key_Return);
        QTRY_VERIFY(m_window->currentView() && m_window->currentView()->isVisible());
        QVERIFY(m_window->currentView()->target().displayName().contains(u"postgres"));
        QVERIFY(m_window->currentView()->target().postgres());
    }

    // Recording from the window: the target's samples and the terminate done meanwhile land in
    // the file, and the replay shows the session before and gone after.
    void windowRecordsItsTargetsAndActions()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession client(POOLSCOPE_TEST_PG_APP, "recorded-client");
        QVERIFY(client.ok());
        const int pid = client.pid();
        TargetView *view = open(POOLSCOPE_TEST_PG);
        const QString path = m_dir.filePath(QStringLiteral("window.psrec"));
        QString error;
        QVERIFY2(m_window->recorder()->start(path, &error), qPrintable(error));
        auto *indicator = m_window->findChild<QLabel *>(QStringLiteral("recordingIndicator"));
        QTRY_VERIFY_WITH_TIMEOUT(indicator->text().contains(u"recording"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(proxyRowOfPid(view->sessions()->view()->model(), pid) >= 0, 10000);
        QTest::qWait(1000);
        selectPid(view->sessions()->view(), pid);
        bool listed = false;
        acceptConfirmationListing(pid, &listed);
        view->terminateSelected();
        QVERIFY(listed);
        QTRY_VERIFY_WITH_TIMEOUT(!client.alive(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(proxyRowOfPid(view->sessions()->view()->model(), pid) < 0, 10000);
        QTest::qWait(1000);
        QSignalSpy stopped(m_window->recorder(), &WindowRecorder::stopped);
        m_window->recorder()->stop();
        QVERIFY(indicator->text().isEmpty());
        QVERIFY(stopped.wait(5000)); // the writer's thread closes the file
        QCOMPARE(stopped.first().first().toString(), path);

        std::unique_ptr<Recording> recording = Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        QVERIFY(recording->endedCleanly());
        QCOMPARE(recording->targets().size(), 1);
        const RecordedTarget &target = recording->targets().first();
        QCOMPARE(target.name, view->target().displayName());
        QVERIFY(target.samples.size() >= 5);
        QCOMPARE(recording->actions().size(), 1);
        QCOMPARE(recording->actions().first().action, QStringLiteral("terminate"));
        QCOMPARE(recording->actions().first().target, target.name);
        const auto hasClient = [&](int sample) {
            Snapshot snapshot;
            if (!recording->snapshotAt(0, sample, &snapshot))
                return false;
            return std::any_of(snapshot.sessions.cbegin(), snapshot.sessions.cend(), [pid](const Session &s) { return s.pid == pid; });
        };
        QVERIFY(hasClient(0));
        QVERIFY(!hasClient(int(target.samples.size()) - 1));
    }

    // Always on: a file per quarter of the cap, the oldest removed, every file readable.
    void alwaysOnRecordingStaysUnderItsCap()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        open(POOLSCOPE_TEST_PG);
        const QString directory = m_dir.filePath(QStringLiteral("always"));
        constexpr qint64 cap = 8 * 1024; // a new file every 2 KB: a keyframe and a few deltas
        QString error;
        QVERIFY2(m_window->recorder()->startAlwaysOn(directory, cap, &error), qPrintable(error));
        QSet<QString> seen;
        const auto filesSeen = [&] {
            for (const QString &file : WindowRecorder::recordingsIn(directory))
                seen.insert(file);
            return seen.size();
        };
        QTRY_VERIFY_WITH_TIMEOUT(filesSeen() >= 5, 60000);
        QSignalSpy stopped(m_window->recorder(), &WindowRecorder::stopped);
        m_window->recorder()->stop();
        QVERIFY(stopped.wait(5000));
        const QStringList kept = WindowRecorder::recordingsIn(directory);
        QVERIFY2(kept.size() < seen.size(), "the oldest files were never removed");
        qint64 total = 0;
        for (const QString &file : kept) {
            total += QFileInfo(file).size();
            std::unique_ptr<Recording> recording = Recording::open(file, &error);
            QVERIFY2(recording, qPrintable(error));
            QVERIFY(!recording->targets().isEmpty());
        }
        // The cap, plus what the last sample and the end record of the newest file added.
        QVERIFY2(total <= cap + 6 * 1024, qPrintable(QString::number(total)));
    }

    // The moment it matters most: a server at max_connections, a leaked session among the ones
    // filling it. A new connection is refused even to a pg_monitor + pg_signal_backend role, so
    // the window ends the leak over its sampling connection, which is in already; the audit log
    // has it.
    void endsALeakOnAFullServer()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL_MONITOR);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL_APP);
        TargetView *view = open(POOLSCOPE_TEST_SMALL_MONITOR);
        QTRY_VERIFY_WITH_TIMEOUT(view->target().postgres(), 15000);
        // Fill every slot left for non-superusers; one of them leaks on an error path.
        std::vector<std::unique_ptr<ClientSession>> filling = fillServer(POOLSCOPE_TEST_SMALL_APP, "billing-api");
        QVERIFY2(filling.size() >= 2, "the small cluster could not be filled");
        ClientSession &leaker = *filling.front();
        QVERIFY(leaker.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaker.exec(QString::fromLatin1(kLeakingQuery)));
        const int pid = leaker.pid();
        // Full: a fresh connection of the same role is refused.
        ClientSession refused(POOLSCOPE_TEST_SMALL_MONITOR, "poolscope-test-refused");
        QVERIFY2(!refused.ok() && refused.error().contains(u"remaining connection slots are reserved"),
                 qPrintable(refused.error()));
        QTRY_VERIFY_WITH_TIMEOUT(proxyRowOfPid(view->sessions()->view()->model(), pid) >= 0, 10000);

        selectPid(view->sessions()->view(), pid);
        bool listed = false;
        acceptConfirmationListing(pid, &listed);
        view->terminateSelected();
        QVERIFY(listed);
        QTRY_VERIFY_WITH_TIMEOUT(!leaker.alive(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(proxyRowOfPid(view->sessions()->view()->model(), pid) < 0, 10000);
        const AuditReadResult audit = readAuditLog(options().auditLogPath);
        QVERIFY(!audit.entries.isEmpty());
        const AuditEntry &last = audit.entries.last();
        QCOMPARE(last.action, QStringLiteral("terminate"));
        QCOMPARE(last.status, QStringLiteral("done"));
        QCOMPARE(last.arguments.value(QStringLiteral("pid")).toInt(), pid);
        QVERIFY(view->target().status().state == SamplerStatus::State::Connected); // sampling went on
    }

    // A target whose network stops passing bytes mid-read: reconnecting (F5) and removing it
    // (Ctrl+W) never freeze the window, and no thread outlives the target.
    void windowNeverWaitsOnALostNetwork()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        // The targets of the tests before have closed their connections by now, each thread gone.
        QTRY_COMPARE_WITH_TIMEOUT(workerthreads::running(), 0, 5000);
        const int threadsBefore = workerthreads::running();
        LossyRelay relay(QStringLiteral("127.0.0.1"), portOf(POOLSCOPE_TEST_PG));
        TargetView *view = open(throughRelay(POOLSCOPE_TEST_PG, relay));
        QTRY_VERIFY_WITH_TIMEOUT(view->target().postgres(), 10000);
        QCOMPARE(workerthreads::running(), threadsBefore + 1);
        m_window->activateWindow();
        QApplication::setActiveWindow(m_window.get());

        relay.setLost(true);
        QTest::qWait(700); // a read is in flight now, waiting on the lost network
        StallMeter stalls;
        stalls.start();
        QElapsedTimer pressed;
        pressed.start();
        QTest::keyClick(m_window.get(), Qt::Key_F5);
        const qint64 reconnectMs = pressed.elapsed();
        QTest::qWait(500); // the new connection hangs in its turn
        QTest::keyClick(m_window.get(), Qt::Key_F5);
        QTest::qWait(300);
        pressed.restart();
        QTest::keyClick(m_window.get(), Qt::Key_W, Qt::ControlModifier);
        const qint64 removeMs = pressed.elapsed();
        QCOMPARE(m_window->targetViews().size(), 0);
        // Every sampling thread of the target ends by itself, the hung ones included.
        QTRY_COMPARE_WITH_TIMEOUT(workerthreads::running(), threadsBefore, 2000);
        QTest::qWait(100);
        qInfo("lost network: F5 took %lld ms, Ctrl+W %lld ms on the GUI thread; longest event-loop stall %lld ms "
              "(goal 50 ms); %d sampling threads left",
              reconnectMs, removeMs, stalls.longestMs(), workerthreads::running() - threadsBefore);
        QVERIFY2(reconnectMs < 500 && removeMs < 500, "the GUI thread waited on the network");
        QVERIFY2(stalls.longestMs() < 500, qPrintable(QString::number(stalls.longestMs())));
    }

    void readOnlyHidesEveryAction()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession client(POOLSCOPE_TEST_PG_APP, "ro-check");
        QVERIFY(client.ok());
        TargetView *view = open(POOLSCOPE_TEST_PG);
        QTRY_VERIFY_WITH_TIMEOUT(proxyRowOfPid(view->sessions()->view()->model(), client.pid()) >= 0, 10000);
        m_window->setReadOnly(true);
        QVERIFY(view->isReadOnly());
        QVERIFY(view->sessions()->findChild<QPushButton *>(QStringLiteral("terminateSessions"))->isHidden());
        QVERIFY(view->owners()->findChild<QPushButton *>(QStringLiteral("terminateLeaked"))->isHidden());
        QTableView *table = view->sessions()->view();
        selectPid(table, client.pid());
        const qint64 auditSize = QFileInfo(options().auditLogPath).size(); // 0 when there is none yet
        view->terminateSelected(); // the Delete key: nothing may happen
        QTest::qWait(300);
        QVERIFY(!QApplication::activeModalWidget());
        QVERIFY(client.alive());
        QCOMPARE(QFileInfo(options().auditLogPath).size(), auditSize);
        m_window->setReadOnly(false);
        QVERIFY(!view->sessions()->findChild<QPushButton *>(QStringLiteral("terminateSessions"))->isHidden());
    }

    // Over its server budget the window samples less often and says why; View > Server budget…
    // set to 0 keeps the interval asked for at once (not after a stretched minute), and is saved.
    void serverBudgetStretchesAndCanBeLifted()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        m_window.reset();
        WindowOptions tight = options();
        tight.sampler.serverBudgetPercent = 0.001; // any read is over it: the interval goes to its 60 s cap
        m_window = std::make_unique<MainWindow>(tight);
        m_window->show();
        TargetView *view = open(POOLSCOPE_TEST_PG);
        const TargetController &target = view->target();
        QTRY_VERIFY_WITH_TIMEOUT(target.status().stretched(), 10000);
        QCOMPARE(target.status().effectiveIntervalMs, 60000.0);
        QTRY_VERIFY(view->overview()->statusText().contains(u"instead of 0.3 s: reading"));
        QVERIFY(view->overview()->statusText().contains(u"View > Server budget"));
        const qint64 stretchedSample = target.lastSampleAtMs();

        QAction *budget = nullptr;
        for (QAction *action : m_window->findChildren<QAction *>()) {
            if (action->text() == u"Server &budget…")
                budget = action;
        }
        QVERIFY(budget);
        QTimer::singleShot(100, qApp, [] {
            if (auto *dialog = qobject_cast<QInputDialog *>(QApplication::activeModalWidget())) {
                dialog->setDoubleValue(0);
                dialog->accept();
            }
        });
        budget->trigger();
        QCOMPARE(QSettings().value(QStringLiteral("sampling/serverBudgetPercent")).toDouble(), 0.0);
        QTRY_VERIFY_WITH_TIMEOUT(target.lastSampleAtMs() > stretchedSample, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!target.status().stretched(), 5000);
        QCOMPARE(target.status().effectiveIntervalMs, 300.0);
        QVERIFY(!view->overview()->statusText().contains(u"instead of"));
        QSettings().remove(QStringLiteral("sampling"));
    }

    // F5 closes the sampling connection and opens a new one: the charts go on as they were,
    // each title drawn once in its place (a reconnect once drew a second title over the chart).
    void reconnectKeepsTheChartsAsTheyWere_data()
    {
        QTest::addColumn<QString>("variable");
        QTest::newRow("PostgreSQL") << QStringLiteral("POOLSCOPE_TEST_PG");
        QTest::newRow("PgBouncer") << QStringLiteral("POOLSCOPE_TEST_BOUNCER");
    }

    void reconnectKeepsTheChartsAsTheyWere()
    {
        QFETCH(QString, variable);
        const QString conninfo = qEnvironmentVariable(qPrintable(variable));
        if (conninfo.isEmpty())
            QFAIL(qPrintable(variable + QStringLiteral(" is not set: start the bench (installer/dev.sh test)")));
        TargetView *view = open(conninfo);
        QTRY_VERIFY_WITH_TIMEOUT(view->target().lastSampleAtMs() > 0, 10000);
        QTest::qWait(700);
        const auto titles = [view] {
            QList<QImage> strips;
            for (TimeChart *chart : view->charts()->charts()) {
                const QImage image = chart->grab().toImage();
                strips.append(image.copy(0, 0, image.width(), chart->fontMetrics().height() + 16));
            }
            return strips;
        };
        const QList<QImage> before = titles();
        const qint64 sampleBefore = view->target().lastSampleAtMs();
        QAction *refresh = nullptr;
        for (QAction *action : m_window->findChildren<QAction *>()) {
            if (action->shortcut() == QKeySequence(QKeySequence::Refresh))
                refresh = action;
        }
        QVERIFY(refresh);
        refresh->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(view->target().status().state == SamplerStatus::State::Connected
                                     && view->target().lastSampleAtMs() > sampleBefore + 500,
                                 10000);
        QTest::qWait(700);
        const QList<QImage> after = titles();
        QCOMPARE(after.size(), before.size());
        for (qsizetype c = 0; c < before.size(); ++c) {
            if (after[c] != before[c]) {
                before[c].save(QDir::temp().filePath(QStringLiteral("poolscope-title-before-%1.png").arg(c)));
                after[c].save(QDir::temp().filePath(QStringLiteral("poolscope-title-after-%1.png").arg(c)));
                QFAIL(qPrintable(QStringLiteral("chart %1's title changed after the reconnect (see %2)")
                                     .arg(c)
                                     .arg(QDir::temp().filePath(QStringLiteral("poolscope-title-*.png")))));
            }
        }
    }

    void blockingShowsHolderAndWaiter()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession holder(POOLSCOPE_TEST_PG_APP, "lock-holder");
        ClientSession waiter(POOLSCOPE_TEST_PG_APP, "lock-waiter");
        QVERIFY(holder.ok() && waiter.ok());
        QVERIFY(holder.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS gui_locks (id int PRIMARY KEY, n int);"
                                           "INSERT INTO gui_locks VALUES (1, 0) ON CONFLICT DO NOTHING")));
        QVERIFY(holder.exec(QStringLiteral("BEGIN")));
        QVERIFY(holder.exec(QStringLiteral("UPDATE gui_locks SET n = n + 1 WHERE id = 1")));
        QVERIFY(waiter.send(QStringLiteral("UPDATE gui_locks SET n = n + 1 WHERE id = 1")));
        TargetView *view = open(POOLSCOPE_TEST_PG);
        // The panels are arranged once the first sample says what the target is; only the
        // panel in front takes samples.
        QTRY_VERIFY_WITH_TIMEOUT(view->tabs()->indexOf(view->blocking()) >= 0, 10000);
        view->tabs()->setCurrentWidget(view->blocking());
        QAbstractItemModel *tree = view->blocking()->view()->model();
        QTRY_VERIFY_WITH_TIMEOUT(findRow(tree, QStringLiteral("pid %1").arg(holder.pid())).isValid(), 10000);
        const QModelIndex root = findRow(tree, QStringLiteral("pid %1").arg(holder.pid()));
        QVERIFY(!root.parent().isValid());
        QCOMPARE(tree->rowCount(root), 1);
        QVERIFY(tree->index(0, 0, root).data().toString().startsWith(QStringLiteral("pid %1").arg(waiter.pid())));
        const QString tabText = view->tabs()->tabText(view->tabs()->indexOf(view->blocking()));
        QVERIFY2(tabText.contains(u"(1)"), qPrintable(tabText + QStringLiteral(" waiting=%1 blocked=%2").arg(view->target().postgres()->totals.count(SessionClass::Waiting)).arg(tree->rowCount())));
        saveScreenshot(m_window.get(), QStringLiteral("blocking"), m_dir);
        QVERIFY(holder.exec(QStringLiteral("ROLLBACK")));
        QVERIFY(waiter.finished(5000));
        QTRY_VERIFY_WITH_TIMEOUT(tree->rowCount() == 0, 10000);
    }

    // The Pool sizing tab of a console with its server open too: under load through PgBouncer,
    // after the advisor's minimum watch, a recommendation with its arithmetic, applied through
    // the verified SET (and put back).
    void poolSizingAdvisesAndApplies()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        open(POOLSCOPE_TEST_PG); // the server behind: its slots are the budget
        TargetView *view = open(POOLSCOPE_TEST_BOUNCER);
        QTRY_VERIFY_WITH_TIMEOUT(view->target().kind() == TargetKind::PgBouncer, 10000);
        view->tabs()->setCurrentWidget(view->advisor());
        AdvisorPanel *advisor = view->advisor();
        QVERIFY(advisor->summary()->text().startsWith(u"No recommendation yet"));
        ClientSession load(POOLSCOPE_TEST_BOUNCER_APP, "sized-app");
        QVERIFY2(load.ok(), qPrintable(load.error()));
        QElapsedTimer watching;
        watching.start();
        // Transactions of ~20 ms through the pool, until the advisor has watched long enough.
        while (!advisor->applyButton()->isVisible() && watching.elapsed() < 60000) {
            QVERIFY(load.exec(QStringLiteral("SELECT pg_sleep(0.02)")));
            QCoreApplication::processEvents();
        }
        QVERIFY2(advisor->applyButton()->isVisible(), qPrintable(advisor->summary()->text()));
        QVERIFY2(advisor->summary()->text().startsWith(u"default_pool_size = "), qPrintable(advisor->summary()->text()));
        const QString formula = advisor->formula()->toPlainText();
        QVERIFY2(formula.contains(u"budget = ") && formula.contains(u"Little's law") && formula.contains(u"appdb/ps_app: "),
                 qPrintable(formula));
        int row = -1;
        for (int r = 0; r < advisor->table()->rowCount(); ++r) {
            if (advisor->table()->item(r, 0)->text() == u"appdb/ps_app")
                row = r;
        }
        QVERIFY(row >= 0);
        const double rate = advisor->table()->item(row, 1)->text().toDouble();
        QVERIFY2(rate > 5, qPrintable(advisor->table()->item(row, 1)->text()));
        const int recommended = advisor->table()->item(row, 5)->text().toInt();
        QVERIFY(recommended >= 2);
        QCOMPARE(advisor->applyButton()->text(), QStringLiteral("Set default_pool_size = %1…").arg(recommended));
        saveScreenshot(m_window.get(), QStringLiteral("advisor"), m_dir);

        applyNextChange();
        advisor->applyButton()->click();
        // The limits panel's outcome: SET, read back from SHOW CONFIG, and audited.
        auto *outcome = view->limits()->findChild<QLabel *>(QStringLiteral("limitsOutcome"));
        QTRY_VERIFY_WITH_TIMEOUT(outcome->text().contains(u"done"), 10000);
        QVERIFY2(outcome->text().contains(QStringLiteral("default_pool_size = '%1'").arg(recommended)), qPrintable(outcome->text()));
        ClientSession console(POOLSCOPE_TEST_BOUNCER, "advisor-check");
        QVERIFY(console.exec(QStringLiteral("SET default_pool_size = 5"))); // the bench's, for the tests after
    }

    void bouncerPoolsShowClientsAndServers()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        ClientSession client(POOLSCOPE_TEST_BOUNCER_APP, "through-bouncer");
        QVERIFY2(client.ok(), qPrintable(client.error()));
        QVERIFY(client.exec(QStringLiteral("BEGIN")));
        QVERIFY(client.exec(QStringLiteral("SELECT 1"))); // holds a server in transaction pooling
        TargetView *view = open(POOLSCOPE_TEST_BOUNCER);
        QTRY_VERIFY_WITH_TIMEOUT(view->target().kind() == TargetKind::PgBouncer && view->pools()->model()->rowCount() > 0, 10000);
        QCOMPARE(view->tabs()->widget(0), view->pools());
        QAbstractItemModel *pools = view->pools()->view()->model();
        const QModelIndex appdb = findRow(pools, QStringLiteral("appdb/ps_app"));
        QVERIFY(appdb.isValid());
        QTRY_VERIFY_WITH_TIMEOUT(findRow(pools, QStringLiteral("server → backend pid"), appdb).isValid(), 10000);
        QVERIFY(findRow(pools, QStringLiteral("client 127.0.0.1:"), appdb).isValid());
        QVERIFY2(view->overview()->statusText().contains(u"PgBouncer"), qPrintable(view->overview()->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(view->charts()->lastPointCount() >= 2, 10000);
        view->tabs()->setCurrentWidget(view->limits());
        auto *settings = view->limits()->findChild<QTableWidget *>(QStringLiteral("limitsTable"));
        QVERIFY(settings->rowCount() > 10);
        view->tabs()->setCurrentWidget(view->pools());
        saveScreenshot(m_window.get(), QStringLiteral("pgbouncer"), m_dir);
        QVERIFY(client.exec(QStringLiteral("COMMIT")));
    }

    void connectionDialogTestsOffTheGuiThread()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        ConnectionDialog dialog;
        dialog.setConnInfo(POOLSCOPE_TEST_PG);
        // The password goes into its masked field, never into the visible text.
        QVERIFY(!dialog.findChild<QLineEdit *>(QStringLiteral("conninfoText"))->text().contains(u"bench-secret"));
        QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("password"))->text(), QStringLiteral("bench-secret"));
        QString error;
        const auto info = dialog.connInfo(&error);
        QVERIFY2(info && info->value("password") == u"bench-secret", qPrintable(error)); // still used to connect
        auto *result = dialog.findChild<QLabel *>(QStringLiteral("testResult"));
        dialog.findChild<QPushButton *>(QStringLiteral("testConnection"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(u"Connected: PostgreSQL 15"), 10000);
        dialog.setConnInfo(POOLSCOPE_TEST_BOUNCER);
        dialog.findChild<QPushButton *>(QStringLiteral("testConnection"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(u"Connected: a PgBouncer admin console"), 10000);
        dialog.setConnInfo(QStringLiteral("host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2"));
        dialog.findChild<QPushButton *>(QStringLiteral("testConnection"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(u"Failed: "), 10000);
        QVERIFY2(result->text().contains(u"refused"), qPrintable(result->text()));
    }

    // The targets the window keeps for the next run are kept without their password, however
    // it was given (keywords or a URI); ~/.pgpass or a service file gives it back.
    void noPasswordInTheSettingsFile()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QString error;
        const auto info = ConnInfo::parse(POOLSCOPE_TEST_PG, &error);
        QVERIFY2(info, qPrintable(error));
        const QString uri = QStringLiteral("postgresql://%1:%2@%3:%4/%5").arg(info->value("user"), info->value("password"),
                                                                           info->value("host"), info->value("port"),
                                                                           info->value("dbname"));
        for (const QString &text : {POOLSCOPE_TEST_PG, uri}) {
            const auto target = ConnInfo::parse(text, &error);
            QVERIFY2(target, qPrintable(error));
            TargetView *view = m_window->openTarget(*target, text, true);
            QTRY_VERIFY_WITH_TIMEOUT(view->target().postgres(), 10000);
        }
        m_window->close();
        m_window.reset();
        QSettings settings;
        settings.sync();
        QFile file(settings.fileName());
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(settings.fileName()));
        const QByteArray stored = file.readAll();
        QVERIFY2(stored.contains(QByteArray("port=" + info->value("port").toUtf8())), stored.constData()); // the targets were kept
        QVERIFY2(!stored.contains("bench-secret"), stored.constData());
        settings.remove(QStringLiteral("targets"));
        m_window = std::make_unique<MainWindow>(options()); // for cleanup()
    }

    // A target given for this run only (`poolscope "host=…"`), closed with Ctrl+W, leaves the
    // saved targets alone; a remembered one closed is forgotten, and the last one forgotten
    // leaves no "targets" key rather than an @Invalid() list.
    void closingATargetKeepsTheSavedOnes()
    {
        const QStringList saved{QStringLiteral("host=db1.example port=5432 dbname=postgres"),
                                QStringLiteral("host=db2.example port=6432 dbname=pgbouncer")};
        m_window.reset();
        QSettings().setValue(QStringLiteral("targets"), saved);
        m_window = std::make_unique<MainWindow>(options()); // restoreTargets off: as with targets given
        m_window->show();
        const auto closeCurrent = [this] {
            QAction *close = nullptr;
            for (QAction *action : m_window->findChildren<QAction *>()) {
                if (action->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_W))
                    close = action;
            }
            QVERIFY(close);
            close->trigger();
        };
        QString error;
        const QString once = QStringLiteral("host=127.0.0.1 port=1 connect_timeout=1 dbname=postgres");
        m_window->openTarget(*ConnInfo::parse(once, &error), once, false);
        closeCurrent();
        QCOMPARE(QSettings().value(QStringLiteral("targets")).toStringList(), saved);

        const QString kept = QStringLiteral("host=127.0.0.1 port=2 connect_timeout=1 dbname=postgres");
        m_window->openTarget(*ConnInfo::parse(kept, &error), kept, true);
        const QStringList withKept = QSettings().value(QStringLiteral("targets")).toStringList();
        QCOMPARE(withKept.size(), 3);
        QCOMPARE(withKept.mid(0, 2), saved);
        QVERIFY(withKept.last().contains(u"port=2"));
        closeCurrent();
        QCOMPARE(QSettings().value(QStringLiteral("targets")).toStringList(), saved);
        m_window->close();
        m_window.reset();
        QCOMPARE(QSettings().value(QStringLiteral("targets")).toStringList(), saved); // quitting changes nothing

        QSettings().setValue(QStringLiteral("targets"), QStringList{kept});
        WindowOptions restoring = options();
        restoring.restoreTargets = true;
        m_window = std::make_unique<MainWindow>(restoring);
        QCOMPARE(m_window->findChild<QListWidget *>()->count(), 1);
        closeCurrent();
        QSettings settings;
        QVERIFY(!settings.contains(QStringLiteral("targets")));
        settings.sync();
        QFile file(settings.fileName());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY2(!file.readAll().contains("@Invalid"), qPrintable(settings.fileName()));
    }

    void limitsEditorChangesAndVerifies()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        TargetView *view = open(POOLSCOPE_TEST_BOUNCER);
        QTRY_VERIFY_WITH_TIMEOUT(view->target().bouncer() != nullptr, 10000);
        view->tabs()->setCurrentWidget(view->limits());
        auto *table = view->limits()->findChild<QTableWidget *>(QStringLiteral("limitsTable"));
        auto *value = view->limits()->findChild<QLineEdit *>(QStringLiteral("settingValue"));
        auto *apply = view->limits()->findChild<QPushButton *>(QStringLiteral("applySetting"));
        auto *outcome = view->limits()->findChild<QLabel *>(QStringLiteral("limitsOutcome"));
        const auto rowOf = [&](const QString &key) {
            for (int r = 0; r < table->rowCount(); ++r) {
                if (table->item(r, 0) && table->item(r, 0)->text() == key)
                    return r;
            }
            return -1;
        };
        QTRY_VERIFY(rowOf(QStringLiteral("server_check_delay")) >= 0);
        // A setting PgBouncer changes at run time: applied, read back, and audited.
        const int row = rowOf(QStringLiteral("server_check_delay"));
        const QString before = table->item(row, 1)->text();
        QCOMPARE(table->item(row, 3)->text(), QStringLiteral("yes"));
        table->setCurrentCell(row, 0);
        QCOMPARE(value->text(), before);
        value->setText(QStringLiteral("31"));
        applyNextChange();
        apply->click();
        QTRY_VERIFY_WITH_TIMEOUT(outcome->text().startsWith(u"SET server_check_delay = '31' → done"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(table->item(rowOf(QStringLiteral("server_check_delay")), 1)->text(), QStringLiteral("31"), 10000);
        // Out of the int PgBouncer keeps it in (it would wrap to 1,215,752,191 and answer SET):
        // refused with the range before any confirmation or SET.
        const int sizeRow = rowOf(QStringLiteral("default_pool_size"));
        const QString size = table->item(sizeRow, 1)->text();
        table->setCurrentCell(sizeRow, 0);
        value->setText(QStringLiteral("99999999999"));
        apply->click(); // no confirmation is answered: none may open
        QVERIFY2(outcome->text().contains(u"from 0 to 2147483647"), qPrintable(outcome->text()));
        QVERIFY(!QApplication::activeModalWidget());
        QTest::qWait(700); // a sample or two
        QCOMPARE(table->item(rowOf(QStringLiteral("default_pool_size")), 1)->text(), size);
        // One it cannot: said so, not pretended.
        table->setCurrentCell(rowOf(QStringLiteral("listen_port")), 0);
        QCOMPARE(table->item(rowOf(QStringLiteral("listen_port")), 3)->text(), QStringLiteral("restart needed"));
        value->setText(QStringLiteral("7777"));
        applyNextChange();
        apply->click();
        QTRY_VERIFY_WITH_TIMEOUT(outcome->text().contains(u"not_changeable"), 10000);
        // Put the bench back as it was.
        table->setCurrentCell(rowOf(QStringLiteral("server_check_delay")), 0);
        value->setText(before);
        applyNextChange();
        apply->click();
        QTRY_COMPARE_WITH_TIMEOUT(table->item(rowOf(QStringLiteral("server_check_delay")), 1)->text(), before, 10000);
        QFile audit(options().auditLogPath);
        QVERIFY(audit.open(QIODevice::ReadOnly));
        QVERIFY(audit.readAll().contains("\"key\":\"server_check_delay\""));
    }

    void bouncerClientLinkedToItsLeakedBackend()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        // The leak signature: a client active in PgBouncer whose backend sits in an aborted
        // transaction on PostgreSQL. Only both layers together show it.
        ClientSession client(POOLSCOPE_TEST_BOUNCER_APP, "leaky-through-bouncer");
        QVERIFY2(client.ok(), qPrintable(client.error()));
        QVERIFY(client.exec(QStringLiteral("BEGIN")));
        QVERIFY(!client.exec(QString::fromLatin1(kLeakingQuery)));
        open(POOLSCOPE_TEST_PG);
        TargetView *bouncer = open(POOLSCOPE_TEST_BOUNCER);
        QAbstractItemModel *pools = bouncer->pools()->view()->model();
        QTRY_VERIFY_WITH_TIMEOUT(findRow(pools, QStringLiteral("server → backend pid")).data().toString().contains(
                                     u"idle in transaction (aborted)"),
                                 15000);
        QTRY_VERIFY_WITH_TIMEOUT(findRow(pools, QStringLiteral("client 127.0.0.1:")).data().toString().contains(u"leaked"), 15000);
        const QModelIndex leakedClient = findRow(pools, QStringLiteral("client 127.0.0.1:"));
        QVERIFY(leakedClient.data().toString().contains(u"holds backend pid"));
        QVERIFY(leakedClient.data(Qt::BackgroundRole).isValid());
        QVERIFY2(leakedClient.data(Qt::ToolTipRole).toString().contains(u"idle in transaction (aborted)"),
                 qPrintable(leakedClient.data(Qt::ToolTipRole).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(bouncer->overview()->healthText().contains(u"hold servers whose PostgreSQL backends are leaked"), 10000);
        saveScreenshot(m_window.get(), QStringLiteral("pgbouncer-linked"), m_dir);
        QVERIFY(client.exec(QStringLiteral("ROLLBACK")));
    }

    void darkPaletteIsFollowed()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        const QPalette light = QApplication::palette();
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        dark.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
        dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
        dark.setColor(QPalette::Button, QColor(0x3a, 0x3a, 0x3a));
        dark.setColor(QPalette::ButtonText, QColor(0xe0, 0xe0, 0xe0));
        dark.setColor(QPalette::Highlight, QColor(0x2a, 0x82, 0xda));
        QApplication::setPalette(dark);
        TargetView *view = open(POOLSCOPE_TEST_PG);
        QTRY_VERIFY_WITH_TIMEOUT(view->charts()->lastPointCount() >= 3, 10000);
        const QImage chart = view->charts()->charts().first()->grab().toImage();
        const QColor background = chart.pixelColor(chart.width() / 2, 4);
        saveScreenshot(m_window.get(), QStringLiteral("dark"), m_dir);
        QApplication::setPalette(light);
        QVERIFY2(background.lightness() < 80, qPrintable(background.name())); // the chart follows the palette
    }

    void hungServerNeverFreezesTheWindow()
    {
        // A listener that accepts and never answers: libpq waits for connect_timeout.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        const QString conninfo = QStringLiteral("host=127.0.0.1 port=%1 dbname=x user=x connect_timeout=2").arg(silent.serverPort());
        QElapsedTimer clock;
        qint64 last = 0, longestStall = 0;
        QTimer heartbeat;
        heartbeat.setInterval(10);
        connect(&heartbeat, &QTimer::timeout, this, [&] {
            longestStall = std::max(longestStall, clock.elapsed() - last);
            last = clock.elapsed();
        });
        clock.start();
        heartbeat.start();
        TargetView *view = open(conninfo);
        QTRY_VERIFY_WITH_TIMEOUT(view->target().status().state == SamplerStatus::State::Reconnecting
                                     || view->target().status().state == SamplerStatus::State::Failing,
                                 15000);
        QTest::qWait(500);
        heartbeat.stop();
        qInfo("longest stall of the window's event loop while the server hung: %lld ms", longestStall);
        QVERIFY2(view->overview()->statusText().contains(u"attempt"), qPrintable(view->overview()->statusText()));
        QVERIFY2(longestStall < 1000, "the GUI thread waited on the network");
        saveScreenshot(m_window.get(), QStringLiteral("unreachable"), m_dir);
    }
};

QTEST_MAIN(TestLiveGui)
#include "tst_livegui.moc"
