#include "shop.h"

#include "callsite.h"

#include <libpq-fe.h>

#include <random>

namespace poolscope::workload {

const QStringList &Shop::services()
{
    static const QStringList names{QStringLiteral("catalog"), QStringLiteral("orders"), QStringLiteral("billing")};
    return names;
}

namespace {

struct ScenarioName
{
    Scenario scenario;
    const char *name;
};
constexpr ScenarioName kScenarioNames[] = {
    {Scenario::Healthy, "healthy"}, {Scenario::LeakOnError, "leak"}, {Scenario::ForgottenCheckout, "forgotten"},
    {Scenario::Flood, "flood"},     {Scenario::LockPileUp, "locks"},
};

} // namespace

std::optional<Scenario> scenarioFromName(const QString &name)
{
    for (const ScenarioName &entry : kScenarioNames) {
        if (name == QLatin1String(entry.name))
            return entry.scenario;
    }
    return std::nullopt;
}

QString scenarioName(Scenario scenario)
{
    for (const ScenarioName &entry : kScenarioNames) {
        if (entry.scenario == scenario)
            return QString::fromLatin1(entry.name);
    }
    return {};
}

QStringList scenarioNames()
{
    QStringList names;
    for (const ScenarioName &entry : kScenarioNames)
        names.append(QString::fromLatin1(entry.name));
    return names;
}

Shop::Shop(ShopOptions options)
    : m_options(std::move(options))
    , m_workersWanted(std::clamp(m_options.workersPerService, 1, kMaxWorkers))
    , m_scenario(m_options.scenario)
    , m_rate(m_options.requestsPerSecond)
    , m_poolSize(m_options.poolSize)
{
    for (const QString &service : services())
        m_pools.push_back(std::make_unique<ConnectionPool>(conninfoOf(service), service, m_options.poolSize));
}

Shop::~Shop()
{
    stop();
}

QByteArray Shop::conninfoOf(const QString &service) const
{
    const bool billing = service == QLatin1String("billing");
    return billing && !m_options.billingConninfo.isEmpty() ? m_options.billingConninfo : m_options.conninfo;
}

bool Shop::prepare(const QByteArray &conninfo, QString *error)
{
    const char *keywords[] = {"dbname", "application_name", nullptr};
    const char *values[] = {conninfo.constData(), "shop-setup", nullptr};
    PGconn *connection = PQconnectdbParams(keywords, values, 1);
    bool ok = PQstatus(connection) == CONNECTION_OK;
    if (ok) {
        PGresult *result = PQexec(connection,
                                  "CREATE TABLE IF NOT EXISTS shop_products (id int PRIMARY KEY, name text, price int);"
                                  "ALTER TABLE shop_products ADD COLUMN IF NOT EXISTS stock bigint DEFAULT 1000000000;"
                                  "CREATE TABLE IF NOT EXISTS shop_orders (id bigserial PRIMARY KEY, product int, at timestamptz DEFAULT now());"
                                  "CREATE TABLE IF NOT EXISTS shop_accounts (id int PRIMARY KEY, balance bigint);"
                                  "INSERT INTO shop_products SELECT g, 'product ' || g, g * 10 FROM generate_series(1, 100) g ON CONFLICT DO NOTHING;"
                                  "INSERT INTO shop_accounts SELECT g, 1000000 FROM generate_series(1, 100) g ON CONFLICT DO NOTHING;");
        ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        if (!ok)
            *error = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
        PQclear(result);
    } else {
        *error = QString::fromUtf8(PQerrorMessage(connection)).trimmed();
    }
    PQfinish(connection);
    return ok;
}

void Shop::start()
{
    if (m_running.exchange(true))
        return;
    std::lock_guard lock(m_workersMutex);
    spawnWorkers();
}

void Shop::spawnWorkers()
{
    const int services = int(m_pools.size());
    const int perService = int(m_workers.size()) / services;
    for (int worker = perService; worker < m_workersWanted; ++worker) {
        for (int service = 0; service < services; ++service)
            m_workers.emplace_back([this, service, worker] { serve(service, worker); });
    }
}

void Shop::stop()
{
    if (!m_running.exchange(false))
        return;
    // The dropped connections first: an order waiting on the lock one of them holds can finish.
    closeAbandoned();
    std::lock_guard lock(m_workersMutex);
    for (std::thread &worker : m_workers)
        worker.join();
    m_workers.clear();
    // Connections that were never given back close with their pools.
    for (auto &pool : m_pools)
        pool = std::make_unique<ConnectionPool>(conninfoOf(pool->service()), pool->service(), m_poolSize);
}

void Shop::setScenario(Scenario scenario)
{
    if (scenario == Scenario::LockPileUp && m_scenario != Scenario::LockPileUp)
        m_lockHolderLeaked = false; // a fresh pile-up each time it is chosen
    m_scenario = scenario;
}

void Shop::setPoolSize(int size)
{
    m_poolSize = qMax(1, size);
    for (auto &pool : m_pools)
        pool->resize(m_poolSize);
}

void Shop::setWorkers(int perService)
{
    m_workersWanted = std::clamp(perService, 1, kMaxWorkers);
    std::lock_guard lock(m_workersMutex);
    if (m_running)
        spawnWorkers();
}

void Shop::closeAbandoned()
{
    for (auto &pool : m_pools)
        pool->closeAbandoned();
}

Shop::Stats Shop::stats() const
{
    Stats stats;
    stats.served = m_served;
    stats.failed = m_failed;
    for (const auto &pool : m_pools) {
        stats.pools.append(pool->stats());
        stats.refused += stats.pools.last().refused;
    }
    return stats;
}

void Shop::serve(int service, int worker)
{
    std::mt19937 random(std::random_device{}() + unsigned(worker * 3 + service));
    std::exponential_distribution<double> gap(1.0);
    ConnectionPool &pool = *m_pools[std::size_t(service)];
    while (m_running) {
        const int workers = m_workersWanted;
        if (worker >= workers) { // a surge's extra thread, now idle
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        // Each worker takes its share of the service's rate, with exponential gaps between requests.
        const double perWorker = std::max(0.01, m_rate / workers);
        const auto pause = std::chrono::milliseconds(qint64(std::min(2.0, gap(random) / perWorker) * 1000));
        for (auto slept = std::chrono::milliseconds(0); slept < pause && m_running; slept += std::chrono::milliseconds(50))
            std::this_thread::sleep_for(std::min(std::chrono::milliseconds(50), pause - slept));
        if (!m_running)
            break;
        const int request = ++m_requests;
        CallSite dispatch; // the request loop is the outer frame of every checkout
        bool ok = false;
        switch (service) {
        case 0: ok = listProducts(pool); break;
        case 1: ok = placeOrder(pool, request); break;
        default: ok = checkout(pool, request); break;
        }
        (ok ? m_served : m_failed)++;
    }
}

bool Shop::listProducts(ConnectionPool &pool)
{
    CallSite site;
    pg_conn *connection = pool.checkout(m_options.checkoutWait);
    if (!connection)
        return false;
    const bool ok = pool.exec(connection, QStringLiteral("SELECT id, name, price, pg_sleep(0.005) FROM shop_products "
                                                         "ORDER BY price LIMIT 20"),
                              QStringLiteral("/products"))
        && surgeWait(pool, connection, QStringLiteral("/products"));
    pool.release(connection);
    return ok;
}

// Under the surge every request also waits on a slow search, holding its connection.
bool Shop::surgeWait(ConnectionPool &pool, pg_conn *connection, const QString &route)
{
    if (m_scenario != Scenario::Flood)
        return true;
    return pool.exec(connection, QStringLiteral("SELECT pg_sleep(%1)").arg(double(m_hold.load().count()) / 1000.0), route);
}

bool Shop::placeOrder(ConnectionPool &pool, int request)
{
    CallSite site;
    const Scenario scenario = m_scenario;
    if (scenario == Scenario::LockPileUp)
        return reserveHotItem(pool);
    pg_conn *connection = pool.checkout(m_options.checkoutWait);
    if (!connection)
        return false;
    const QString route = QStringLiteral("/orders");
    bool ok = pool.exec(connection, QStringLiteral("INSERT INTO shop_orders (product) VALUES (1 + (random() * 99)::int)"), route)
        && surgeWait(pool, connection, route);
    if (scenario == Scenario::ForgottenCheckout && request % 3 == 0) {
        // A "report" opens a transaction on the borrowed connection, and the code never
        // gives it back: idle in transaction, held.
        pool.exec(connection, QStringLiteral("BEGIN"), route);
        pool.exec(connection, QStringLiteral("SELECT count(*) FROM shop_orders"), route);
        pool.abandon(connection);
        return ok;
    }
    pool.release(connection);
    return ok;
}

// A flash sale: every order takes the same product's row lock. One order's code path returns
// before COMMIT and drops the connection: its lock stays, and every later order queues behind it.
bool Shop::reserveHotItem(ConnectionPool &pool)
{
    CallSite site;
    pg_conn *connection = pool.checkout(m_options.checkoutWait);
    if (!connection)
        return false;
    const QString route = QStringLiteral("/orders/flash-sale");
    bool ok = pool.exec(connection, QStringLiteral("BEGIN"), route);
    ok = ok && pool.exec(connection, QStringLiteral("SET LOCAL lock_timeout = '20s'"), route);
    ok = ok && pool.exec(connection, QStringLiteral("UPDATE shop_products SET stock = stock - 1 WHERE id = 1"), route);
    ok = ok && pool.exec(connection, QStringLiteral("INSERT INTO shop_orders (product) VALUES (1)"), route);
    if (ok && !m_lockHolderLeaked.exchange(true)) {
        pool.abandon(connection); // the bug: an early return skips COMMIT and the release
        return true;
    }
    return commitAndRelease(pool, connection, ok, route);
}

// What the correct paths do: COMMIT when all went well, ROLLBACK otherwise, and give the
// connection back either way.
bool Shop::commitAndRelease(ConnectionPool &pool, pg_conn *connection, bool ok, const QString &route)
{
    ok = ok && pool.exec(connection, QStringLiteral("COMMIT"), route);
    if (!ok)
        pool.exec(connection, QStringLiteral("ROLLBACK"), route);
    pool.release(connection);
    return ok;
}

// The incident: a declined card raises, and this path returns before ROLLBACK and before
// the connection goes back to the pool. The session stays idle in transaction (aborted).
bool Shop::checkout(ConnectionPool &pool, int request)
{
    CallSite site;
    pg_conn *connection = pool.checkout(m_options.checkoutWait);
    if (!connection)
        return false;
    const QString route = QStringLiteral("/checkout");
    bool ok = surgeWait(pool, connection, route) && pool.exec(connection, QStringLiteral("BEGIN"), route);
    ok = ok && pool.exec(connection, QStringLiteral("UPDATE shop_accounts SET balance = balance - 1 WHERE id = %1")
                                         .arg(1 + request % 100), route);
    const bool declined = request % 4 == 0;
    if (ok && declined) {
        pool.exec(connection, QStringLiteral("SELECT 1 / 0 AS card_declined"), route); // the payment provider says no
        // A declined card is an answer, not a failure: the request was served either way.
        if (m_scenario == Scenario::LeakOnError) {
            pool.abandon(connection); // the bug: no ROLLBACK, no release
            return true;
        }
        pool.exec(connection, QStringLiteral("ROLLBACK"), route);
        pool.release(connection);
        return true;
    }
    return commitAndRelease(pool, connection, ok, route);
}

} // namespace poolscope::workload
