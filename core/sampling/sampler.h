#pragma once

#include "pgbouncer/bouncerreader.h"
#include "model/bouncersnapshot.h"
#include "analysis/classifier.h"
#include "postgres/conninfo.h"
#include "postgres/pgconnection.h"
#include "model/snapshot.h"

#include <QObject>
#include <QThread>

#include <chrono>

namespace poolscope {

class SamplerWorker;

struct SamplerOptions
{
    std::chrono::milliseconds interval{1000};     // 100 ms … 60 s
    std::chrono::milliseconds queryTimeout{5000}; // client deadline and server statement_timeout
    bool adaptive = true; // stretch the interval when a read costs more than 1 % of it
    std::optional<TargetKind> kind; // empty: ask the target on connect
    LeakRules rules;

    static constexpr std::chrono::milliseconds kMinInterval{100};
    static constexpr std::chrono::milliseconds kMaxInterval{60000};
};

struct SamplerStatus
{
    enum class State { Connecting, Connected, Reconnecting, Failing, Stopped };
    State state = State::Stopped;
    PgError error;      // why we are reconnecting or failing
    std::optional<TargetKind> kind; // known once connected
    int attempt = 0;    // reconnect attempts since the last good sample
    qint64 retryInMs = 0;
    double effectiveIntervalMs = 0;
};

QString samplerStateName(SamplerStatus::State state);

// Samples one target, a PostgreSQL server or a PgBouncer console, on a thread of its own, over exactly one connection kept
// open for the whole run. Samples never overlap: the next one is armed only after the
// previous one reported. A dropped connection is a state, retried with jittered backoff.
class Sampler : public QObject
{
    Q_OBJECT
public:
    Sampler(const ConnInfo &target, const SamplerOptions &options, QObject *parent = nullptr);
    ~Sampler() override;

    void start();
    // Interrupts a connect or read in flight (cancelling it on the server), closes the
    // connection, joins the thread and reports Stopped. Safe to call twice. The destructor
    // does the same without reporting.
    void stop();

Q_SIGNALS:
    void snapshotReady(const poolscope::SnapshotPtr &snapshot);             // PostgreSQL targets
    void bouncerSnapshotReady(const poolscope::BouncerSnapshotPtr &snapshot); // PgBouncer consoles
    void statusChanged(const poolscope::SamplerStatus &status);

private:
    bool shutdownWorker(); // false when already stopped

    QThread m_thread;
    SamplerWorker *m_worker = nullptr;
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::SamplerStatus)
