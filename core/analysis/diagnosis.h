#pragma once

#include "analysis/classifier.h"
#include "analysis/linker.h"
#include "analysis/owners.h"
#include "model/bouncersnapshot.h"
#include "model/snapshot.h"

#include <deque>
#include <memory>

namespace poolscope {

// The causes PoolScope can name, each from facts it already reads.
enum class CauseKind {
    Leak,              // connections held in failed transactions by one owner, growing
    ForgottenCheckout, // idle in transaction, ageing, without an error
    PoolExhausted,     // clients wait for a full pool; an owner's sessions pinned at its pool's size
    Flood,             // sessions near the usable slots, or pools that add up to more than them
    ConnectStorm,      // new connections a second, sustained
    LockPileUp,        // sessions queued behind a root blocker
    SlowServer,        // statements run long while waiting on the server, not on the client
};
QString causeKey(CauseKind kind);   // "leak", "forgotten-checkout", …: stable, for JSON and tests
QString causeTitle(CauseKind kind); // "Connection leak", for a person

// What PoolScope itself can do about a cause: the diagnosis pane's button.
struct Remedy
{
    enum class Kind { None, Terminate, Cancel };
    Kind kind = Kind::None;
    QList<int> pids; // PostgreSQL backends
    QString label;   // "Terminate the 7 sessions"
};

// One figure behind a verdict, with the time it was true (the target's clock: the server's
// for PostgreSQL, PoolScope's for a console).
struct Evidence
{
    QString text;
    qint64 atMs = 0;
};

struct Cause
{
    CauseKind kind{};
    Finding::Severity severity = Finding::Severity::Warning;
    double score = 0;      // orders the causes, worst first
    QString summary;       // one sentence: what is wrong and why
    QList<Evidence> evidence;
    QString owner;         // the application or pool behind it, when there is one
    QString codeLocation;  // its innermost frame, when its sessions sent one
    QStringList stack;
    QString nextStep;      // what to do, in words
    Remedy remedy;
};

struct Diagnosis
{
    qint64 timeMs = 0;     // the target's clock
    QList<Cause> causes;   // worst first; empty: nothing wrong found
    int ignoredSessions = 0;
    QStringList ignoredBecause; // "application pg_dump: 1 session", for "shown as ignored"
    double connectsPerSecond = -1; // PostgreSQL: new connections a second lately; -1 unknown yet
};
using DiagnosisPtr = std::shared_ptr<const Diagnosis>;

// Turns the samples of one target into causes. Some need a past (growth since the baseline,
// counts pinned for a while, connect rates), so one Diagnoser follows one target; it is fed
// each sample in time order, on the thread that analyses it.
class Diagnoser
{
public:
    explicit Diagnoser(const LeakRules &rules = {}) : m_rules(rules) {}
    void setRules(const LeakRules &rules) { m_rules = rules; }

    // `byApplication`: the snapshot's sessions grouped by application (counts only will do).
    DiagnosisPtr diagnose(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication);
    // `linked`: the linker's findings and links, with `server` the PostgreSQL sample behind the
    // console when it is open too (its sessions' stacks name the code holding a pool's servers).
    DiagnosisPtr diagnose(const BouncerSnapshot &bouncer, const LinkedLayers &linked, const Snapshot *server);

    // How far back the growth and rates look.
    static constexpr qint64 kKeepMs = 15 * 60 * 1000;
    static constexpr qint64 kGrowthMs = 60 * 1000;
    static constexpr qint64 kRateWindowMs = 5000;
    static constexpr qint64 kPinnedMs = 15000;

private:
    // What later samples compare with, per sample, by application (ignored sessions left out).
    struct Moment
    {
        qint64 atMs = 0;
        int slotsUsed = 0;
        qint64 sessionsOpened = -1;
        int startedSincePrevious = 0; // sessions whose backend_start is after the previous sample
        QHash<QString, int> total;
        QHash<QString, int> busy;    // active, waiting or in a transaction
        QHash<QString, int> aborted; // held in failed transactions
    };
    const Moment *momentAtOrBefore(qint64 atMs) const;
    double connectRate(const Moment &now, QString *source) const;

    void addLeaks(const Snapshot &snapshot, const Moment &now, Diagnosis &diagnosis) const;
    void addForgottenCheckouts(const Snapshot &snapshot, Diagnosis &diagnosis) const;
    void addLockPileUps(const Snapshot &snapshot, Diagnosis &diagnosis) const;
    void addPinnedPools(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication, Diagnosis &diagnosis) const;
    void addFlood(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication, Diagnosis &diagnosis) const;
    void addConnectStorm(const Snapshot &snapshot, const Moment &now, Diagnosis &diagnosis) const;
    void addSlowServer(const Snapshot &snapshot, Diagnosis &diagnosis) const;

    LeakRules m_rules;
    std::deque<Moment> m_moments;
};

// The diagnosis of a sample without a past (a recorded sample seen on its own, a one-shot read).
DiagnosisPtr diagnoseOnce(const Snapshot &snapshot, const LeakRules &rules);

// Findings the alerts follow from a diagnosis: the connect storm (the other causes have alerts
// of their own already).
QList<Finding> alertingFindings(const Diagnosis &diagnosis);

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::DiagnosisPtr)
