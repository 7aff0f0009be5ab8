#include "analysis/pooladvisor.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace poolscope {

namespace {

int busyOf(const OwnerSummary &o)
{
    return o.byClass[int(SessionClass::Active)] + o.byClass[int(SessionClass::Waiting)]
        + o.byClass[int(SessionClass::IdleInTransaction)] + o.byClass[int(SessionClass::IdleInTransactionAborted)];
}

int percentile(std::vector<int> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const std::size_t index = std::size_t(std::ceil(p * double(values.size()))) - 1;
    return values[std::min(index, values.size() - 1)];
}

QString number(double value, int decimals = 1) { return QLocale::c().toString(value, 'f', decimals); }

// Scales recommendations down so that they add up to the budget at most, keeping each at 1 or
// more; returns the line that says so, or nothing when they fit.
template<class T> QString fit(QList<T> &items, int budget)
{
    int total = 0;
    for (const T &item : items)
        total += std::max(0, item.recommended);
    if (budget <= 0 || total <= budget)
        return budget > 0 ? QStringLiteral("together %1 of the %2 slots budgeted: they fit").arg(total).arg(budget)
                          : QString();
    for (T &item : items) {
        if (item.recommended > 0)
            item.recommended = std::max(1, int(std::floor(double(item.recommended) * budget / total)));
    }
    return QStringLiteral("together %1, over the %2 slots budgeted: each scaled by %2/%1 (at least 1)").arg(total).arg(budget);
}

} // namespace

void PoolAdvisor::add(const AnalysedSample &sample)
{
    if (!sample.fresh)
        return; // a regrouped or replayed sample is not a new observation
    ++m_samples;
    if (m_firstMs == 0)
        m_firstMs = sample.timeMs;
    m_lastMs = sample.timeMs;
    if (const SnapshotPtr p = sample.postgres) {
        // From the totals the classifier made (PoolScope's own session left out): no pass over
        // thousands of sessions here.
        const Totals &t = p->totals;
        const int busyNow = t.count(SessionClass::Active) + t.count(SessionClass::Waiting)
            + t.count(SessionClass::IdleInTransaction) + t.count(SessionClass::IdleInTransactionAborted);
        m_busy.push_back({sample.timeMs, busyNow});
        while (!m_busy.empty() && m_busy.front().atMs < sample.timeMs - kKeepMs)
            m_busy.pop_front();
        m_usableSlots = p->limits.usableSlots();
        for (const OwnerSummary &o : sample.byApplication) {
            PoolAdvice::Owner &owner = m_owners[o.owner];
            owner.owner = o.owner;
            owner.peakSessions = std::max(owner.peakSessions, o.total);
            owner.peakBusy = std::max(owner.peakBusy, busyOf(o));
        }
    } else if (const BouncerSnapshotPtr b = sample.bouncer) {
        m_bouncer = true;
        if (sample.server)
            m_usableSlots = sample.server->limits.usableSlots();
        for (const BouncerPool &pool : b->pools) {
            if (pool.isAdminConsole())
                continue;
            PoolAdvice::Pool &p = m_pools[pool.database + u'/' + pool.user];
            p.database = pool.database;
            p.user = pool.user;
            p.size = pool.size;
            p.sizeSource = pool.sizeSource;
            p.peakActiveServers = std::max(p.peakActiveServers, pool.svActive);
            p.peakWaiting = std::max(p.peakWaiting, pool.clWaiting);
            p.peakWaitSeconds = std::max(p.peakWaitSeconds, pool.maxWaitSeconds);
            // SHOW STATS is per database: a database with several pools (users) shares it.
            for (const BouncerStats &stats : b->stats) {
                if (stats.database != pool.database)
                    continue;
                const double busyServers = stats.xactsPerSecond * stats.avgXactMs / 1000.0;
                if (busyServers > p.peakBusyServers || (p.peakXactsPerSecond == 0 && stats.xactsPerSecond > 0)) {
                    p.peakBusyServers = busyServers;
                    p.peakXactsPerSecond = stats.xactsPerSecond;
                    p.avgXactMs = stats.avgXactMs;
                }
            }
        }
    }
}

PoolAdvicePtr PoolAdvisor::advice() const
{
    auto advice = std::make_shared<PoolAdvice>();
    advice->samples = m_samples;
    advice->observedSeconds = m_lastMs > m_firstMs ? (m_lastMs - m_firstMs) / 1000.0 : 0;
    advice->usableSlots = m_usableSlots;
    if (m_usableSlots > 0)
        advice->budget = m_usableSlots
            - std::max(PoolAdvice::kMinFreeSlots, int(std::ceil(m_usableSlots * PoolAdvice::kHeadroom)));
    if (m_samples < kMinSamples || advice->observedSeconds < kMinSeconds) {
        advice->tooShort = QStringLiteral("too short to judge: %1 samples over %2 s; at least %3 samples and %4 s are "
                                          "needed (a few seconds would size the pools for a lull)")
                               .arg(m_samples).arg(number(advice->observedSeconds, 0)).arg(kMinSamples).arg(kMinSeconds);
        return advice;
    }
    const QString observed = QStringLiteral("%1 samples over %2 s").arg(m_samples).arg(number(advice->observedSeconds, 0));
    if (advice->budget > 0)
        advice->formula.append(QStringLiteral("budget = %1 usable slots − headroom max(%2, %3 %) = %4 slots")
                                   .arg(m_usableSlots).arg(PoolAdvice::kMinFreeSlots)
                                   .arg(int(PoolAdvice::kHeadroom * 100)).arg(advice->budget));

    if (!m_bouncer) {
        std::vector<int> values;
        for (const Seen &seen : m_busy)
            values.push_back(seen.busy);
        advice->busyP50 = percentile(values, 0.5);
        advice->busyP95 = percentile(values, 0.95);
        advice->busyP99 = percentile(values, 0.99);
        advice->busyMax = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
        advice->formula.append(QStringLiteral("sessions busy at once (active, waiting, in a transaction), %1: p50 %2, "
                                              "p95 %3, p99 %4, max %5")
                                   .arg(observed).arg(advice->busyP50).arg(advice->busyP95).arg(advice->busyP99)
                                   .arg(advice->busyMax));
        for (const PoolAdvice::Owner &owner : m_owners)
            advice->owners.append(owner);
        std::sort(advice->owners.begin(), advice->owners.end(), [](const auto &a, const auto &b) {
            return a.peakSessions != b.peakSessions ? a.peakSessions > b.peakSessions : a.owner < b.owner;
        });
        advice->formula.append(QStringLiteral("per application: pool size = max(2, ⌈peak busy × %1⌉)").arg(number(kBurstFactor)));
        for (PoolAdvice::Owner &owner : advice->owners) {
            owner.recommended = std::max(2, int(std::ceil(owner.peakBusy * kBurstFactor)));
            advice->formula.append(QStringLiteral("  %1: peak %2 sessions, %3 busy → %4")
                                       .arg(owner.owner).arg(owner.peakSessions).arg(owner.peakBusy).arg(owner.recommended));
        }
        if (const QString line = fit(advice->owners, advice->budget); !line.isEmpty())
            advice->formula.append(line);
        advice->enough = !advice->owners.isEmpty();
        if (!advice->enough)
            advice->tooShort = QStringLiteral("no client session was seen");
        int total = 0, peak = 0;
        for (const PoolAdvice::Owner &owner : advice->owners) {
            total += owner.recommended;
            peak += owner.peakSessions;
        }
        advice->summary = QStringLiteral("Application pools adding up to %1 connections cover the %2 busy at once at "
                                         "the peak (they held %3)%4.")
                              .arg(total).arg(advice->busyMax).arg(peak)
                              .arg(advice->budget > 0 ? QStringLiteral(", within the %1 slots budgeted").arg(advice->budget)
                                                      : QString());
        return advice;
    }

    for (const PoolAdvice::Pool &pool : m_pools)
        advice->pools.append(pool);
    std::sort(advice->pools.begin(), advice->pools.end(), [](const auto &a, const auto &b) {
        return a.database != b.database ? a.database < b.database : a.user < b.user;
    });
    advice->formula.append(QStringLiteral("per pool (Little's law): servers busy = transactions/s × mean transaction "
                                          "time, at its peak over %1; pool_size = max(2, ⌈busy × %2⌉)")
                               .arg(observed).arg(number(kBurstFactor)));
    bool anyTraffic = false;
    for (PoolAdvice::Pool &pool : advice->pools) {
        if (pool.peakXactsPerSecond <= 0) {
            pool.recommended = -1;
            advice->formula.append(QStringLiteral("  %1/%2: no transaction while watched: left as it is (%3)")
                                       .arg(pool.database, pool.user).arg(pool.size));
            continue;
        }
        anyTraffic = true;
        pool.recommended = std::max(2, int(std::ceil(pool.peakBusyServers * kBurstFactor)));
        advice->formula.append(QStringLiteral("  %1/%2: %3/s × %4 ms = %5 busy → %6 (now %7, from %8; peak %9 active, "
                                              "%10 waiting)")
                                   .arg(pool.database, pool.user, number(pool.peakXactsPerSecond), number(pool.avgXactMs, 2),
                                        number(pool.peakBusyServers, 2))
                                   .arg(pool.recommended).arg(pool.size).arg(pool.sizeSource)
                                   .arg(pool.peakActiveServers).arg(pool.peakWaiting));
    }
    if (!anyTraffic) {
        advice->tooShort = QStringLiteral("no transaction went through PgBouncer while it was watched: nothing to size "
                                          "the pools on");
        return advice;
    }
    if (const QString line = fit(advice->pools, advice->budget); !line.isEmpty())
        advice->formula.append(line);
    else
        advice->formula.append(QStringLiteral("the server behind is not open beside the console: the sizes are not "
                                              "checked against its slots"));
    for (const PoolAdvice::Pool &pool : advice->pools) {
        if (pool.recommended > 0 && pool.sizeSource == QLatin1String("default_pool_size"))
            advice->recommendedDefaultPoolSize = std::max(advice->recommendedDefaultPoolSize, pool.recommended);
    }
    advice->enough = true;
    advice->summary = advice->recommendedDefaultPoolSize > 0
        ? QStringLiteral("default_pool_size = %1 covers the busiest pool that uses it with a margin of ×%2.")
              .arg(advice->recommendedDefaultPoolSize).arg(number(kBurstFactor))
        : QStringLiteral("Each pool's pool_size as in the table covers its peak with a margin of ×%1.").arg(number(kBurstFactor));
    return advice;
}

} // namespace poolscope
