#pragma once

#include "analysis/owners.h"
#include "postgres/pgreader.h"
#include "sampling/sampler.h"

#include <QTimer>

#include <memory>
#include <random>

namespace poolscope {

// The part of a Sampler that lives on its I/O thread. Everything here runs on that thread
// except abort(), which only touches the connection's thread-safe cancel path.
class SamplerWorker : public QObject
{
    Q_OBJECT
public:
    SamplerWorker(const ConnInfo &target, const SamplerOptions &options);

    void abort() { m_connection.abort(); }
    void begin();    // queued onto the worker thread by Sampler::start()
    void shutdown(); // queued, blocking, by Sampler::stop()

Q_SIGNALS:
    void snapshotReady(const poolscope::SnapshotPtr &snapshot);
    void bouncerSnapshotReady(const poolscope::BouncerSnapshotPtr &snapshot);
    void statusChanged(const poolscope::SamplerStatus &status);

private:
    void tick();
    bool ensureConnected();
    void report(SamplerStatus::State state, const PgError &error = {});
    void scheduleReconnect();
    PgError sample(double *readMs); // one read of whichever kind the target is; emits it

    ConnInfo m_target;
    SamplerOptions m_options;
    PgConnection m_connection;
    std::unique_ptr<PgReader> m_reader;
    std::unique_ptr<BouncerReader> m_bouncerReader;
    TagMemory m_tags;
    QTimer *m_timer = nullptr;
    SamplerStatus m_status;
    bool m_everConnected = false;
    bool m_stopping = false;
    std::mt19937 m_random{std::random_device{}()};
};

} // namespace poolscope
