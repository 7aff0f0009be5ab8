#pragma once

#include "analysis/analysedsample.h"
#include "analysis/classifier.h"
#include "analysis/pooladvisor.h"
#include "leaklog/leaklogbook.h"

#include <QHash>

#include <mutex>

namespace poolscope {

// The latest samples of the PostgreSQL targets open side by side (one window, one `record`),
// so that the analysis of a PgBouncer console can link its clients to the backends of the
// server behind it. Each sampler thread publishes its own and reads the others': thread-safe.
class ServerDirectory
{
public:
    void publish(quintptr source, SnapshotPtr snapshot); // a null snapshot withdraws the source
    QList<SnapshotPtr> snapshots() const;

private:
    mutable std::mutex m_mutex;
    QHash<quintptr, SnapshotPtr> m_latest;
};

struct AnalysisSettings
{
    LeakRules rules;
    AlertRules alertRules;
    OwnerKey ownerKey = OwnerKey::Application;
    QList<LeakLogSpec> leakLogs; // pools' leak logs to join to the sessions (PostgreSQL targets)
};

// Turns the samples of one target into AnalysedSamples: tags from the query comments, classes
// and leak verdicts, owners (by the chosen key, by application and by code location), the leak
// trend, findings (the linker's for a console whose server is open too), the health line, the
// chart point and the alerts. One instance per target, used from one thread at a time: the
// sampler's for a live target, the command line's for a one-shot read.
class AnalysisPipeline
{
public:
    explicit AnalysisPipeline(QString target, const AnalysisSettings &settings = {},
                              std::shared_ptr<ServerDirectory> servers = {});
    ~AnalysisPipeline(); // withdraws this target's sample from the directory
    AnalysisPipeline(const AnalysisPipeline &) = delete;
    AnalysisPipeline &operator=(const AnalysisPipeline &) = delete;

    // A sample as the reader made it: its sessions get their tags (remembered across samples)
    // and classes here, then everything else; `timeMs` on the client clock.
    AnalysedSamplePtr analyse(std::shared_ptr<Snapshot> raw, qint64 timeMs);
    // A sample whose sessions carry their tags and classes already (one built by a test).
    AnalysedSamplePtr analyseClassified(SnapshotPtr snapshot, qint64 timeMs);
    AnalysedSamplePtr analyse(std::shared_ptr<BouncerSnapshot> raw, qint64 timeMs);
    // The last sample again, grouped by `key` from now on: no new chart point, no alert.
    // nullptr before the first sample.
    AnalysedSamplePtr regroup(OwnerKey key);

    void setAlertRules(const AlertRules &rules) { m_alerts.setRules(rules); }
    // Sessions matched from the next sample on are shown as ignored and judged no more.
    void setIgnoreRules(const IgnoreRules &rules)
    {
        m_settings.rules.ignore = rules;
        m_diagnoser.setRules(m_settings.rules);
    }
    // Leak logs followed from the next sample on; reports of logs dropped go with them.
    void setLeakLogs(const QList<LeakLogSpec> &specs)
    {
        m_settings.leakLogs = specs;
        m_leakLogs.setLogs(specs);
    }
    // Application names are read with these patterns from the next sample on.
    void setAppCallSites(const AppCallSites &callSites)
    {
        m_settings.rules.callSites = callSites;
        m_callSites.setRules(callSites);
    }
    const AnalysisSettings &settings() const { return m_settings; }
    const QString &target() const { return m_target; }

private:
    QString m_target;
    AnalysisSettings m_settings;
    std::shared_ptr<ServerDirectory> m_servers;
    TagMemory m_tags;
    AppCallSiteCache m_callSites;
    LeakTrend m_trend;
    Diagnoser m_diagnoser;
    PoolAdvisor m_advisor;
    AlertTracker m_alerts;
    LeakLogBook m_leakLogs;
    void keep(const AnalysedSamplePtr &sample);
    AnalysedSamplePtr analysePostgres(SnapshotPtr snapshot, qint64 timeMs, LeakLogStatePtr leakLog);

    AnalysedSamplePtr m_last;
    AnalysedSamplePtr m_previous;
};

// What a recorded sample shows at a replay time: the owners, findings and health derived again
// with the recording's rules; its chart point and alerts are the recording's own, so the
// sample is not fresh. `server`: the PostgreSQL sample recorded beside a console, to link to.
AnalysedSamplePtr describeRecorded(const QString &target, SnapshotPtr snapshot, const QList<Finding> &trendFindings,
                                   qint64 timeMs, OwnerKey key, const LeakRules &rules);
AnalysedSamplePtr describeRecorded(const QString &target, BouncerSnapshotPtr snapshot, SnapshotPtr server,
                                   qint64 timeMs);

} // namespace poolscope
