#include "shop.h"

#include "callsite.h"

#include <libpq-fe.h>

#include <random>

namespace poolscope::workload {

namespace {

const char *const kServices[] = {"catalog", "orders", "billing"};

} // namespace

std::optional<Scenario> scenarioFromName(const QString &name)
{
    if (name == QLatin1String("healthy"))
        return Scenario::Healthy;
    if (name == QLatin1String("leak"))
        return Scenario::LeakOnError;
    if (name == QLatin1String("forgotten"))
        return Scenario::ForgottenCheckout;
    return std::nullopt;
}

QString scenarioName(Scenario scenario)
{
    switch (scenario) {
    case Scenario::Healthy: return QStringLiteral("healthy");
    case Scenario::LeakOnError: return QStringLiteral("leak");
    case Scenario::ForgottenCheckout: return QStringLiteral("forgotten");
    }
    return {};
}

Shop::Shop(ShopOptions options)
    : m_options(std::move(options))
    , m_scenario(m_options.scenario)
{
    for (const char *service : kServices)
        m_pools.push_back(std::make_unique<ConnectionPool>(m_options.conninfo, QString::fromLatin1(service), m_options.poolSize));
}

Shop::~Shop()
{
    stop();
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
    for (int service = 0; service < int(m_pools.size()); ++service) {
        for (int worker = 0; worker < m_options.workersPerService; ++worker)
            m_workers.emplace_back([this, service, worker] { serve(service, worker); });
    }
}

void Shop::stop()
{
    if (!m_running.exchange(false))
        return;
    for (std::thread &worker : m_workers)
        worker.join();
    m_workers.clear();
    // Connections that were never given back close with their pools.
    for (auto &pool : m_pools)
        pool = std::make_unique<ConnectionPool>(m_options.conninfo, pool->service(), m_options.poolSize);
}

Shop::Stats Shop::stats() const
{
    Stats stats;
    stats.served = m_served;
    stats.failed = m_failed;
    for (const auto &pool : m_pools)
        stats.pools.append(pool->stats());
    return stats;
}

void Shop::serve(int service, int worker)
{
    std::mt19937 random(std::random_device{}() + unsigned(worker));
    // Each worker takes its share of the service's rate, with exponential gaps between requests.
    const double perWorker = std::max(0.01, m_options.requestsPerSecond / m_options.workersPerService);
    std::exponential_distribution<double> gap(perWorker);
    ConnectionPool &pool = *m_pools[std::size_t(service)];
    while (m_running) {
        const auto pause = std::chrono::milliseconds(qint64(std::min(2.0, gap(random)) * 1000));
        for (auto slept = std::chrono::milliseconds(0); slept < pause && m_running; slept += std::chrono::milliseconds(50))
            std::this_thread::sleep_for(std::min(std::chrono::milliseconds(50), pause - slept));
        if (!m_running)
            break;
        const int request = ++m_requests;
        CallSite dispatch; // the request loop is the outer frame of every checkout
        bool ok = false;
        switch (service) {
        case 0: ok = listProducts(pool); break;
        case 1: ok = placeOrder(pool); break;
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
                              QStringLiteral("/products"));
    pool.release(connection);
    return ok;
}

bool Shop::placeOrder(ConnectionPool &pool)
{
    CallSite site;
    pg_conn *connection = pool.checkout(m_options.checkoutWait);
    if (!connection)
        return false;
    const QString route = QStringLiteral("/orders");
    bool ok = pool.exec(connection, QStringLiteral("INSERT INTO shop_orders (product) VALUES (1 + (random() * 99)::int)"), route);
    if (m_scenario == Scenario::ForgottenCheckout) {
        // A "report" borrows the connection and the code never gives it back: idle, held.
        pool.exec(connection, QStringLiteral("SELECT count(*) FROM shop_orders"), route);
        return ok;
    }
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
    bool ok = pool.exec(connection, QStringLiteral("BEGIN"), route);
    ok = ok && pool.exec(connection, QStringLiteral("UPDATE shop_accounts SET balance = balance - 1 WHERE id = %1")
                                         .arg(1 + request % 100), route);
    const bool declined = request % 4 == 0;
    if (ok && declined) {
        pool.exec(connection, QStringLiteral("SELECT 1 / 0 AS card_declined"), route); // the payment provider says no
        // A declined card is an answer, not a failure: the request was served either way.
        if (m_scenario == Scenario::LeakOnError)
            return true; // the bug: no ROLLBACK, no release
        pool.exec(connection, QStringLiteral("ROLLBACK"), route);
        pool.release(connection);
        return true;
    }
    ok = ok && pool.exec(connection, QStringLiteral("COMMIT"), route);
    if (!ok)
        pool.exec(connection, QStringLiteral("ROLLBACK"), route);
    pool.release(connection);
    return ok;
}

} // namespace poolscope::workload
