#include "targetcontroller.h"

namespace poolscope::ui {

TargetController::TargetController(std::unique_ptr<SampleSource> source, const QString &displayName,
                                   const ConnInfo &connInfo, QObject *parent)
    : QObject(parent)
    , m_source(std::move(source))
    , m_displayName(displayName)
    , m_target(connInfo)
    , m_history(m_source->initialHistory())
{
    connect(m_source.get(), &SampleSource::sampled, this, &TargetController::ingest);
    connect(m_source.get(), &SampleSource::statusChanged, this, &TargetController::onStatus);
}

TargetController::~TargetController() = default;

void TargetController::start()
{
    if (m_running)
        return;
    m_running = true;
    m_source->start();
}

void TargetController::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_source->stop(); // returns at once (a read in flight ends on the source's thread), reports Stopped
}

void TargetController::restart()
{
    m_running = true;
    m_source->restart();
}

const QList<OwnerSummary> &TargetController::owners() const
{
    static const QList<OwnerSummary> none;
    return m_sample ? m_sample->owners : none;
}

const QList<Finding> &TargetController::findings() const
{
    static const QList<Finding> none;
    return m_sample ? m_sample->findings : none;
}

void TargetController::setOwnerKey(OwnerKey key)
{
    if (key == m_ownerKey)
        return;
    m_ownerKey = key;
    m_source->setOwnerKey(key); // the last sample comes back regrouped
}

void TargetController::setAlertRules(const AlertRules &rules)
{
    m_alertRules = rules;
    m_source->setAlertRules(rules);
}

void TargetController::ingest(const AnalysedSamplePtr &sample)
{
    m_sample = sample;
    m_status.kind = sample->kind; // a sample may overtake the status that says what the target is
    if (sample->fresh)
        m_history.append(sample->chart);
    Q_EMIT sampled();
    if (!sample->alerts.isEmpty())
        Q_EMIT alertsChanged(sample->alerts);
}

void TargetController::onStatus(const SamplerStatus &status)
{
    const std::optional<TargetKind> known = m_status.kind;
    m_status = status;
    if (!m_status.kind)
        m_status.kind = known; // what the target is does not change while it is away
    // The charts show a gap from here to the next sample, rather than a line across it.
    const bool lost = status.state == SamplerStatus::State::Reconnecting || status.state == SamplerStatus::State::Failing
                      || status.state == SamplerStatus::State::Stopped;
    if (lost && !m_history.isEmpty())
        m_history.appendGap(m_source->nowMs()); // the clock the history's samples are on
    Q_EMIT statusChanged();
}

} // namespace poolscope::ui
