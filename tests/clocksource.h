#pragma once

// A live PostgreSQL target without a server, for the window's views in tests and benchmarks:
// connected at 1 s, able to act, and its clock is whatever the caller sets — the newest sample's
// time in bench_gui, so that the charts' windows hold its samples however long the set-up took
// (under a profiler, minutes), and the ages tick a second a sample as they do live.

#include "sampling/samplesource.h"

namespace poolscope {

class ClockSource : public SampleSource
{
public:
    void start() override { report(SamplerStatus::State::Connected); }
    void stop() override {}
    void restart() override {}
    void setOwnerKey(OwnerKey) override {}
    void setAlertRules(const AlertRules &) override {}
    bool canAct() const override { return true; }
    qint64 nowMs() const override { return m_nowMs; }
    History initialHistory() const override { return History(); }
    void setNow(qint64 ms) { m_nowMs = ms; }
    // As a sampler reports losing its server, or finding it again.
    void report(SamplerStatus::State state)
    {
        SamplerStatus status;
        status.state = state;
        status.kind = TargetKind::PostgreSQL;
        status.requestedIntervalMs = status.effectiveIntervalMs = 1000;
        Q_EMIT statusChanged(status);
    }

private:
    qint64 m_nowMs = 0;
};

} // namespace poolscope
