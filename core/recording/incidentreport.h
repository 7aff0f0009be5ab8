#pragma once

#include "analysis/diagnosis.h"
#include "analysis/owners.h"
#include "recording/recordingreader.h"

namespace poolscope {

struct TimelineOptions
{
    QString chartImage;                      // a picture to link from the report, if any
    OwnerKey ownerKey = OwnerKey::Application;
    int owners = 5;                          // owners named at the peak
    int stackFrames = 6;
    // Idle in transaction this long, with a stack, is evidence at the peak even before the
    // rules call it leaked.
    double heldEvidenceSeconds = 20;
    int diagnosisSamples = 60; // samples before the peak the diagnosis looks back on
};

// What the timeline found in one target, for the report and for tests.
struct TargetTimeline
{
    QString target;
    bool deviated = false;
    qint64 deviationMs = 0;  // first sample off the baseline
    QString deviation;       // what changed, in words
    int peakSample = -1;
    qint64 peakMs = 0;
    QString peakWhat;        // "31 leaked", "46 of 47 slots"
    QList<OwnerSummary> peakOwners;
    DiagnosisPtr peakDiagnosis; // as it stood at the peak, from the minute before it
    qint64 leakBeganMs = 0;  // the oldest leaked session's state change at the peak (0: no leak)
    QString leakBeganOwner;
    QString leakBeganState;  // what it became: "idle in transaction (aborted)"
    bool recovered = false;
    qint64 recoveryMs = 0;
};

// The timeline section of a postmortem, in Markdown, from a recording: the baseline and the
// first deviation from it, alerts and threshold crossings, the owners and stacks at the peak,
// the actions taken from PoolScope with their results, and the recovery, each with its time.
QString incidentTimeline(Recording &recording, const TimelineOptions &options = {});

// The analysis behind it, per target.
TargetTimeline analyseTarget(Recording &recording, int target, const TimelineOptions &options = {});

} // namespace poolscope
