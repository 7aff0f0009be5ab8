#pragma once

#include "connectionpool.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace poolscope::workload {

// What the shop does wrong, on purpose.
enum class Scenario {
    Healthy,
    LeakOnError,       // billing returns early on a declined card: no ROLLBACK, no release
    ForgottenCheckout, // orders checks out a connection for a report and never gives it back
};
std::optional<Scenario> scenarioFromName(const QString &name); // "healthy", "leak", "forgotten"
QString scenarioName(Scenario scenario);

struct ShopOptions
{
    QByteArray conninfo;        // where the shop's database is (a PostgreSQL or a PgBouncer)
    int poolSize = 5;           // per service
    int workersPerService = 3;
    double requestsPerSecond = 10; // per service
    std::chrono::milliseconds checkoutWait{2000};
    Scenario scenario = Scenario::Healthy;
};

// A small web shop: catalog, orders and billing, each a service with its own pool and
// request threads, serving requests at a steady rate with realistic latencies.
class Shop
{
public:
    struct Stats
    {
        qint64 served = 0;
        qint64 failed = 0;   // no connection in time, the server refused one, or a query failed
        QList<ConnectionPool::Stats> pools; // catalog, orders, billing
    };

    explicit Shop(ShopOptions options);
    ~Shop(); // stops the workers and closes every connection

    // Creates the shop's tables when they are missing; false with *error on failure.
    static bool prepare(const QByteArray &conninfo, QString *error);

    void start();
    void stop();
    void setScenario(Scenario scenario) { m_scenario = scenario; }
    Scenario scenario() const { return m_scenario; }
    Stats stats() const;

private:
    void serve(int service, int worker);
    bool listProducts(ConnectionPool &pool);
    bool placeOrder(ConnectionPool &pool);
    bool checkout(ConnectionPool &pool, int request);

    ShopOptions m_options;
    std::vector<std::unique_ptr<ConnectionPool>> m_pools;
    std::vector<std::thread> m_workers;
    std::atomic<bool> m_running{false};
    std::atomic<Scenario> m_scenario;
    std::atomic<qint64> m_served{0};
    std::atomic<qint64> m_failed{0};
    std::atomic<int> m_requests{0};
};

} // namespace poolscope::workload
