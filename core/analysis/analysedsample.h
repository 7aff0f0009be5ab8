#pragma once

#include "analysis/alerts.h"
#include "analysis/diagnosis.h"
#include "analysis/linker.h"
#include "leaklog/leaklogbook.h"
#include "analysis/owners.h"
#include "model/bouncersnapshot.h"
#include "model/history.h"
#include "model/snapshot.h"

#include <QMetaType>

#include <memory>

namespace poolscope {

struct PoolAdvice; // analysis/pooladvisor.h
using PoolAdvicePtr = std::shared_ptr<const PoolAdvice>;

// One sample of one target with everything derived from it, made once on the sampler's thread
// (or the replay's decoding thread) and read by every view: the window's tables, tree, charts
// and overview, `watch`, `record`. Immutable once published, so threads share it freely.
struct AnalysedSample
{
    QString target;    // display name of the target
    TargetKind kind{};
    qint64 timeMs = 0; // client clock when taken: the one time axis every target shares
    // A new sample: its chart point and alert changes happen now. False for the last sample
    // grouped again under another owner key, and for a recorded one shown at a replay time.
    bool fresh = true;

    SnapshotPtr postgres;      // PostgreSQL targets
    BouncerSnapshotPtr bouncer; // PgBouncer targets

    OwnerKey ownerKey = OwnerKey::Application;
    QList<OwnerSummary> owners;         // by ownerKey, with their stacks
    QList<OwnerSummary> byApplication;  // what the owners chart and the alerts name (stacks only if chosen)
    QList<OwnerSummary> byCodeLocation; // what the leak trend follows (stacks only if chosen)

    QList<Finding> trendFindings; // those that needed earlier samples (leaks rising)
    QList<Finding> findings;      // all of them: the snapshot's, owner shares, the linker's, the trend's
    QString health;               // the overview's one line
    DiagnosisPtr diagnosis;       // the causes found, worst first, with evidence and next steps
    PoolAdvicePtr advice;         // pool sizes that fit, from the samples so far (live targets)
    LeakLogStatePtr leakLog;      // the pools' leak reports and the sessions they explain (when logs are set)

    // PgBouncer targets whose PostgreSQL server is open too: the sample its clients were
    // linked to (LinkedLayers indexes into its sessions).
    SnapshotPtr server;
    LinkedLayers linked;

    ChartSample chart;             // what the charts add for this sample (fresh samples only)
    AlertTracker::Changes alerts; // fired and cleared by this sample (fresh samples only)
};
using AnalysedSamplePtr = std::shared_ptr<const AnalysedSample>;

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::AnalysedSamplePtr)
