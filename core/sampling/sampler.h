#pragma once

#include "analysis/pipeline.h"
#include "postgres/conninfo.h"
#include "sampling/samplesource.h"

#include <QPointer>

#include <chrono>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace poolscope {

class SamplerWorker;

struct SamplerOptions
{
    std::chrono::milliseconds interval{1000};     // 100 ms … 60 s
    std::chrono::milliseconds queryTimeout{5000}; // client deadline and server statement_timeout
    // Keep the interval while one read costs at most this share of it; beyond, stretch the
    // interval and say why. 0: keep the interval whatever a read costs.
    static constexpr double kDefaultServerBudgetPercent = 2;
    double serverBudgetPercent = kDefaultServerBudgetPercent;
    std::optional<TargetKind> kind; // empty: ask the target on connect
    LeakRules rules;
    AlertRules alertRules;
    OwnerKey ownerKey = OwnerKey::Application;
    QList<LeakLogSpec> leakLogs; // pools' leak logs joined to this target's sessions (PostgreSQL)
    // Targets opened side by side share one, so that a console links to its server.
    std::shared_ptr<ServerDirectory> servers;

    static constexpr std::chrono::milliseconds kMinInterval{100};
    static constexpr std::chrono::milliseconds kMaxInterval{60000};
};

// "2", "2%", "0.5" or "off" (0): the --server-budget of the command line and the window.
std::optional<double> parseServerBudget(const QString &text);

// Samples one target, a PostgreSQL server or a PgBouncer console, on a thread of its own, over
// exactly one connection kept open for the whole run, and analyses each sample there: what
// arrives on the caller's thread is a finished AnalysedSample. Samples never overlap: the next
// one is armed only after the previous one reported. A dropped connection is a state, retried
// with jittered backoff.
//
// Nothing here waits for the sampling thread: stop() tells it to close and returns; the thread
// ends by itself within ~100 ms (a read in flight gives up) and is reaped (workerthreads.h).
class Sampler : public SampleSource
{
    Q_OBJECT
public:
    Sampler(const ConnInfo &target, const SamplerOptions &options, QObject *parent = nullptr);
    ~Sampler() override; // stop() without the Stopped report

    void start() override;
    void stop() override;
    // A new connection, opened once the old one has closed (or after a second at most).
    void restart() override;
    void setOwnerKey(OwnerKey key) override;
    void setAlertRules(const AlertRules &rules) override;
    void setIgnoreRules(const IgnoreRules &rules) override;
    void setLeakLogs(const QList<LeakLogSpec> &logs) override;
    void setAppCallSites(const AppCallSites &callSites) override;
    void setServerBudget(double percent) override;
    bool canAct() const override { return true; }
    qint64 nowMs() const override;
    History initialHistory() const override { return History(); }
    // Between two samples, on the sampling thread: delays the next sample by the job's time.
    bool runOnConnection(ConnectionJob job) override;

    const ConnInfo &target() const { return m_target; }
    const SamplerOptions &options() const { return m_options; }

private:
    bool shutdownWorker(); // false when none was running

    ConnInfo m_target;
    SamplerOptions m_options;
    QThread *m_thread = nullptr;
    SamplerWorker *m_worker = nullptr;
    QPointer<QThread> m_previous; // a stopped thread still closing its connection
    quint64 m_startGeneration = 0; // a restart armed for the previous thread's end
};

class PgReader;

// One read of a PostgreSQL server over an open connection, analysed: what the command line's
// one-shot reads do, and what a Sampler does at each tick on its thread.
PgError sampleOnce(PgConnection &connection, PgReader &reader, AnalysisPipeline &pipeline,
                   std::chrono::milliseconds timeout, AnalysedSamplePtr *sample);

// The wait before reconnect attempt `attempt` (1-based): 0, 0.25, 0.5, 1, 2, 4, 8, 10, 10 s…
// with ±20 % jitter after the first, so a fleet of inspectors does not reconnect in step.
std::chrono::milliseconds reconnectDelay(int attempt, double jitter01);

} // namespace poolscope
