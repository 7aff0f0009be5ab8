#include "leaklog/leaklogbook.h"

#include "analysis/owners.h"

#include <algorithm>

namespace poolscope {

namespace {

// Clocks of one host agree; a second covers the rounding of a time written to the second
// (DBCP2) and the moment between a checkout and the statement that opens its transaction.
constexpr qint64 kExactMs = 1000;
// A report is tried against the sessions of the samples just after it is read: its session
// was there when it was written, and a session that comes later is not the one.
constexpr int kJoinAttempts = 3;

bool eligible(const Session &s)
{
    return s.visible && !s.own
           && (s.sessionClass == SessionClass::IdleInTransaction
               || s.sessionClass == SessionClass::IdleInTransactionAborted || s.sessionClass == SessionClass::Idle);
}

} // namespace

int LeakLogState::joined() const
{
    return int(std::count_if(reports.cbegin(), reports.cend(), [](const JoinedLeakReport &r) {
        return r.join != LeakJoin::None && !r.sessionEnded && !r.withdrawn;
    }));
}

int LeakLogState::unmatched() const
{
    return int(std::count_if(reports.cbegin(), reports.cend(), [](const JoinedLeakReport &r) {
        return r.join == LeakJoin::None && !r.withdrawn;
    }));
}

void LeakLogBook::setLogs(const QList<LeakLogSpec> &specs)
{
    std::vector<std::unique_ptr<LeakLogFollower>> kept;
    QSet<QString> files, keptFiles;
    for (const LeakLogSpec &spec : specs) {
        if (files.contains(spec.file))
            continue; // one follower a file: the first spec given for it
        files.insert(spec.file);
        auto same = std::find_if(m_followers.begin(), m_followers.end(),
                                 [&](const auto &follower) { return follower && follower->spec() == spec; });
        if (same != m_followers.end()) {
            kept.push_back(std::move(*same));
            keptFiles.insert(spec.file);
        } else {
            kept.push_back(std::make_unique<LeakLogFollower>(spec));
        }
    }
    m_followers = std::move(kept);
    // Reports of a log no longer followed go with it; a log followed with another owner or
    // threshold is read again from its start, its reports made anew.
    m_entries.removeIf([&](const Entry &entry) { return !keptFiles.contains(entry.report->file); });
    if (m_followers.empty())
        m_candidates.clear();
}

QList<LeakLogSpec> LeakLogBook::logs() const
{
    QList<LeakLogSpec> specs;
    for (const auto &follower : m_followers)
        specs.append(follower->spec());
    return specs;
}

void LeakLogBook::add(const QList<LeakReport> &reports)
{
    for (const LeakReport &report : reports)
        take(report);
}

void LeakLogBook::take(LeakReport report)
{
    if (report.withdrawn) {
        // HikariCP's "(unleaked)": the newest report of that connection is withdrawn.
        for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it) {
            if (it->report->pool == report.pool && !it->report->connection.isEmpty()
                && it->report->connection == report.connection && !it->shown.withdrawn) {
                it->shown.withdrawn = true;
                it->endedAtMs = report.loggedAtMs;
                break;
            }
        }
        return;
    }
    Entry entry;
    entry.report = std::make_shared<const LeakReport>(std::move(report));
    entry.shown.report = entry.report;
    m_entries.append(std::move(entry));
    // Over the cap, the oldest of what matters least goes: reports that matched no session and
    // will not, then those whose session ended or that were taken back, then the oldest.
    while (m_entries.size() > kMaxReports) {
        auto victim = std::find_if(m_entries.begin(), m_entries.end(), [](const Entry &e) {
            return !e.sessionKey && e.attempts >= kJoinAttempts;
        });
        if (victim == m_entries.end())
            victim = std::find_if(m_entries.begin(), m_entries.end(), [](const Entry &e) {
                return e.shown.sessionEnded || e.shown.withdrawn;
            });
        m_entries.erase(victim != m_entries.end() ? victim : m_entries.begin());
    }
}

void LeakLogBook::rememberCandidates(const Snapshot &snapshot)
{
    for (const Session &s : snapshot.sessions) {
        if (!eligible(s))
            continue;
        Candidate &c = m_candidates[s.key()];
        c.key = s.key();
        c.pid = s.pid;
        c.owner = ownerOf(s, OwnerKey::Application);
        c.state = sessionClassName(s.sessionClass);
        c.inTransaction = s.xactStartMs > 0;
        c.activitySinceMs = c.inTransaction ? s.xactStartMs : s.stateChangeMs;
        c.lastSeenMs = snapshot.takenAtMs;
    }
    m_candidates.removeIf([&](const QHash<quint64, Candidate>::iterator it) {
        return it->lastSeenMs < snapshot.takenAtMs - kRecentSessionsMs;
    });
}

namespace {

struct Match
{
    LeakJoin join = LeakJoin::None;
    qint64 gapMs = 0;
};

// `inTransaction`: an idle session's time is when its last query ended, which any pooled
// connection has: near a checkout by chance more often than not, so never an exact match.
Match matchOf(const LeakReport &report, const QString &owner, qint64 activitySinceMs, bool inTransaction)
{
    if (!report.owner.isEmpty() && report.owner != owner)
        return {};
    if (report.loggedAtMs > 0 && activitySinceMs > report.loggedAtMs + kExactMs)
        return {}; // its transaction began after the report: a later checkout
    if (report.checkoutAtMs > 0) {
        const qint64 gap = activitySinceMs - report.checkoutAtMs;
        if (gap < -kExactMs)
            return {}; // began before the checkout
        const bool exact = inTransaction && gap <= kExactMs + report.checkoutSlackMs;
        return {exact ? LeakJoin::ExactTime : LeakJoin::TimeWindow, gap};
    }
    if (report.owner.isEmpty())
        return {}; // no owner and no time: any idle session would do, so none is named
    return {LeakJoin::OwnerOnly, report.loggedAtMs > 0 ? report.loggedAtMs - activitySinceMs : 0};
}

} // namespace

void LeakLogBook::joinNew(Snapshot &snapshot, const QHash<quint64, int> &indexByKey)
{
    QSet<quint64> bound;
    QList<int> open;
    for (int i = 0; i < m_entries.size(); ++i) {
        Entry &e = m_entries[i];
        if (e.sessionKey)
            bound.insert(e.sessionKey);
        else if (!e.shown.withdrawn && e.attempts < kJoinAttempts)
            open.append(i);
    }
    if (open.isEmpty())
        return;
    // A later report of a connection already joined (Tomcat: "marked suspect", then
    // "abandoned") explains the same session.
    for (qsizetype n = open.size() - 1; n >= 0; --n) {
        Entry &e = m_entries[open[n]];
        if (e.report->connection.isEmpty())
            continue;
        // Only a report written after the one joined, while its session lived: a connection's
        // name is its object's hash, which another run of the same program may give again.
        const auto earlier = std::find_if(m_entries.cbegin(), m_entries.cend(), [&](const Entry &other) {
            return other.sessionKey && &other != &e && other.report->pool == e.report->pool
                   && other.report->file == e.report->file && other.report->connection == e.report->connection
                   && other.report->loggedAtMs <= e.report->loggedAtMs
                   && (!other.shown.sessionEnded || other.endedAtMs + kExactMs >= e.report->loggedAtMs);
        });
        if (earlier == m_entries.cend())
            continue;
        e.sessionKey = earlier->sessionKey;
        e.shown.join = earlier->shown.join;
        e.shown.pid = earlier->shown.pid;
        e.shown.sessionState = earlier->shown.sessionState;
        e.shown.gapSeconds = earlier->shown.gapSeconds;
        showJoined(snapshot, indexByKey, e);
        open.removeAt(n);
    }
    struct Pair
    {
        Match match;
        bool inTransaction;
        int entry;
        quint64 key;
    };
    std::vector<Pair> pairs;
    for (int i : open) {
        Entry &e = m_entries[i];
        ++e.attempts;
        // A pool that closed the connection as it reported names a session that went, lately.
        const bool closing = e.report->closesConnection;
        if (closing && e.report->loggedAtMs > 0 && e.report->loggedAtMs < snapshot.takenAtMs - kRecentSessionsMs)
            continue;
        for (const Candidate &c : std::as_const(m_candidates)) {
            if (bound.contains(c.key))
                continue;
            const bool present = indexByKey.contains(c.key);
            if (present == closing || (present && c.lastSeenMs != snapshot.takenAtMs))
                continue; // gone for a pool that only reports; there (or working now) for one that closed it
            const Match match = matchOf(*e.report, c.owner, c.activitySinceMs, c.inTransaction);
            if (match.join != LeakJoin::None)
                pairs.push_back({match, c.inTransaction, i, c.key});
        }
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair &a, const Pair &b) {
        if (a.match.join != b.match.join)
            return a.match.join > b.match.join;
        if (a.inTransaction != b.inTransaction)
            return a.inTransaction;
        if (qAbs(a.match.gapMs) != qAbs(b.match.gapMs))
            return qAbs(a.match.gapMs) < qAbs(b.match.gapMs);
        return a.entry < b.entry;
    });
    for (const Pair &pair : pairs) {
        Entry &e = m_entries[pair.entry];
        if (e.sessionKey || bound.contains(pair.key))
            continue;
        bound.insert(pair.key);
        const Candidate &c = m_candidates[pair.key];
        e.sessionKey = pair.key;
        e.shown.join = pair.match.join;
        e.shown.pid = c.pid;
        e.shown.sessionState = c.state;
        e.shown.gapSeconds = pair.match.join == LeakJoin::OwnerOnly ? 0 : pair.match.gapMs / 1000.0;
        showJoined(snapshot, indexByKey, e); // gone: closed by the pool as it reported
    }
}

void LeakLogBook::showJoined(Snapshot &snapshot, const QHash<quint64, int> &indexByKey, Entry &entry)
{
    const auto index = indexByKey.constFind(entry.sessionKey);
    if (index == indexByKey.cend()) {
        entry.shown.sessionEnded = true;
        entry.endedAtMs = snapshot.takenAtMs;
    } else {
        mark(snapshot, snapshot.sessions[*index], entry);
    }
}

void LeakLogBook::mark(Snapshot &snapshot, Session &session, Entry &entry)
{
    entry.shown.sessionState = sessionClassName(session.sessionClass);
    if (session.leakReport)
        return; // a newer report of the same session has said it
    session.leakReport = entry.report;
    session.leakJoin = entry.shown.join;
    // The pool's whole checkout stack says more than one frame read from application_name.
    if ((session.stack.isEmpty() || session.stackFromApplicationName) && !entry.report->stack.isEmpty()) {
        session.stack = entry.report->stack;
        session.stackFromLeakLog = true;
        session.stackFromApplicationName = false;
    }
    session.reasons.append(QStringLiteral("%1 reported it leaked (%2)")
                               .arg(leakLogPoolName(entry.report->pool), leakJoinName(entry.shown.join)));
    // The pool itself says the connection was never given back: a session it holds in a
    // transaction is at least a suspect, whatever the age rules say yet (an ignored session
    // stays ignored; an owner-only join is a guess; an idle one may be by chance).
    const bool inTransaction = session.sessionClass == SessionClass::IdleInTransaction
                               || session.sessionClass == SessionClass::IdleInTransactionAborted;
    if (inTransaction && session.leak == LeakVerdict::None && session.ignoredBecause.isEmpty() && !session.own
        && entry.shown.join >= LeakJoin::TimeWindow) {
        session.leak = LeakVerdict::Suspected;
        ++snapshot.totals.suspected;
    }
}

void LeakLogBook::retire(qint64 nowMs)
{
    m_entries.removeIf([&](const Entry &e) {
        return (e.shown.sessionEnded || e.shown.withdrawn) && e.endedAtMs > 0 && e.endedAtMs < nowMs - kKeepEndedMs;
    });
}

LeakLogStatePtr LeakLogBook::update(Snapshot &snapshot)
{
    if (isEmpty())
        return nullptr;
    auto state = std::make_shared<LeakLogState>();
    for (const auto &follower : m_followers) {
        const QList<LeakReport> reports = follower->poll();
        for (const LeakReport &report : reports)
            take(report);
        LeakLogFileStatus status;
        status.spec = follower->spec();
        status.problem = follower->problem();
        status.lines = follower->linesRead();
        status.startedLate = follower->startedLate();
        state->files.append(status);
    }
    for (Entry &e : m_entries) {
        if (e.shown.withdrawn && e.endedAtMs <= 0)
            e.endedAtMs = snapshot.takenAtMs;
    }
    rememberCandidates(snapshot);
    QHash<quint64, int> indexByKey;
    if (!m_entries.isEmpty()) {
        indexByKey.reserve(snapshot.sessions.size());
        for (int i = 0; i < snapshot.sessions.size(); ++i)
            indexByKey.insert(snapshot.sessions[i].key(), i);
    }
    // Newest first: a session two reports explain (Tomcat's suspect, then abandoned) shows the latest.
    for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it) {
        Entry &e = *it;
        if (!e.sessionKey || e.shown.sessionEnded || e.shown.withdrawn)
            continue;
        const auto index = indexByKey.constFind(e.sessionKey);
        if (index == indexByKey.cend()) {
            e.shown.sessionEnded = true;
            e.endedAtMs = snapshot.takenAtMs;
            continue;
        }
        Session &session = snapshot.sessions[*index];
        const qint64 since = session.xactStartMs > 0 ? session.xactStartMs : session.stateChangeMs;
        if (e.report->loggedAtMs > 0 && since > e.report->loggedAtMs + kExactMs) {
            // It worked again after the report: the pool had it back, whatever its log said.
            e.shown.withdrawn = true;
            e.endedAtMs = snapshot.takenAtMs;
            continue;
        }
        mark(snapshot, session, e);
    }
    joinNew(snapshot, indexByKey);
    retire(snapshot.takenAtMs);
    for (auto it = m_entries.crbegin(); it != m_entries.crend(); ++it)
        state->reports.append(it->shown);
    for (LeakLogFileStatus &status : state->files) {
        status.reports = int(std::count_if(m_entries.cbegin(), m_entries.cend(), [&](const Entry &e) {
            return e.report->file == status.spec.file;
        }));
    }
    return state;
}

} // namespace poolscope
