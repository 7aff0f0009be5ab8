#include "guiapp.h"

#include "actions/actions.h"
#include "demopanel.h"
#include "demoscenarios.h"
#include "demosession.h"
#include "mainwindow.h"
#include "model/duration.h"
#include "sampling/terminationrequest.h"
#include "sampling/workerthreads.h"
#include "replaywindow.h"
#include "targetview.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QIcon>
#include <QMessageBox>
#include <QScreen>

#include <cstdio>
#include <memory>

namespace poolscope::ui {

// The demo's panel docked at the window's right; its servers become targets once they run.
void startDemo(MainWindow &window, DemoSession &session, const QString &scenario)
{
    auto *dock = new QDockWidget(QObject::tr("Demo"), &window);
    dock->setObjectName(QStringLiteral("demoDock"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    auto *panel = new DemoPanel(session, scenario, dock);
    dock->setWidget(panel);
    dock->setMinimumWidth(340);
    window.addDockWidget(Qt::RightDockWidgetArea, dock);
    // Room for the panel beside the charts, on a presenter's screen as large as it allows.
    if (const QScreen *screen = window.screen()) {
        const QSize room = screen->availableGeometry().size();
        window.resize(qMin(room.width(), 1680), qMin(room.height(), 1000));
    }
    QObject::connect(&session, &DemoSession::ready, &window, [&window](const QString &postgres, const QString &pgbouncer) {
        QString error;
        for (const QString &text : {pgbouncer, postgres}) { // PostgreSQL last: it ends up selected
            if (const auto info = ConnInfo::parse(text, &error))
                window.openTarget(*info, text, false);
        }
        std::fprintf(stderr, "poolscope: demo running: PostgreSQL %s, PgBouncer %s (both removed when PoolScope exits)\n",
                     qPrintable(postgres), qPrintable(pgbouncer));
    });
    QObject::connect(&session, &DemoSession::failed, &window, [](const QString &error) {
        std::fprintf(stderr, "poolscope: the demo is not running: %s\n", qPrintable(error));
    });
    session.start(scenario);
}

int runGui(int argc, char **argv)
{
    // Qt would abort without a display; over SSH the command line is the way in.
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        std::fprintf(stderr, "poolscope: no display to open the window on (DISPLAY is not set).\n"
                             "Over SSH, use the command line: poolscope snapshot CONNINFO, poolscope watch CONNINFO "
                             "(poolscope help lists every verb).\n"
                             "The demo without a window: poolscope-workload --demo --scenario leak prints its "
                             "servers' conninfo for poolscope watch.\n");
        return 2;
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("poolscope"));
    QApplication::setOrganizationName(QStringLiteral("PoolScope"));
    QApplication::setApplicationDisplayName(QStringLiteral("PoolScope"));
    QApplication::setApplicationVersion(QStringLiteral(POOLSCOPE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("org.poolscope.PoolScope"));
    QIcon icon;
    for (int size : {16, 24, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/icons/hicolor/%1x%1/apps/poolscope.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Open the PoolScope window on the given targets (libpq connection strings or URIs of PostgreSQL "
        "servers or PgBouncer admin consoles). Without targets, the targets of the last run reopen. "
        "Run `poolscope help` for the command line."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("CONNINFO"), QStringLiteral("Targets to open."), QStringLiteral("[CONNINFO…]"));
    parser.addOption({QStringLiteral("read-only"), QStringLiteral("Hide every action; cannot be switched off in the window.")});
    parser.addOption({QStringLiteral("audit-log"), QStringLiteral("Audit log file [%1].").arg(AuditLog::defaultPath()),
                      QStringLiteral("file"), AuditLog::defaultPath()});
    parser.addOption({QStringLiteral("interval"), QStringLiteral("Time between samples, 0.1s to 60s [1s]."),
                      QStringLiteral("duration"), QStringLiteral("1s")});
    parser.addOption({QStringLiteral("server-budget"),
                      QStringLiteral("Keep the interval while one read costs the server at most this % of it; beyond, "
                                     "sample less often and say why. 0 or off keeps the interval [2, or the one set "
                                     "in View > Server budget]."),
                      QStringLiteral("percent")});
    parser.addOption({QStringLiteral("demo"), QStringLiteral("Start a throwaway PostgreSQL and PgBouncer with a web shop "
                                                             "misbehaving on demand, and open both (removed on exit).")});
    QStringList scenarioNames;
    for (const DemoScenario &scenario : demoScenarios())
        scenarioNames.append(scenario.name);
    parser.addOption({QStringLiteral("scenario"), QStringLiteral("With --demo, the scenario to start in: %1 [leak].")
                                                      .arg(scenarioNames.join(QStringLiteral(", "))),
                      QStringLiteral("name"), QStringLiteral("leak")});
    parser.addOption({QStringLiteral("replay"), QStringLiteral("Open a recording to replay it, instead of live targets."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("fleet"),
                      QStringLiteral("Start on the fleet overview: every target in one table, worst first.")});
    parser.process(app);
    // Logout, systemctl stop or kill: closed as Ctrl+Q closes it (settings saved, recordings
    // ended, connections closed), not killed mid-write.
    onTerminationRequest([] {
        for (QWidget *top : QApplication::topLevelWidgets())
            top->close();
        QApplication::quit();
    });
    if (parser.isSet(QStringLiteral("replay"))) {
        if (!ReplayWindow::open(parser.value(QStringLiteral("replay")), nullptr))
            return 1;
        return workerthreads::finishProcess(app.exec());
    }

    WindowOptions options;
    options.forceReadOnly = parser.isSet(QStringLiteral("read-only"));
    options.auditLogPath = parser.value(QStringLiteral("audit-log"));
    // The command line's duration reader: "1s", "500ms", or a bare number of seconds.
    const std::optional<std::chrono::milliseconds> interval = parseDuration(parser.value(QStringLiteral("interval")));
    if (!interval || *interval < SamplerOptions::kMinInterval || *interval > SamplerOptions::kMaxInterval) {
        std::fprintf(stderr, "poolscope: --interval must be between 0.1 and 60 seconds\n");
        return 2;
    }
    options.sampler.interval = *interval;
    if (parser.isSet(QStringLiteral("server-budget"))) {
        const std::optional<double> budget = parseServerBudget(parser.value(QStringLiteral("server-budget")));
        if (!budget) {
            std::fprintf(stderr, "poolscope: --server-budget takes a percentage from 0 to 100, or off\n");
            return 2;
        }
        options.sampler.serverBudgetPercent = *budget;
        options.serverBudgetGiven = true;
    }

    QList<std::pair<ConnInfo, QString>> targets;
    for (const QString &text : parser.positionalArguments()) {
        QString error;
        const auto info = ConnInfo::parse(text, &error);
        if (!info) {
            std::fprintf(stderr, "poolscope: not a connection string: %s\n", qPrintable(error));
            return 2;
        }
        targets.append({*info, text});
    }
    const bool demo = parser.isSet(QStringLiteral("demo"));
    const QString scenario = parser.value(QStringLiteral("scenario"));
    if (demo && !demoScenario(scenario)) {
        std::fprintf(stderr, "poolscope: unknown scenario '%s' (one of %s)\n", qPrintable(scenario),
                     qPrintable(scenarioNames.join(QStringLiteral(", "))));
        return 2;
    }
    options.restoreTargets = targets.isEmpty() && !demo;

    auto window = std::make_unique<MainWindow>(options);
    for (const auto &[info, text] : std::as_const(targets))
        window->openTarget(info, text, false);
    window->selectTarget(0); // the first one named, as the user listed them
    if (parser.isSet(QStringLiteral("fleet")))
        window->showFleet();
    std::unique_ptr<DemoSession> session;
    if (demo) {
        session = std::make_unique<DemoSession>();
        startDemo(*window, *session, scenario);
    }
    window->show();
    const int code = app.exec();
    // The window first: its samplers close their connections (on their own threads, waited for
    // a moment) while the demo's servers still answer, then the demo's host removes the servers.
    window.reset();
    if (session && session->isRunning()) {
        workerthreads::waitForAll(std::chrono::milliseconds(1000));
        std::fprintf(stderr, "poolscope: stopping the demo's PostgreSQL and PgBouncer…\n");
        session->stop();
    }
    // The samplers' and writers' threads finish while the application still delivers their events.
    return workerthreads::finishProcess(code);
}

} // namespace poolscope::ui
