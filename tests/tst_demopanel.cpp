// The demo in the window, drawn offscreen: the panel starts the real demo host, its servers
// become targets, the presenter's controls reach the shop, and closing ends it all.
#include "demopanel.h"
#include "demosession.h"
#include "guiapp.h"
#include "mainwindow.h"
#include "targetcontroller.h"
#include "targetview.h"
#include "screenshots.h"
#include "testsupport.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QToolButton>

using namespace poolscope;
using namespace poolscope::ui;

class TestDemoPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8()); // not the user's settings
    }

    void panelDrivesTheDemo()
    {
        WindowOptions options;
        options.restoreTargets = false;
        options.auditLogPath = m_dir.filePath(QStringLiteral("audit.log"));
        auto window = std::make_unique<MainWindow>(options);
        DemoSession session;
        session.setHostProgram(QFileInfo(qEnvironmentVariable("POOLSCOPE_BINARY")).absolutePath()
                               + QStringLiteral("/poolscope-workload"));
        QVERIFY2(QFileInfo(session.hostProgram()).isExecutable(), qPrintable(session.hostProgram()));
        QString directory;
        QJsonObject status;
        connect(&session, &DemoSession::ready, this, [&](const QString &postgres) {
            directory = QRegularExpression(QStringLiteral("passfile=(\\S+)/pgpass")).match(postgres).captured(1);
        });
        connect(&session, &DemoSession::status, this, [&](const QJsonObject &latest) { status = latest; });
        QString failure;
        connect(&session, &DemoSession::failed, this, [&](const QString &error) { failure = error; });
        startDemo(*window, session, QStringLiteral("leak"));
        window->show();
        auto *panel = window->findChild<DemoPanel *>();
        QVERIFY(panel);
        QVERIFY(panel->narrativeVisible());

        // Both servers open as targets, PostgreSQL selected, and the leak shows in its snapshots.
        QTRY_VERIFY2_WITH_TIMEOUT(window->targetViews().size() == 2 || !failure.isEmpty(), qPrintable(failure), 90000);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QVERIFY(!directory.isEmpty() && QFileInfo::exists(directory));
        TargetView *postgres = window->currentView();
        QVERIFY(postgres);
        QTRY_VERIFY_WITH_TIMEOUT(postgres->target().postgres() && postgres->target().postgres()->totals.leaked > 0, 30000);
        QCOMPARE(status.value(QStringLiteral("scenario")).toString(), QStringLiteral("leak"));

        // The presenter's controls reach the shop; the narrative follows the scenario.
        panel->chooseScenario(QStringLiteral("flood"));
        QTRY_COMPARE_WITH_TIMEOUT(status.value(QStringLiteral("scenario")).toString(), QStringLiteral("flood"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(status.value(QStringLiteral("bouncerPoolSize")).toInt(), 150, 5000);
        auto *dismiss = panel->findChild<QToolButton *>(QStringLiteral("dismissNarrative"));
        QVERIFY(dismiss);
        dismiss->click();
        QVERIFY(!panel->narrativeVisible());
        QTRY_VERIFY_WITH_TIMEOUT(status.value(QStringLiteral("refused")).toDouble() > 0, 30000);
        saveScreenshot(window.get(), QStringLiteral("demo-flood"), m_dir);
        panel->applyFix();
        QTRY_VERIFY_WITH_TIMEOUT(status.value(QStringLiteral("fixed")).toBool(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(status.value(QStringLiteral("bouncerPoolSize")).toInt(), 20, 5000);
        panel->chooseScenario(QStringLiteral("locks"));
        QVERIFY(panel->narrativeVisible()); // a new scenario explains itself again
        panel->setRate(25);
        QTRY_COMPARE_WITH_TIMEOUT(status.value(QStringLiteral("rate")).toDouble(), 25.0, 5000);
        panel->reset();
        QTRY_COMPARE_WITH_TIMEOUT(status.value(QStringLiteral("scenario")).toString(), QStringLiteral("healthy"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(status.value(QStringLiteral("rate")).toDouble(), 10.0, 5000);

        // Stopping the session (what closing the window does) removes the servers.
        session.stop();
        QVERIFY(!session.isRunning());
        QVERIFY2(!QFileInfo::exists(directory), qPrintable(directory));
        QVERIFY(failure.isEmpty());
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestDemoPanel)
#include "tst_demopanel.moc"
