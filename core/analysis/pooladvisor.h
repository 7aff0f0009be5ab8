#pragma once

#include "analysis/analysedsample.h"

#include <QHash>

#include <deque>
#include <memory>

namespace poolscope {

// What pool sizes would fit the server's slots and cover the concurrency PoolScope observed,
// with the inputs, the arithmetic and the margin shown, or why the data are too short to say.
struct PoolAdvice
{
    bool enough = false;   // false: no recommendation, `tooShort` says why
    QString tooShort;
    int samples = 0;
    double observedSeconds = 0;

    // The server's connection slots the pools must fit in, and the share kept free for
    // superusers, maintenance, replication and inspectors.
    int usableSlots = -1;  // -1: unknown (a console whose server is not open too)
    static constexpr double kHeadroom = 0.2;
    static constexpr int kMinFreeSlots = 3;
    int budget = -1;       // usableSlots less the headroom

    // PostgreSQL: sessions busy at once (active, waiting, in a transaction), over the samples.
    int busyP50 = 0, busyP95 = 0, busyP99 = 0, busyMax = 0;
    struct Owner
    {
        QString owner;         // application_name
        int peakSessions = 0;  // the largest count seen: its pool's size in practice
        int peakBusy = 0;      // the most of them busy at once: the concurrency it needs
        int recommended = 0;
    };
    QList<Owner> owners;       // largest first

    // PgBouncer: per pool, Little's law — servers busy on average = transactions a second ×
    // mean transaction time — taken at its peak over the samples.
    struct Pool
    {
        QString database, user;
        int size = 0;               // now
        QString sizeSource;         // "database pool_size" or "default_pool_size"
        double peakXactsPerSecond = 0;
        double avgXactMs = 0;       // at that peak
        double peakBusyServers = 0; // the largest rate × time of one interval
        int peakActiveServers = 0;
        int peakWaiting = 0;
        double peakWaitSeconds = 0;
        int recommended = 0;
    };
    QList<Pool> pools;
    int recommendedDefaultPoolSize = -1; // for the pools that use default_pool_size; -1: none does

    QStringList formula; // the arithmetic, with the numbers substituted, a line each
    QString summary;     // one sentence
};
using PoolAdvicePtr = std::shared_ptr<const PoolAdvice>;

// Follows one target's samples (on the thread that analyses them) and says what pool sizes
// fit. Needs a past: a recommendation from a few seconds would size pools for a lull.
class PoolAdvisor
{
public:
    static constexpr int kMinSamples = 20;
    static constexpr double kMinSeconds = 20;
    static constexpr double kBurstFactor = 1.5; // the mean or the peak seen is not the next burst
    static constexpr qint64 kKeepMs = 60 * 60 * 1000; // an hour of samples

    void add(const AnalysedSample &sample);
    PoolAdvicePtr advice() const;

private:
    struct Seen
    {
        qint64 atMs = 0;
        int busy = 0;
    };
    std::deque<Seen> m_busy;
    QHash<QString, PoolAdvice::Owner> m_owners;
    QHash<QString, PoolAdvice::Pool> m_pools; // database/user
    qint64 m_firstMs = 0, m_lastMs = 0;
    int m_samples = 0;
    int m_usableSlots = -1;
    bool m_bouncer = false;
};

} // namespace poolscope
