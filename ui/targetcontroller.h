#pragma once

#include "analysis/analysedsample.h"
#include "model/history.h"
#include "postgres/conninfo.h"
#include "sampling/samplesource.h"

#include <QObject>

#include <memory>

namespace poolscope::ui {

// One open target as its views see it: the latest analysed sample from its source (a live
// sampler or a recording replayed), the chart history and the source's status. Lives on the
// GUI thread and derives nothing: the source's thread did the analysis, this only keeps it.
class TargetController : public QObject
{
    Q_OBJECT
public:
    // `connInfo`: what actions connect to; a recorded target has none and cannot act.
    TargetController(std::unique_ptr<SampleSource> source, const QString &displayName, const ConnInfo &connInfo = {},
                     QObject *parent = nullptr);
    ~TargetController() override;

    void start();
    void stop();
    void restart(); // a new connection; never waits for the old one to close

    SampleSource &source() const { return *m_source; }
    const ConnInfo &connInfo() const { return m_target; }
    QString displayName() const { return m_displayName; }
    bool canAct() const { return m_source->canAct(); }
    qint64 nowMs() const { return m_source->nowMs(); }
    std::optional<TargetKind> kind() const { return m_status.kind; }
    const SamplerStatus &status() const { return m_status; }
    qint64 lastSampleAtMs() const { return m_sample ? m_sample->timeMs : 0; } // client clock, 0: none yet

    AnalysedSamplePtr sample() const { return m_sample; }
    SnapshotPtr postgres() const { return m_sample ? m_sample->postgres : SnapshotPtr(); }
    BouncerSnapshotPtr bouncer() const { return m_sample ? m_sample->bouncer : BouncerSnapshotPtr(); }
    const History &history() const { return m_history; }
    const QList<OwnerSummary> &owners() const;
    OwnerKey ownerKey() const { return m_ownerKey; }
    void setOwnerKey(OwnerKey key);
    const QList<Finding> &findings() const;
    QString health() const { return m_sample ? m_sample->health : QString(); }
    const AlertRules &alertRules() const { return m_alertRules; }
    void setAlertRules(const AlertRules &rules);
    void setIgnoreRules(const IgnoreRules &rules) { m_source->setIgnoreRules(rules); }
    void setLeakLogs(const QList<LeakLogSpec> &logs) { m_source->setLeakLogs(logs); }
    void setAppCallSites(const AppCallSites &callSites) { m_source->setAppCallSites(callSites); }
    void setServerBudget(double percent) { m_source->setServerBudget(percent); }

    // A sample from the source: what its signal calls, and how a benchmark feeds one in.
    void ingest(const AnalysedSamplePtr &sample);

Q_SIGNALS:
    void sampled();       // a new sample is in (or the last one, regrouped)
    void statusChanged(); // connecting, connected, reconnecting with the error…
    void alertsChanged(const poolscope::AlertTracker::Changes &changes);

private:
    void onStatus(const SamplerStatus &status);

    std::unique_ptr<SampleSource> m_source;
    QString m_displayName;
    ConnInfo m_target;
    bool m_running = false;
    SamplerStatus m_status;
    AnalysedSamplePtr m_sample;
    History m_history;
    OwnerKey m_ownerKey = OwnerKey::Application;
    AlertRules m_alertRules;
};

} // namespace poolscope::ui
