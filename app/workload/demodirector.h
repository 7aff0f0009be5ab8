#pragma once

#include "democluster.h"
#include "shop.h"

#include <QJsonObject>

#include <memory>

namespace poolscope::workload {

// Runs the demo: the shop on the demo cluster, switched between scenarios and their fixes by
// a presenter (the window's demo panel, or commands typed on the host's standard input).
//
// Commands, one per line:
//   scenario healthy|leak|forgotten|flood|locks   make the shop misbehave (or stop)
//   fix        the scenario's fix: release in finally (leak, forgotten, locks), cap the
//              pools (flood: PgBouncer default_pool_size and the shop's pools)
//   rate R     requests per second per service
//   reset      back to the healthy baseline: the leaking application restarted, pools and
//              PgBouncer at their starting sizes
class DemoDirector
{
public:
    static constexpr double kBaseRate = 10;   // requests per second per service
    static constexpr int kBasePoolSize = 5;   // per service pool
    static constexpr int kFloodMultiplier = 10;
    static constexpr int kFloodPoolSize = 60; // per service pool: "far beyond what the server can take"
    static constexpr int kFloodBouncerPoolSize = 150;
    static constexpr int kCappedPoolSize = 10;
    static constexpr int kCappedBouncerPoolSize = 20;

    explicit DemoDirector(const DemoCluster &cluster);
    ~DemoDirector();

    bool start(Scenario scenario, QString *error); // creates the shop's tables and starts it
    void stop();                                   // stops the shop, closing all its connections
    // Applies one command line; false with *error when it is not a command or failed.
    bool execute(const QString &command, QString *error);
    void setScenario(Scenario scenario, QString *error = nullptr);
    void fix(QString *error = nullptr);
    void reset(QString *error = nullptr);
    void setRate(double requestsPerSecond);
    Shop &shop() { return *m_shop; }
    // What the panel shows: scenario, fixed or not, rate, the shop's counters and pools.
    QJsonObject status() const;

private:
    bool setBouncerPoolSize(int size, QString *error);

    const DemoCluster &m_cluster;
    std::unique_ptr<Shop> m_shop;
    Scenario m_scenario = Scenario::Healthy;
    bool m_fixed = false;
    double m_rate = kBaseRate;
    int m_bouncerPoolSize = 0;
};

} // namespace poolscope::workload
