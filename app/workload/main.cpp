// poolscope-workload: the demo's web shop, as a process of its own; with --demo it also
// starts and owns the throwaway cluster the shop runs on.
#include "demodirector.h"
#include "shop.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>

#include <sys/stat.h>
#include <unistd.h>

using namespace poolscope::workload;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void printJson(const QJsonObject &object)
{
    std::printf("%s\n", QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

// Standard input is the parent's lifeline when it is a pipe or socket (PoolScope's window
// starts us that way): its end means the parent is gone, killed or not, and the demo must
// clean up. A terminal's end (Ctrl-D) ends the demo too; /dev/null or a file does not.
bool inputEndMeansStop()
{
    struct stat info{};
    if (::fstat(STDIN_FILENO, &info) != 0)
        return false;
    return S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode) || ::isatty(STDIN_FILENO);
}

int runDemo(QCoreApplication &app, Scenario scenario, double rate, int duration)
{
    DemoCluster cluster;
    QString error;
    const bool started = cluster.start(&error, [](const QString &step) {
        printJson({{QStringLiteral("event"), QStringLiteral("progress")}, {QStringLiteral("text"), step}});
    });
    if (!started) {
        printJson({{QStringLiteral("event"), QStringLiteral("error")}, {QStringLiteral("text"), error}});
        std::fprintf(stderr, "poolscope-workload: the demo cluster did not start: %s\n", qPrintable(error));
        return 3;
    }
    DemoDirector director(cluster);
    if (!director.start(scenario, &error)) {
        printJson({{QStringLiteral("event"), QStringLiteral("error")}, {QStringLiteral("text"), error}});
        std::fprintf(stderr, "poolscope-workload: the shop did not start: %s\n", qPrintable(error));
        return 3;
    }
    director.setRate(rate);
    printJson({{QStringLiteral("event"), QStringLiteral("ready")},
               {QStringLiteral("postgres"), cluster.postgresConninfo()},
               {QStringLiteral("pgbouncer"), cluster.bouncerConsoleConninfo()},
               {QStringLiteral("shop"), cluster.shopConninfo()},
               {QStringLiteral("directory"), cluster.directory()}});

    const bool lifeline = inputEndMeansStop();
    QByteArray pending;
    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, [&] {
        char buffer[4096];
        const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (got <= 0) {
            input.setEnabled(false);
            if (lifeline)
                app.quit();
            return;
        }
        pending.append(buffer, got);
        for (qsizetype end; (end = pending.indexOf('\n')) >= 0; pending.remove(0, end + 1)) {
            const QString command = QString::fromUtf8(pending.left(end)).trimmed();
            if (command.isEmpty())
                continue;
            QString problem;
            const bool ok = director.execute(command, &problem);
            printJson({{QStringLiteral("event"), ok ? QStringLiteral("done") : QStringLiteral("error")},
                       {QStringLiteral("command"), command}, {QStringLiteral("text"), problem}});
        }
    });
    QTimer tick;
    int tenths = 0;
    QObject::connect(&tick, &QTimer::timeout, [&] {
        if (g_interrupted || (duration > 0 && tenths >= duration * 10))
            app.quit();
        if (++tenths % 10 == 0)
            printJson(director.status());
    });
    tick.start(100);
    app.exec();
    printJson({{QStringLiteral("event"), QStringLiteral("stopping")}});
    director.stop();
    cluster.stop();
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("poolscope-workload"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A small web shop (catalog, orders, billing) with a connection pool per service, for PoolScope's "
        "demo: every query carries its service, route and the stack that checked the connection out.\n"
        "With --demo it starts its own throwaway PostgreSQL and PgBouncer, prints their conninfo as a JSON "
        "line, reports its counters every second, and takes commands on standard input (scenario NAME, "
        "fix, rate R, reset). It stops and removes everything when interrupted or when its input ends."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CONNINFO"), QStringLiteral("The shop's database (PostgreSQL or PgBouncer); not with --demo."));
    parser.addOption({QStringLiteral("demo"), QStringLiteral("Run on a throwaway cluster of our own.")});
    parser.addOption({QStringLiteral("scenario"), QStringLiteral("%1 [healthy].").arg(scenarioNames().join(QStringLiteral(", "))),
                      QStringLiteral("name"), QStringLiteral("healthy")});
    parser.addOption({QStringLiteral("pool-size"), QStringLiteral("Connections per service pool [5]."), QStringLiteral("n"), QStringLiteral("5")});
    parser.addOption({QStringLiteral("rate"), QStringLiteral("Requests per second per service [10]."), QStringLiteral("r"), QStringLiteral("10")});
    parser.addOption({QStringLiteral("duration"), QStringLiteral("Seconds to run; 0 until interrupted [0]."), QStringLiteral("s"), QStringLiteral("0")});
    parser.process(app);
    const auto scenario = scenarioFromName(parser.value(QStringLiteral("scenario")));
    if (!scenario) {
        std::fprintf(stderr, "poolscope-workload: unknown scenario '%s' (one of %s)\n", qPrintable(parser.value(QStringLiteral("scenario"))),
                     qPrintable(scenarioNames().join(QStringLiteral(", "))));
        return 2;
    }
    const double rate = qBound(0.1, parser.value(QStringLiteral("rate")).toDouble(), 200.0);
    const int duration = parser.value(QStringLiteral("duration")).toInt();
    for (int signal : {SIGINT, SIGTERM, SIGHUP})
        std::signal(signal, [](int) { g_interrupted = 1; });
    // When the window that started us is killed, our reports go nowhere: that must not kill
    // us before we have removed the cluster.
    std::signal(SIGPIPE, SIG_IGN);
    if (parser.isSet(QStringLiteral("demo"))) {
        if (!parser.positionalArguments().isEmpty()) {
            std::fprintf(stderr, "poolscope-workload: --demo brings its own database; give no CONNINFO\n");
            return 2;
        }
        return runDemo(app, *scenario, rate, duration);
    }
    if (parser.positionalArguments().size() != 1) {
        std::fprintf(stderr, "poolscope-workload: give one CONNINFO, or --demo\n");
        return 2;
    }
    ShopOptions options;
    options.conninfo = parser.positionalArguments().first().toUtf8();
    options.poolSize = qMax(1, parser.value(QStringLiteral("pool-size")).toInt());
    options.requestsPerSecond = rate;
    options.scenario = *scenario;
    QString error;
    if (!Shop::prepare(options.conninfo, &error)) {
        std::fprintf(stderr, "poolscope-workload: cannot set up the shop's tables: %s\n", qPrintable(error));
        return 3;
    }
    Shop shop(options);
    shop.start();
    QTimer report;
    int seconds = 0;
    QObject::connect(&report, &QTimer::timeout, [&] {
        ++seconds;
        const Shop::Stats stats = shop.stats();
        std::printf("%4d s  served %lld  failed %lld  refused %lld ", seconds, stats.served, stats.failed, stats.refused);
        for (int i = 0; i < stats.pools.size(); ++i)
            std::printf(" %s %d/%d in use", qPrintable(Shop::services().value(i)), stats.pools[i].inUse, stats.pools[i].size);
        std::printf("\n");
        std::fflush(stdout);
        if (g_interrupted || (duration > 0 && seconds >= duration))
            app.quit();
    });
    report.start(1000);
    app.exec();
    shop.stop();
    return 0;
}
