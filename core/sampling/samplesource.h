#pragma once

#include "analysis/analysedsample.h"
#include "postgres/pgconnection.h"

#include <QObject>

#include <chrono>
#include <functional>
#include <optional>

namespace poolscope {

struct SamplerStatus
{
    // Replaying: a recorded target, shown at the replay's time.
    enum class State { Connecting, Connected, Reconnecting, Failing, Stopped, Replaying };
    State state = State::Stopped;
    PgError error;      // why we are reconnecting or failing
    std::optional<TargetKind> kind; // known once connected
    int attempt = 0;    // reconnect attempts since the last good sample
    qint64 retryInMs = 0;
    // The interval kept, and what the last read cost: above the server budget the interval is
    // stretched, and the views say so with these figures.
    double requestedIntervalMs = 0;
    double effectiveIntervalMs = 0;
    double readMs = 0;
    int sessions = 0;
    double serverBudgetPercent = 0;
    bool stretched() const { return effectiveIntervalMs > requestedIntervalMs + 0.5; }
    // "every 2.5 s: reading 2,900 sessions costs the server 20 ms, over the budget of 2 % of 1 s"
    QString stretchReason() const;
};

QString samplerStateName(SamplerStatus::State state);

// Where a target's views get their samples: a live Sampler, or a recording replayed. Views are
// the same for both; only a source can say whether its target can be acted on and what time
// it is there.
class SampleSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual void start() = 0;
    // Never waits: a source that is busy (a read on a hung network) finishes on its own thread.
    virtual void stop() = 0;
    virtual void restart() = 0;
    // The owners are grouped by `key` from now on; the last sample comes again, regrouped.
    virtual void setOwnerKey(OwnerKey key) = 0;
    virtual void setAlertRules(const AlertRules &rules) = 0;
    // Sessions to show as ignored and never judge (a recording keeps the rules it was made with).
    virtual void setIgnoreRules(const IgnoreRules &rules) { Q_UNUSED(rules); }
    // Pools' leak logs to follow and join to the sessions (a recording keeps the reports it has).
    virtual void setLeakLogs(const QList<LeakLogSpec> &logs) { Q_UNUSED(logs); }
    // How application names name an owner and a call site (a recording keeps its own).
    virtual void setAppCallSites(const AppCallSites &callSites) { Q_UNUSED(callSites); }
    // The share of the interval one read may cost the server before the interval stretches
    // (0: never stretch). A recording has no server to spare.
    virtual void setServerBudget(double percent) { Q_UNUSED(percent); }
    // Whether actions may reach the target: not from a recording.
    virtual bool canAct() const = 0;
    // The time that counts as now for ages and charts: the clock, or the replay's position.
    virtual qint64 nowMs() const = 0;
    // What the charts begin with: nothing live, the whole recording replayed.
    virtual History initialHistory() const = 0;

    // Runs `job` on the source's thread between two samples, with its connection while it is
    // in (nullptr while it is not; `serverTimeout` is that session's statement_timeout, to set
    // back after raising it). An action on a full server can only run on a connection that is in
    // already. False: the source has no connection (a recording); the job is not run.
    using ConnectionJob = std::function<void(PgConnection *connection, std::chrono::milliseconds serverTimeout)>;
    virtual bool runOnConnection(ConnectionJob job)
    {
        Q_UNUSED(job);
        return false;
    }

Q_SIGNALS:
    void sampled(const poolscope::AnalysedSamplePtr &sample);
    void statusChanged(const poolscope::SamplerStatus &status);
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::SamplerStatus)
