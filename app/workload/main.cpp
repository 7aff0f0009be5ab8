// poolscope-workload: the demo's web shop, as a process of its own.
#include "shop.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include <csignal>
#include <cstdio>

using namespace poolscope::workload;

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("poolscope-workload"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A small web shop (catalog, orders, billing) with a connection pool per service, for PoolScope's "
        "demo: every query carries its service, route and the stack that checked the connection out."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CONNINFO"), QStringLiteral("The shop's database (PostgreSQL or PgBouncer)."));
    parser.addOption({QStringLiteral("scenario"), QStringLiteral("healthy, leak (on the checkout error path) or forgotten [healthy]."),
                      QStringLiteral("name"), QStringLiteral("healthy")});
    parser.addOption({QStringLiteral("pool-size"), QStringLiteral("Connections per service pool [5]."), QStringLiteral("n"), QStringLiteral("5")});
    parser.addOption({QStringLiteral("rate"), QStringLiteral("Requests per second per service [10]."), QStringLiteral("r"), QStringLiteral("10")});
    parser.addOption({QStringLiteral("duration"), QStringLiteral("Seconds to run; 0 until interrupted [0]."), QStringLiteral("s"), QStringLiteral("0")});
    parser.process(app);
    if (parser.positionalArguments().size() != 1) {
        std::fprintf(stderr, "poolscope-workload: give one CONNINFO\n");
        return 2;
    }
    const auto scenario = scenarioFromName(parser.value(QStringLiteral("scenario")));
    if (!scenario) {
        std::fprintf(stderr, "poolscope-workload: unknown scenario '%s'\n", qPrintable(parser.value(QStringLiteral("scenario"))));
        return 2;
    }
    ShopOptions options;
    options.conninfo = parser.positionalArguments().first().toUtf8();
    options.poolSize = qMax(1, parser.value(QStringLiteral("pool-size")).toInt());
    options.requestsPerSecond = qMax(0.1, parser.value(QStringLiteral("rate")).toDouble());
    options.scenario = *scenario;
    QString error;
    if (!Shop::prepare(options.conninfo, &error)) {
        std::fprintf(stderr, "poolscope-workload: cannot set up the shop's tables: %s\n", qPrintable(error));
        return 3;
    }
    Shop shop(options);
    shop.start();
    std::signal(SIGINT, [](int) { g_interrupted = 1; });
    std::signal(SIGTERM, [](int) { g_interrupted = 1; });
    const int duration = parser.value(QStringLiteral("duration")).toInt();
    QTimer report;
    int seconds = 0;
    QObject::connect(&report, &QTimer::timeout, [&] {
        ++seconds;
        const Shop::Stats stats = shop.stats();
        std::printf("%4d s  served %lld  failed %lld ", seconds, stats.served, stats.failed);
        const char *const names[] = {"catalog", "orders", "billing"};
        for (int i = 0; i < stats.pools.size(); ++i)
            std::printf(" %s %d/%d in use", names[i], stats.pools[i].inUse, stats.pools[i].size);
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
