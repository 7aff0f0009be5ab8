#pragma once

#include "analysis/alerts.h"
#include "model/history.h"
#include "analysis/owners.h"
#include "recording/recordingreader.h"
#include "sampling/sampler.h"

#include <QObject>

#include <memory>

namespace poolscope::ui {

// One open target: its sampler, the latest sample with what the core derived from it, and
// the chart history. Lives on the GUI thread; the sampler's thread does all the I/O.
class TargetController : public QObject
{
    Q_OBJECT
public:
    TargetController(const ConnInfo &target, const SamplerOptions &options, QObject *parent = nullptr);
    // A target of a recording: no sampler and no actions; its history is the recording's, and
    // the replay sets the snapshot shown and the time that counts as now.
    TargetController(const RecordedTarget &recorded, const SamplerOptions &options, QObject *parent = nullptr);
    ~TargetController() override;

    void start();
    void stop();

    const ConnInfo &connInfo() const { return m_target; }
    QString displayName() const { return m_replay ? m_replayName : m_target.displayName(); }
    bool isReplay() const { return m_replay; }
    qint64 nowMs() const; // the replay's time, or the clock's
    const SamplerOptions &options() const { return m_options; }
    std::optional<TargetKind> kind() const { return m_status.kind; }
    const SamplerStatus &status() const { return m_status; }
    qint64 lastSampleAtMs() const { return m_lastSampleAtMs; } // client clock, 0: none yet

    SnapshotPtr postgres() const { return m_postgres; }
    BouncerSnapshotPtr bouncer() const { return m_bouncer; }
    const History &history() const { return m_history; }
    const QList<OwnerSummary> &owners() const { return m_owners; }
    OwnerKey ownerKey() const { return m_ownerKey; }
    void setOwnerKey(OwnerKey key);
    const QList<Finding> &findings() const { return m_findings; } // the snapshot's and ours
    const QString &health() const { return m_health; }
    const AlertTracker &alerts() const { return m_alerts; }
    // PgBouncer targets: what the linker found with the PostgreSQL server behind them open too.
    void setLinkedFindings(const QList<Finding> &findings);
    void setAlertRules(const AlertRules &rules) { m_alerts.setRules(rules); }

    // Takes a sample as if the sampler had sent it, stamped `timeMs` on the client clock (now by
    // default): what the sampler's signals call, and how a recording or a benchmark feeds in.
    void ingest(const SnapshotPtr &snapshot, qint64 timeMs = 0);
    void ingest(const BouncerSnapshotPtr &snapshot, qint64 timeMs = 0);

    // Replay: show a recorded snapshot (with the findings that needed earlier samples) as of
    // `timeMs`, without adding to the history or the alerts.
    void showRecorded(const SnapshotPtr &snapshot, const QList<Finding> &trendFindings, qint64 timeMs);
    void showRecorded(const BouncerSnapshotPtr &snapshot, qint64 timeMs);
    void setReplayTime(qint64 timeMs);

Q_SIGNALS:
    void sampled();       // a new snapshot is in
    void statusChanged(); // connecting, connected, reconnecting with the error…
    void alertsChanged(const poolscope::AlertTracker::Changes &changes);

private:
    void onStatus(const SamplerStatus &status);
    void analyse(); // owners, findings and health of m_postgres under the current owner key

    ConnInfo m_target;
    bool m_replay = false;
    QString m_replayName;
    qint64 m_replayNowMs = 0;
    SamplerOptions m_options;
    std::unique_ptr<Sampler> m_sampler;
    bool m_running = false;
    SamplerStatus m_status;
    qint64 m_lastSampleAtMs = 0;
    SnapshotPtr m_postgres;
    BouncerSnapshotPtr m_bouncer;
    History m_history;
    OwnerKey m_ownerKey = OwnerKey::Application;
    QList<OwnerSummary> m_owners;
    QList<Finding> m_findings;
    LeakTrend m_leakTrend;
    QList<Finding> m_trendFindings; // fed once per sample, whatever the owner key
    QString m_health;
    AlertTracker m_alerts;
};

} // namespace poolscope::ui
