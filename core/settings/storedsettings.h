#pragma once

#include "analysis/alerts.h"
#include "analysis/classifier.h"
#include "leaklog/leaklogparser.h"

#include <QSettings>
#include <QStringList>

#include <optional>

namespace poolscope {

// What the window keeps in its settings file (~/.config/PoolScope/poolscope.conf), read and
// checked in one place: a hand-edited or damaged file gives defaults and a list of what was
// ignored, never a threshold of NaN or an alert that fires at 0 %.
struct StoredSettings
{
    static constexpr int kDefaultRecordingCapMegabytes = 1024;
    static constexpr int kMinRecordingCapMegabytes = 16;
    static constexpr int kMaxRecordingCapMegabytes = 1024 * 1024;
    static constexpr int kMaxTargets = 64;

    QStringList targets; // connection strings libpq accepts, passwords already removed
    AlertRules alertRules;
    bool readOnly = false;
    bool alwaysRecord = false;
    int recordingCapMegabytes = kDefaultRecordingCapMegabytes;
    std::optional<double> serverBudgetPercent; // set in the window (View > Server budget…)
    IgnoreRules ignoreRules; // View > Ignore rules…; the defaults when never set
    QList<LeakLogSpec> leakLogs; // File > Leak logs…: pools' logs joined to every PostgreSQL target
    AppCallSites appCallSites; // View > Application call sites…; the defaults when never set
    QString traceUrlTemplate; // View > Trace links…: "…/trace/{trace_id}"; empty: no links
    QStringList problems; // "alerts/risingSamples: "-3" is not a whole number from 0 to 100; 3 is used"
};

StoredSettings readStoredSettings(QSettings &settings);
// traces/urlTemplate alone, checked (what a sessions table reads when it opens).
QString readTraceUrlTemplate(QSettings &settings, QStringList *problems = nullptr);
void writeAlertRules(QSettings &settings, const AlertRules &rules);

} // namespace poolscope
