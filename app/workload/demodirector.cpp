#include "demodirector.h"

#include <libpq-fe.h>

#include <QJsonArray>

namespace poolscope::workload {

DemoDirector::DemoDirector(const DemoCluster &cluster)
    : m_cluster(cluster)
    , m_bouncerPoolSize(cluster.options().bouncerPoolSize)
{
}

DemoDirector::~DemoDirector() = default;

bool DemoDirector::start(Scenario scenario, QString *error)
{
    if (!Shop::prepare(m_cluster.shopConninfo().toUtf8(), error))
        return false;
    ShopOptions options;
    // Catalog and orders go through PgBouncer; billing, like many a payment library, keeps
    // its own pool straight to PostgreSQL — where the flood's refusals land.
    options.conninfo = m_cluster.shopConninfo().toUtf8();
    options.billingConninfo = m_cluster.shopDirectConninfo().toUtf8();
    options.poolSize = kBasePoolSize;
    options.requestsPerSecond = kBaseRate;
    options.checkoutWait = std::chrono::milliseconds(2000);
    m_shop = std::make_unique<Shop>(options);
    m_shop->start();
    setScenario(scenario, error);
    return true;
}

void DemoDirector::stop()
{
    if (m_shop)
        m_shop->stop();
}

bool DemoDirector::execute(const QString &command, QString *error)
{
    const QStringList words = command.simplified().split(u' ', Qt::SkipEmptyParts);
    const QString verb = words.value(0);
    if (verb == QLatin1String("scenario") && words.size() == 2) {
        const auto scenario = scenarioFromName(words[1]);
        if (!scenario) {
            *error = QStringLiteral("unknown scenario '%1' (one of %2)").arg(words[1], scenarioNames().join(QStringLiteral(", ")));
            return false;
        }
        setScenario(*scenario, error);
        return error->isEmpty();
    }
    if (verb == QLatin1String("fix") && words.size() == 1) {
        fix(error);
        return error->isEmpty();
    }
    if (verb == QLatin1String("reset") && words.size() == 1) {
        reset(error);
        return error->isEmpty();
    }
    if (verb == QLatin1String("rate") && words.size() == 2) {
        bool ok = false;
        const double rate = words[1].toDouble(&ok);
        if (!ok || rate < 0.1 || rate > 200) {
            *error = QStringLiteral("rate must be a number of requests per second between 0.1 and 200");
            return false;
        }
        setRate(rate);
        return true;
    }
    *error = QStringLiteral("not a command: '%1' (scenario NAME, fix, rate R, reset)").arg(command.trimmed());
    return false;
}

void DemoDirector::setScenario(Scenario scenario, QString *error)
{
    QString ignored;
    QString &problem = error ? *error : ignored;
    m_scenario = scenario;
    m_fixed = false;
    if (scenario == Scenario::Flood) {
        // The misconfiguration and the surge: pools far larger than max_connections, ten
        // times the traffic, each request holding its connection for a slow search.
        setBouncerPoolSize(kFloodBouncerPoolSize, &problem);
        m_shop->setPoolSize(kFloodPoolSize);
        m_shop->setWorkers(Shop::kMaxWorkers);
        m_shop->setRequestHold(std::chrono::milliseconds(400));
        m_shop->setRate(m_rate * kFloodMultiplier);
    } else {
        setBouncerPoolSize(m_cluster.options().bouncerPoolSize, &problem);
        m_shop->setPoolSize(kBasePoolSize);
        m_shop->setWorkers(3);
        m_shop->setRate(m_rate);
    }
    m_shop->setScenario(scenario);
}

void DemoDirector::fix(QString *error)
{
    QString ignored;
    QString &problem = error ? *error : ignored;
    m_fixed = true;
    if (m_scenario == Scenario::Flood) {
        // Cap the pools: the surge goes on, but waits in the pools instead of drowning the server.
        setBouncerPoolSize(kCappedBouncerPoolSize, &problem);
        m_shop->setPoolSize(kCappedPoolSize);
        return;
    }
    // Release in finally: no new leaks. Connections already leaked stay until their sessions
    // are terminated (from PoolScope) or the application restarts (reset).
    m_shop->setScenario(Scenario::Healthy);
}

void DemoDirector::reset(QString *error)
{
    m_rate = kBaseRate;
    setScenario(Scenario::Healthy, error);
    m_shop->closeAbandoned();
}

void DemoDirector::setRate(double requestsPerSecond)
{
    m_rate = requestsPerSecond;
    m_shop->setRate(m_scenario == Scenario::Flood ? m_rate * kFloodMultiplier : m_rate);
}

bool DemoDirector::setBouncerPoolSize(int size, QString *error)
{
    if (size == m_bouncerPoolSize)
        return true;
    // One short connection to the console, as an operator's SET would be.
    PGconn *console = PQconnectdb(m_cluster.bouncerConsoleConninfo().toUtf8().constData());
    bool ok = PQstatus(console) == CONNECTION_OK;
    if (ok) {
        PGresult *result = PQexec(console, QStringLiteral("SET default_pool_size = %1").arg(size).toUtf8().constData());
        ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        if (!ok)
            *error = QStringLiteral("PgBouncer refused SET default_pool_size: %1").arg(QString::fromUtf8(PQresultErrorMessage(result)).trimmed());
        PQclear(result);
    } else {
        *error = QStringLiteral("cannot reach PgBouncer's console: %1").arg(QString::fromUtf8(PQerrorMessage(console)).trimmed());
    }
    PQfinish(console);
    if (ok)
        m_bouncerPoolSize = size;
    return ok;
}

QJsonObject DemoDirector::status() const
{
    const Shop::Stats stats = m_shop->stats();
    QJsonArray pools;
    for (int i = 0; i < stats.pools.size(); ++i) {
        const ConnectionPool::Stats &pool = stats.pools[i];
        pools.append(QJsonObject{{QStringLiteral("service"), Shop::services().value(i)},
                                 {QStringLiteral("size"), pool.size},
                                 {QStringLiteral("open"), pool.open},
                                 {QStringLiteral("inUse"), pool.inUse},
                                 {QStringLiteral("waiting"), pool.waiting},
                                 {QStringLiteral("abandoned"), pool.abandoned},
                                 {QStringLiteral("timeouts"), double(pool.timeouts)},
                                 {QStringLiteral("refused"), double(pool.refused)},
                                 {QStringLiteral("lastError"), pool.lastError}});
    }
    return QJsonObject{{QStringLiteral("event"), QStringLiteral("status")},
                       {QStringLiteral("scenario"), scenarioName(m_scenario)},
                       {QStringLiteral("fixed"), m_fixed},
                       {QStringLiteral("rate"), m_rate},
                       {QStringLiteral("bouncerPoolSize"), m_bouncerPoolSize},
                       {QStringLiteral("served"), double(stats.served)},
                       {QStringLiteral("failed"), double(stats.failed)},
                       {QStringLiteral("refused"), double(stats.refused)},
                       {QStringLiteral("pools"), pools}};
}

} // namespace poolscope::workload
