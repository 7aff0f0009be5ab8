#pragma once

#include "connectionpool.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace poolscope::workload {

// What the shop does wrong, on purpose.
enum class Scenario {
    Healthy,
    LeakOnError,       // billing returns early on a declined card: no ROLLBACK, no release
    ForgottenCheckout, // orders opens a transaction for a report and never gives the connection back
    Flood,             // a traffic surge into pools sized far beyond what the server can take
    LockPileUp,        // one order leaks its transaction holding a hot row's lock; the others queue behind it
};
// "healthy", "leak", "forgotten", "flood", "locks"
std::optional<Scenario> scenarioFromName(const QString &name);
QString scenarioName(Scenario scenario);
QStringList scenarioNames();

struct ShopOptions
{
    QByteArray conninfo;        // where the shop's database is (a PostgreSQL or a PgBouncer)
    QByteArray billingConninfo; // billing's own way in, when it differs (straight to PostgreSQL)
    int poolSize = 5;           // per service
    int workersPerService = 3;     // request threads; setWorkers() raises it up to kMaxWorkers
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
        qint64 refused = 0;  // the server or PgBouncer had no room for another connection
        QList<ConnectionPool::Stats> pools; // catalog, orders, billing
    };
    static constexpr int kMaxWorkers = 30; // per service
    static const QStringList &services();

    explicit Shop(ShopOptions options);
    ~Shop(); // stops the workers and closes every connection

    // Creates the shop's tables when they are missing; false with *error on failure.
    static bool prepare(const QByteArray &conninfo, QString *error);

    void start();
    void stop();
    void setScenario(Scenario scenario);
    Scenario scenario() const { return m_scenario; }
    void setRate(double requestsPerSecond) { m_rate = std::max(0.1, requestsPerSecond); }
    double rate() const { return m_rate; }
    void setPoolSize(int size);
    int poolSize() const { return m_poolSize; }
    void setWorkers(int perService);
    // How long a catalog search holds its connection: the flood's slow, surging requests.
    void setRequestHold(std::chrono::milliseconds hold) { m_hold = hold; }
    // Closes the connections the buggy paths dropped (what restarting the application does).
    void closeAbandoned();
    Stats stats() const;

private:
    void serve(int service, int worker);
    void spawnWorkers(); // under m_workersMutex
    QByteArray conninfoOf(const QString &service) const;
    bool listProducts(ConnectionPool &pool);
    bool placeOrder(ConnectionPool &pool, int request);
    bool reserveHotItem(ConnectionPool &pool);
    bool commitAndRelease(ConnectionPool &pool, pg_conn *connection, bool ok, const QString &route);
    bool surgeWait(ConnectionPool &pool, pg_conn *connection, const QString &route);
    bool checkout(ConnectionPool &pool, int request);

    ShopOptions m_options;
    std::vector<std::unique_ptr<ConnectionPool>> m_pools;
    std::mutex m_workersMutex;
    std::vector<std::thread> m_workers;
    std::atomic<int> m_workersWanted;
    std::atomic<bool> m_running{false};
    std::atomic<Scenario> m_scenario;
    std::atomic<double> m_rate;
    std::atomic<int> m_poolSize;
    std::atomic<std::chrono::milliseconds> m_hold{std::chrono::milliseconds(5)};
    std::atomic<bool> m_lockHolderLeaked{false}; // the pile-up needs one holder, not one per order
    std::atomic<qint64> m_served{0};
    std::atomic<qint64> m_failed{0};
    std::atomic<int> m_requests{0};
};

} // namespace poolscope::workload
