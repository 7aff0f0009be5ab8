#include "targetcontroller.h"

#include "analysis/health.h"

#include <QDateTime>

namespace poolscope::ui {

TargetController::TargetController(const ConnInfo &target, const SamplerOptions &options, QObject *parent)
    : QObject(parent)
    , m_target(target)
    , m_options(options)
    , m_leakTrend(options.rules.risingSamples)
{
    m_status.state = SamplerStatus::State::Stopped;
}

TargetController::TargetController(const RecordedTarget &recorded, const SamplerOptions &options, QObject *parent)
    : QObject(parent)
    , m_replay(true)
    , m_replayName(recorded.name)
    , m_options(options)
    , m_history(recorded.history)
    , m_leakTrend(options.rules.risingSamples)
{
    m_status.state = SamplerStatus::State::Stopped;
    m_status.kind = recorded.kind;
    m_replayNowMs = m_history.isEmpty() ? 0 : m_history.last().timeMs;
}

TargetController::~TargetController() = default;

qint64 TargetController::nowMs() const
{
    return m_replay ? m_replayNowMs : QDateTime::currentMSecsSinceEpoch();
}

void TargetController::setReplayTime(qint64 timeMs)
{
    m_replayNowMs = timeMs;
}

void TargetController::showRecorded(const SnapshotPtr &snapshot, const QList<Finding> &trendFindings, qint64 timeMs)
{
    m_postgres = snapshot;
    m_lastSampleAtMs = timeMs;
    m_trendFindings = trendFindings;
    analyse();
    m_findings += m_trendFindings;
    Q_EMIT sampled();
}

void TargetController::showRecorded(const BouncerSnapshotPtr &snapshot, qint64 timeMs)
{
    m_bouncer = snapshot;
    m_lastSampleAtMs = timeMs;
    m_findings = snapshot->findings;
    m_health = healthLine(*snapshot);
    Q_EMIT sampled();
}

void TargetController::start()
{
    if (m_running || m_replay)
        return;
    m_sampler = std::make_unique<Sampler>(m_target, m_options);
    connect(m_sampler.get(), &Sampler::snapshotReady, this, [this](const SnapshotPtr &s) { ingest(s); });
    connect(m_sampler.get(), &Sampler::bouncerSnapshotReady, this, [this](const BouncerSnapshotPtr &s) { ingest(s); });
    connect(m_sampler.get(), &Sampler::statusChanged, this, &TargetController::onStatus);
    m_running = true;
    m_sampler->start();
}

void TargetController::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_sampler->stop(); // interrupts a read in flight within ~100 ms, closes the connection
    m_sampler.reset();
    if (!m_history.isEmpty())
        m_history.appendGap(QDateTime::currentMSecsSinceEpoch());
}

void TargetController::setOwnerKey(OwnerKey key)
{
    if (key == m_ownerKey)
        return;
    m_ownerKey = key;
    if (m_postgres) {
        analyse();
        m_findings += m_trendFindings; // the same sample: its trend stands
        Q_EMIT sampled();
    }
}

void TargetController::ingest(const SnapshotPtr &snapshot, qint64 timeMs)
{
    m_postgres = snapshot;
    m_status.kind = TargetKind::PostgreSQL; // a snapshot may overtake the status that says so
    m_lastSampleAtMs = timeMs > 0 ? timeMs : QDateTime::currentMSecsSinceEpoch();
    analyse();
    // The leak trend follows code locations whatever the owners are grouped by; group again
    // only when they are grouped by something else.
    m_trendFindings = m_leakTrend.update(m_ownerKey == OwnerKey::CodeLocation
                                             ? m_owners
                                             : groupOwners(*snapshot, OwnerKey::CodeLocation));
    m_findings += m_trendFindings;
    // The owners chart always counts by application, so that its lines keep one meaning.
    const QList<OwnerSummary> byApplication =
        m_ownerKey == OwnerKey::Application ? m_owners : groupOwners(*snapshot, OwnerKey::Application);
    m_history.append(m_history.pointFor(*snapshot, byApplication, m_lastSampleAtMs));
    const AlertTracker::Changes changes = m_alerts.update(displayName(), *snapshot, byApplication, m_lastSampleAtMs);
    Q_EMIT sampled();
    if (!changes.isEmpty())
        Q_EMIT alertsChanged(changes);
}

void TargetController::analyse()
{
    const Snapshot &snapshot = *m_postgres;
    m_owners = groupOwners(snapshot, m_ownerKey);
    m_findings = snapshot.findings;
    m_findings += ownerShareFindings(m_owners, snapshot, m_options.rules, m_ownerKey);
    m_health = healthLine(snapshot, m_owners, m_ownerKey);
}

void TargetController::ingest(const BouncerSnapshotPtr &snapshot, qint64 timeMs)
{
    m_bouncer = snapshot;
    m_status.kind = TargetKind::PgBouncer;
    m_lastSampleAtMs = timeMs > 0 ? timeMs : QDateTime::currentMSecsSinceEpoch();
    m_findings = snapshot->findings;
    m_health = healthLine(*snapshot);
    m_history.append(m_history.pointFor(*snapshot, m_lastSampleAtMs));
    const AlertTracker::Changes changes = m_alerts.update(displayName(), *snapshot, m_lastSampleAtMs);
    Q_EMIT sampled();
    if (!changes.isEmpty())
        Q_EMIT alertsChanged(changes);
}

void TargetController::setLinkedFindings(const QList<Finding> &findings)
{
    if (!m_bouncer)
        return;
    m_findings = m_bouncer->findings + findings;
    m_health = healthLine(*m_bouncer, findings);
}

void TargetController::onStatus(const SamplerStatus &status)
{
    const std::optional<TargetKind> known = m_status.kind;
    m_status = status;
    if (!m_status.kind)
        m_status.kind = known; // what the target is does not change while it is away
    const bool lost = status.state == SamplerStatus::State::Reconnecting || status.state == SamplerStatus::State::Failing;
    if (lost && !m_history.isEmpty())
        m_history.appendGap(QDateTime::currentMSecsSinceEpoch());
    Q_EMIT statusChanged();
}

} // namespace poolscope::ui
