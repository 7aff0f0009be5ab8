#pragma once

// Feeds a Recorder as PoolScope does: each sample goes through its target's analysis pipeline
// first (trend, chart point, alerts), then into the file.

#include "analysis/pipeline.h"
#include "recording/recorder.h"

#include <QHash>

#include <memory>

class RecordingFeed
{
public:
    explicit RecordingFeed(poolscope::Recorder &recorder, const poolscope::LeakRules &rules = {})
        : m_recorder(recorder), m_rules(rules)
    {
    }

    // `snapshot`: classified already (SyntheticActivity's are, and tests set tags by hand).
    bool append(int target, const poolscope::Snapshot &snapshot, qint64 timeMs)
    {
        return m_recorder.append(target, *pipeline(target).analyseClassified(
                                             std::make_shared<poolscope::Snapshot>(snapshot), timeMs));
    }
    bool append(int target, const poolscope::BouncerSnapshot &snapshot, qint64 timeMs)
    {
        return m_recorder.append(target, *pipeline(target).analyse(
                                             std::make_shared<poolscope::BouncerSnapshot>(snapshot), timeMs));
    }

private:
    poolscope::AnalysisPipeline &pipeline(int target)
    {
        auto &slot = m_pipelines[target];
        if (!slot)
            slot = std::make_unique<poolscope::AnalysisPipeline>(QString::number(target),
                                                                 poolscope::AnalysisSettings{m_rules, {}, {}});
        return *slot;
    }

    poolscope::Recorder &m_recorder;
    poolscope::LeakRules m_rules;
    QHash<int, std::shared_ptr<poolscope::AnalysisPipeline>> m_pipelines;
};
