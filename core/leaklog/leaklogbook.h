#pragma once

#include "leaklog/leaklogfollower.h"
#include "model/snapshot.h"

#include <QHash>

#include <memory>

namespace poolscope {

// A report and the session it explains, as the join left it at one sample.
struct JoinedLeakReport
{
    LeakReportPtr report;
    LeakJoin join = LeakJoin::None; // None: it matches no session (yet)
    int pid = 0;                    // the session joined, even once it has ended
    QString sessionState;           // as last seen ("idle in transaction")
    bool sessionEnded = false;      // gone since (closed by the pool as it reported, or ended)
    bool withdrawn = false;         // HikariCP: returned to the pool after all
    double gapSeconds = 0;          // from the checkout to the session's transaction (exact/window joins)
};

struct LeakLogFileStatus
{
    LeakLogSpec spec;
    QString problem;  // empty: read fine
    qint64 lines = 0;
    int reports = 0;
    bool startedLate = false;
};

// What the leak logs explain at one sample: for the window's Leak log tab, the JSON and the
// recording. Immutable once made.
struct LeakLogState
{
    QList<LeakLogFileStatus> files;
    QList<JoinedLeakReport> reports; // newest first
    int joined() const;
    int unmatched() const; // standing reports that match no session
};
using LeakLogStatePtr = std::shared_ptr<const LeakLogState>;

// Joins pools' leak reports to the sessions they explain. A report is matched once, to the
// session that fits it best, and stays with it while it lives:
// - owner: the log's owner (the operator's mapping) is the session's application, when given;
// - state: idle in transaction, or idle (a pool counts it checked out, the server cannot tell);
// - time: the session's transaction (or, idle, its last query) began after the checkout and
//   before the report; within a second of the checkout is an exact match.
// With neither an owner nor a checkout time a report is listed, never guessed at. Reports of
// pools that close the connection as they report (c3p0, DBCP2) are matched to sessions seen
// in the last seconds too. One instance per target, used from its sampler's thread.
class LeakLogBook
{
public:
    void setLogs(const QList<LeakLogSpec> &specs); // followers of logs that stay keep their place
    QList<LeakLogSpec> logs() const;
    bool isEmpty() const { return m_followers.empty() && m_entries.isEmpty(); }

    // Reads what the logs gained (all they hold, the first time), joins, and marks the joined
    // sessions of `snapshot` (leakReport, leakJoin, a reason, the report's stack where their
    // queries carried none, and at least "suspected" for a time join). nullptr when no log is set.
    LeakLogStatePtr update(Snapshot &snapshot);
    // Reports read elsewhere (a test, a recording); joined at the next update.
    void add(const QList<LeakReport> &reports);

    static constexpr int kMaxReports = 300;
    static constexpr qint64 kKeepEndedMs = 10 * 60 * 1000;
    static constexpr qint64 kRecentSessionsMs = 15 * 1000;

private:
    struct Entry
    {
        LeakReportPtr report;
        quint64 sessionKey = 0; // bound once joined
        JoinedLeakReport shown;
        qint64 endedAtMs = 0;
        int attempts = 0; // samples it was tried against
    };
    // An idle or idle-in-transaction session as the join needs it, kept a little while after
    // it is gone.
    struct Candidate
    {
        quint64 key = 0;
        int pid = 0;
        QString owner;
        QString state;
        qint64 activitySinceMs = 0; // xact_start, or state_change when idle
        bool inTransaction = false;
        qint64 lastSeenMs = 0;
    };
    void take(LeakReport report);
    void rememberCandidates(const Snapshot &snapshot);
    void joinNew(Snapshot &snapshot, const QHash<quint64, int> &indexByKey);
    // A newly joined entry: marked on its session, or ended when the session is gone already.
    static void showJoined(Snapshot &snapshot, const QHash<quint64, int> &indexByKey, Entry &entry);
    static void mark(Snapshot &snapshot, Session &session, Entry &entry);
    void retire(qint64 nowMs);

    std::vector<std::unique_ptr<LeakLogFollower>> m_followers;
    QList<Entry> m_entries; // oldest first
    QHash<quint64, Candidate> m_candidates;
};

} // namespace poolscope
