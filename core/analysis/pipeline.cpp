#include "analysis/pipeline.h"

#include "analysis/health.h"

namespace poolscope {

void ServerDirectory::publish(quintptr source, SnapshotPtr snapshot)
{
    std::lock_guard lock(m_mutex);
    if (snapshot)
        m_latest.insert(source, std::move(snapshot));
    else
        m_latest.remove(source);
}

QList<SnapshotPtr> ServerDirectory::snapshots() const
{
    std::lock_guard lock(m_mutex);
    return m_latest.values();
}

namespace {

// Each grouping once: the chosen key, with its stacks, for the owners tree and the health line;
// by application and by code location, counts only, for the charts, alerts and leak trend -
// or the chosen one's own when it is one of them.
void groupOwnersOf(AnalysedSample &sample, OwnerKey key)
{
    const Snapshot &snapshot = *sample.postgres;
    sample.ownerKey = key;
    sample.owners = groupOwners(snapshot, key);
    sample.byApplication = key == OwnerKey::Application ? sample.owners
                                                        : groupOwners(snapshot, OwnerKey::Application, OwnerDetail::CountsOnly);
    sample.byCodeLocation = key == OwnerKey::CodeLocation
                                ? sample.owners
                                : groupOwners(snapshot, OwnerKey::CodeLocation, OwnerDetail::CountsOnly);
}

void describePostgres(AnalysedSample &sample, const LeakRules &rules)
{
    const Snapshot &snapshot = *sample.postgres;
    sample.findings = snapshot.findings;
    sample.findings += ownerShareFindings(sample.owners, snapshot, rules, sample.ownerKey);
    sample.findings += sample.trendFindings;
    sample.health = healthLine(snapshot, sample.owners, sample.ownerKey);
}

void describeBouncer(AnalysedSample &sample, const QList<SnapshotPtr> &servers)
{
    const BouncerSnapshot &bouncer = *sample.bouncer;
    const Snapshot *server = serverBehind(bouncer, servers);
    for (const SnapshotPtr &candidate : servers) {
        if (candidate.get() == server)
            sample.server = candidate;
    }
    // Clients to the servers they hold always; down to the backends when the server is open.
    sample.linked = linkLayers(bouncer, server);
    sample.findings = bouncer.findings + sample.linked.findings;
    sample.health = healthLine(bouncer, sample.linked.findings);
}

} // namespace

AnalysisPipeline::AnalysisPipeline(QString target, const AnalysisSettings &settings,
                                   std::shared_ptr<ServerDirectory> servers)
    : m_target(std::move(target))
    , m_settings(settings)
    , m_servers(std::move(servers))
    , m_callSites(settings.rules.callSites)
    , m_trend(settings.rules.risingSamples)
    , m_diagnoser(settings.rules)
    , m_alerts(settings.alertRules)
{
    m_leakLogs.setLogs(settings.leakLogs);
}

AnalysisPipeline::~AnalysisPipeline()
{
    if (m_servers)
        m_servers->publish(quintptr(this), nullptr);
}

AnalysedSamplePtr AnalysisPipeline::analyse(std::shared_ptr<Snapshot> raw, qint64 timeMs)
{
    m_tags.apply(*raw);
    m_callSites.apply(*raw); // after the tags: a frame from the name only where no stack came
    classify(*raw, m_settings.rules);
    // After the classes (the join wants idle sessions), before the owners (they group the
    // stacks the join brings).
    LeakLogStatePtr leakLog = m_leakLogs.update(*raw);
    return analysePostgres(std::move(raw), timeMs, std::move(leakLog));
}

AnalysedSamplePtr AnalysisPipeline::analyseClassified(SnapshotPtr snapshot, qint64 timeMs)
{
    return analysePostgres(std::move(snapshot), timeMs, nullptr);
}

AnalysedSamplePtr AnalysisPipeline::analysePostgres(SnapshotPtr snapshot, qint64 timeMs, LeakLogStatePtr leakLog)
{
    auto sample = std::make_shared<AnalysedSample>();
    sample->leakLog = std::move(leakLog);
    sample->target = m_target;
    sample->kind = TargetKind::PostgreSQL;
    sample->timeMs = timeMs;
    sample->postgres = snapshot;
    groupOwnersOf(*sample, m_settings.ownerKey);
    sample->trendFindings = m_trend.update(sample->byCodeLocation);
    describePostgres(*sample, m_settings.rules);
    sample->diagnosis = m_diagnoser.diagnose(*snapshot, sample->byApplication);
    sample->chart = chartSampleOf(*snapshot, sample->byApplication, timeMs);
    sample->chart.point.connectsPerSecond = float(qMax(0.0, sample->diagnosis->connectsPerSecond));
    sample->alerts = m_alerts.update(m_target, *snapshot, sample->byApplication, timeMs,
                                     alertingFindings(*sample->diagnosis));
    m_advisor.add(*sample);
    sample->advice = m_advisor.advice();
    if (m_servers)
        m_servers->publish(quintptr(this), sample->postgres);
    keep(sample);
    return sample;
}

AnalysedSamplePtr AnalysisPipeline::analyse(std::shared_ptr<BouncerSnapshot> raw, qint64 timeMs)
{
    auto sample = std::make_shared<AnalysedSample>();
    sample->target = m_target;
    sample->kind = TargetKind::PgBouncer;
    sample->timeMs = timeMs;
    sample->bouncer = raw;
    sample->ownerKey = m_settings.ownerKey;
    describeBouncer(*sample, m_servers ? m_servers->snapshots() : QList<SnapshotPtr>());
    sample->diagnosis = m_diagnoser.diagnose(*raw, sample->linked, sample->server.get());
    sample->chart = chartSampleOf(*raw, timeMs);
    sample->alerts = m_alerts.update(m_target, *raw, sample->linked.findings, timeMs);
    m_advisor.add(*sample);
    sample->advice = m_advisor.advice();
    keep(sample);
    return sample;
}

void AnalysisPipeline::keep(const AnalysedSamplePtr &sample)
{
    // The sample before the last is let go here, on this thread: by now the window has moved on
    // to the last one, so freeing thousands of sessions does not fall to the GUI thread.
    m_previous = std::move(m_last);
    m_last = sample;
}

AnalysedSamplePtr AnalysisPipeline::regroup(OwnerKey key)
{
    m_settings.ownerKey = key;
    if (!m_last)
        return {};
    auto sample = std::make_shared<AnalysedSample>(*m_last);
    sample->fresh = false;
    sample->alerts = {};
    sample->ownerKey = key;
    if (sample->postgres) {
        groupOwnersOf(*sample, key);
        describePostgres(*sample, m_settings.rules);
    }
    m_last = sample;
    return sample;
}

AnalysedSamplePtr describeRecorded(const QString &target, SnapshotPtr snapshot, const QList<Finding> &trendFindings,
                                   qint64 timeMs, OwnerKey key, const LeakRules &rules)
{
    auto sample = std::make_shared<AnalysedSample>();
    sample->target = target;
    sample->kind = TargetKind::PostgreSQL;
    sample->timeMs = timeMs;
    sample->fresh = false;
    sample->postgres = std::move(snapshot);
    sample->trendFindings = trendFindings;
    groupOwnersOf(*sample, key);
    describePostgres(*sample, rules);
    sample->diagnosis = diagnoseOnce(*sample->postgres, rules);
    return sample;
}

AnalysedSamplePtr describeRecorded(const QString &target, BouncerSnapshotPtr snapshot, SnapshotPtr server,
                                   qint64 timeMs)
{
    auto sample = std::make_shared<AnalysedSample>();
    sample->target = target;
    sample->kind = TargetKind::PgBouncer;
    sample->timeMs = timeMs;
    sample->fresh = false;
    sample->bouncer = std::move(snapshot);
    describeBouncer(*sample, server ? QList<SnapshotPtr>{server} : QList<SnapshotPtr>());
    sample->diagnosis = Diagnoser().diagnose(*sample->bouncer, sample->linked, sample->server.get());
    return sample;
}

} // namespace poolscope
