#include "clicommon.h"
#include "commands.h"
#include "chartexport.h"
#include "guiapp.h"
#include "postgres/conninfo.h"
#include "sampling/workerthreads.h"

#include <QApplication>

#include <memory>
#include <vector>

#include <libpq-fe.h>

using namespace poolscope::cli;

namespace {

const char kUsage[] =
    "Usage: poolscope [CONNINFO…] [--read-only]   open the window on these targets\n"
    "       poolscope --demo [--scenario NAME]     the window on a throwaway server with a misbehaving shop\n"
    "       poolscope --replay FILE               the window on a recording (poolscope record, or the window)\n"
    "       poolscope VERB [options]              the command line, for SSH sessions and scripts\n"
    "\n"
    "Inspect PostgreSQL connection pools: every session as active, waiting, idle, idle in\n"
    "transaction or leaked, grouped by owner with the stack that checked it out.\n"
    "\n"
    "Reading:\n"
    "  snapshot CONNINFO        one snapshot as tables, or --json\n"
    "  watch CONNINFO           sample continuously over one connection (Ctrl-C stops)\n"
    "  record CONNINFO… -o FILE record samples, alerts and actions to one file [--duration D]\n"
    "  report FILE [-o OUT.md]  the incident timeline of a recording, in Markdown, with a chart\n"
    "  diagnose CONNINFO…       watch a while [--for 10s], then name what is wrong, why, and what to do\n"
    "  advise CONNINFO…         watch a while [--for 60s], then recommend pool sizes that fit the slots\n"
    "Acting (each asks first, or needs --yes; every action goes to the audit log):\n"
    "  terminate CONNINFO --pid N [--pid M …]   end sessions (pg_terminate_backend)\n"
    "  cancel CONNINFO --pid N [--pid M …]      cancel running queries\n"
    "  limit CONNINFO --role R|--database D N   set a CONNECTION LIMIT (-1: none)\n"
    "  limit CONNINFO --role R|--database D --idle-in-transaction-timeout 60s\n"
    "PgBouncer admin console (snapshot and watch read it too; --postgres links its clients):\n"
    "  set CONNINFO key=value   change a setting and report what it really is afterwards\n"
    "  pause|resume|reconnect|disable|enable|reload CONNINFO [DATABASE]\n"
    "  kill CONNINFO DATABASE | kill CONNINFO --client ID [--postgres CONNINFO]\n"
    "\n"
    "  poolscope VERB --help    options of a verb\n"
    "  poolscope --version\n"
    "\n"
    "Exit codes: 0 ok, 1 failed, 2 usage, 3 connection, 4 privilege, 5 declined.\n";

bool isCommandLineVerb(const char *argument)
{
    static const char *const verbs[] = {"snapshot", "watch",  "record", "report", "diagnose", "advise", "terminate", "cancel", "limit",  "set", "pause",
                                        "resume",   "reconnect", "disable", "enable", "kill", "reload", "help",
                                        "--version", "-v",    "--help",    "-h"};
    for (const char *verb : verbs) {
        if (qstrcmp(argument, verb) == 0)
            return true;
    }
    return false;
}

// The window takes connection strings, URIs and options; a bare word is a mistyped verb
// (libpq accepts no conninfo without "=").
bool looksLikeWindowArgument(const char *argument)
{
    const QByteArray text(argument);
    return text.startsWith('-') || text.contains('=') || text.startsWith("postgres://") || text.startsWith("postgresql://");
}

// What the offscreen platform says about itself is not news to someone reading a report.
void quietOffscreen(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (message.contains(QLatin1String("propagateSizeHints")) || message.startsWith(QLatin1String("QStandardPaths:")))
        return;
    static const QtMessageHandler previous = qInstallMessageHandler(nullptr);
    if (previous)
        previous(type, context, message);
}

int runVerb();

} // namespace

// The process keeps the arguments as given; what `ps` shows of them gets its passwords masked.
char **keepArguments(int argc, char **argv)
{
    static std::vector<QByteArray> kept;
    static std::vector<char *> pointers;
    kept.assign(argv, argv + argc);
    for (QByteArray &argument : kept)
        pointers.push_back(argument.data());
    pointers.push_back(nullptr);
    poolscope::hidePasswordsInArguments(argc, argv);
    return pointers.data();
}

int main(int argc, char **argv)
{
    // A password in a connection string is readable by every user in `ps` (from
    // /proc/PID/cmdline) while PoolScope runs: the process works on a copy, and masks the
    // original, at once. (Before this line runs it can be seen: ~/.pgpass or PGPASSWORD keep
    // it out of the command line altogether.)
    argv = keepArguments(argc, argv);
    // No verb: the window. The command line never loads a display connection, so it works
    // over SSH without X.
    if (argc < 2 || (!isCommandLineVerb(argv[1]) && looksLikeWindowArgument(argv[1])))
        return poolscope::ui::runGui(argc, argv);

    // The report draws its chart with the window's own chart code, offscreen: it needs a
    // QApplication but never a display.
    std::unique_ptr<QCoreApplication> app;
    if (qstrcmp(argv[1], "report") == 0) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        qInstallMessageHandler(quietOffscreen);
        app = std::make_unique<QApplication>(argc, argv);
    } else {
        app = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication::setApplicationName(QStringLiteral("poolscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(POOLSCOPE_VERSION));
    const int exitCode = runVerb();
    // The threads that sample or write close their connections and files once told to: waited
    // for a moment, while the application object that delivers their events still exists.
    out().flush();
    err().flush();
    return poolscope::workerthreads::finishProcess(exitCode);
}

namespace {

int runVerb()
{
    QStringList arguments = QCoreApplication::arguments();
    const QString verb = arguments.value(1);
    if (verb == QLatin1String("--version") || verb == QLatin1String("-v")) {
        out() << "poolscope " << POOLSCOPE_VERSION << " (libpq " << PQlibVersion() / 10000 << '.'
              << PQlibVersion() % 10000 << ")\n";
        return ExitOk;
    }
    if (verb == QLatin1String("--help") || verb == QLatin1String("-h") || verb == QLatin1String("help")) {
        out() << kUsage;
        return ExitOk;
    }
    // The verb's own parser sees "poolscope VERB" as its program name.
    QStringList verbArguments = arguments.mid(2);
    verbArguments.prepend(arguments.value(0) + u' ' + verb);
    if (verb == QLatin1String("snapshot"))
        return runSnapshot(verbArguments);
    if (verb == QLatin1String("watch"))
        return runWatch(verbArguments);
    if (verb == QLatin1String("record"))
        return runRecord(verbArguments);
    if (verb == QLatin1String("diagnose"))
        return runDiagnose(verbArguments);
    if (verb == QLatin1String("advise"))
        return runAdvise(verbArguments);
    if (verb == QLatin1String("report"))
        return runReport(verbArguments, [](const poolscope::Recording &recording, const QString &path) {
            return poolscope::ui::writeRecordingCharts(recording, path);
        });
    if (verb == QLatin1String("terminate"))
        return runSignal(verbArguments, true);
    if (verb == QLatin1String("cancel"))
        return runSignal(verbArguments, false);
    if (verb == QLatin1String("limit"))
        return runLimit(verbArguments);
    if (verb == QLatin1String("set"))
        return runBouncerSet(verbArguments);
    for (const char *command : {"pause", "resume", "reconnect", "disable", "enable", "kill", "reload"}) {
        if (verb == QLatin1String(command))
            return runBouncerCommand(verbArguments, verb);
    }
    err() << (verb.isEmpty() ? QStringLiteral("poolscope: no verb given\n")
                             : QStringLiteral("poolscope: unknown verb '%1'\n").arg(verb))
          << kUsage;
    return ExitUsage;
}

} // namespace
