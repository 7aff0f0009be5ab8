#pragma once

// One sampling connection a test keeps open and reads snapshots over, as PoolScope's sampler
// does: the same reader and the same analysis pipeline (whose tag memory carries each
// session's last tagged query from sample to sample).

#include "analysis/pipeline.h"
#include "postgres/pgreader.h"
#include "sampling/sampler.h"

class LiveSampler
{
public:
    explicit LiveSampler(const QString &conninfo)
    {
        QString error;
        if (const auto target = poolscope::ConnInfo::parse(conninfo, &error))
            m_error = m_connection.open(*target, QByteArrayLiteral("poolscope-test")).message;
        else
            m_error = error;
        // The reader writes its SQL for the server's version: made once the connection knows it.
        m_reader = std::make_unique<poolscope::PgReader>(m_connection);
    }
    bool ok() const { return m_error.isEmpty(); }
    // Pools' leak logs the pipeline follows from the next sample (a new pipeline).
    void setLeakLogs(const QList<poolscope::LeakLogSpec> &logs)
    {
        m_leakLogs = logs;
        m_pipeline.reset();
    }
    QString error() const { return m_error; }

    // The next sample, analysed; `rules` as the pipeline's from now on.
    poolscope::Snapshot read(const poolscope::LeakRules &rules = {})
    {
        const poolscope::AnalysedSamplePtr sample = readAnalysed(rules);
        return sample ? *sample->postgres : poolscope::Snapshot();
    }

    poolscope::AnalysedSamplePtr readAnalysed(const poolscope::LeakRules &rules = {})
    {
        if (!m_pipeline || !(rules == m_rules)) {
            m_rules = rules;
            m_pipeline = std::make_unique<poolscope::AnalysisPipeline>(QStringLiteral("test"),
                                                                        poolscope::AnalysisSettings{rules, {}, {}, m_leakLogs});
        }
        poolscope::AnalysedSamplePtr sample;
        m_error = poolscope::sampleOnce(m_connection, *m_reader, *m_pipeline, std::chrono::seconds(5), &sample).message;
        return sample;
    }

private:
    poolscope::PgConnection m_connection;
    std::unique_ptr<poolscope::PgReader> m_reader;
    poolscope::LeakRules m_rules;
    QList<poolscope::LeakLogSpec> m_leakLogs;
    std::unique_ptr<poolscope::AnalysisPipeline> m_pipeline;
    QString m_error;
};
