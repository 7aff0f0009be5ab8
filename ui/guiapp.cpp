#include "guiapp.h"

#include "actions.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include <cstdio>

namespace poolscope::ui {

int runGui(int argc, char **argv)
{
    // Qt would abort without a display; over SSH the command line is the way in.
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        std::fprintf(stderr, "poolscope: no display to open the window on (DISPLAY is not set).\n"
                             "Over SSH, use the command line: poolscope snapshot CONNINFO, poolscope watch CONNINFO "
                             "(poolscope help lists every verb).\n");
        return 2;
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("poolscope"));
    QApplication::setOrganizationName(QStringLiteral("PoolScope"));
    QApplication::setApplicationDisplayName(QStringLiteral("PoolScope"));
    QApplication::setApplicationVersion(QStringLiteral(POOLSCOPE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("poolscope"));

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
    parser.addOption({QStringLiteral("interval"), QStringLiteral("Seconds between samples [1]."), QStringLiteral("seconds"),
                      QStringLiteral("1")});
    parser.process(app);

    WindowOptions options;
    options.forceReadOnly = parser.isSet(QStringLiteral("read-only"));
    options.auditLogPath = parser.value(QStringLiteral("audit-log"));
    bool ok = false;
    const double interval = parser.value(QStringLiteral("interval")).toDouble(&ok);
    if (!ok || interval * 1000 < double(SamplerOptions::kMinInterval.count())
        || interval * 1000 > double(SamplerOptions::kMaxInterval.count())) {
        std::fprintf(stderr, "poolscope: --interval must be between 0.1 and 60 seconds\n");
        return 2;
    }
    options.sampler.interval = std::chrono::milliseconds(qint64(interval * 1000));

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
    options.restoreTargets = targets.isEmpty();

    MainWindow window(options);
    for (const auto &[info, text] : std::as_const(targets))
        window.openTarget(info, text, false);
    window.selectTarget(0); // the first one named, as the user listed them
    window.show();
    return app.exec();
}

} // namespace poolscope::ui
