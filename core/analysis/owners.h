#pragma once

#include "analysis/classifier.h"
#include "model/snapshot.h"

#include <QHash>
#include <QSet>

namespace poolscope {

// What a session's owner is: PostgreSQL never knows which code holds a connection, so the
// owner comes from what the client sent.
enum class OwnerKey { Application, User, Client, Database, CodeLocation };

std::optional<OwnerKey> ownerKeyFromName(const QString &name); // "application", "user", …
QString ownerKeyName(OwnerKey key);
QString ownerOf(const Session &session, OwnerKey key);

struct StackGroup
{
    QStringList frames; // empty: sessions that sent no stack
    int sessions = 0;
    int leaked = 0;
    int byClass[kSessionClassCount] = {};
    double oldestTransactionSeconds = 0;
    QList<int> members; // the sessions, as indices into Snapshot::sessions
    // The frames came from a pool's leak log, not the queries: the surest join among its sessions.
    LeakJoin fromLeakLog = LeakJoin::None;
};

struct OwnerSummary
{
    QString owner;
    int total = 0;
    int byClass[kSessionClassCount] = {};
    int leaked = 0;
    int suspected = 0;
    double oldestTransactionSeconds = 0; // longest idle-in-transaction age
    QList<StackGroup> stacks;            // most leaked first, then most sessions
};

// Groups client sessions (PoolScope's own excluded) by owner; owners with leaks first
// ("top leak sites"), then by size. CountsOnly leaves the stacks out: what the charts, alerts
// and leak trend need, at a fraction of the cost for thousands of sessions.
enum class OwnerDetail { Stacks, CountsOnly };
QList<OwnerSummary> groupOwners(const Snapshot &snapshot, OwnerKey key, OwnerDetail detail = OwnerDetail::Stacks);

// Owners holding more than rules.ownerSharePercent of the usable slots, mostly idle.
QList<Finding> ownerShareFindings(const QList<OwnerSummary> &owners, const Snapshot &snapshot,
                                  const LeakRules &rules, OwnerKey key);

// Keeps, per session (pid + backend_start), the tags of its last tagged query, because a
// later COMMIT or ROLLBACK overwrites pg_stat_activity.query; and skips re-lexing a query
// that has not changed since the previous sample.
class TagMemory
{
public:
    void apply(Snapshot &snapshot);
    int size() const { return int(m_entries.size()); }

private:
    struct Entry
    {
        qint64 queryStartMs = 0;
        Tags lastTags;            // of the last query that had tags
        QStringList lastStack;
        bool lastQueryTagged = false;
        quint64 seenGeneration = 0;
    };
    QStringList internStack(QStringList stack);

    QHash<quint64, Entry> m_entries;
    QSet<QStringList> m_stacks; // every stack seen lately, shared by the sessions that sent it
    quint64 m_generation = 0;
};

// "Leaked counts per code location rising over consecutive samples: a leak, not a burst."
class LeakTrend
{
public:
    explicit LeakTrend(int samples = 3) : m_samples(qMax(2, samples)) {}
    // Feed one sample's per-location leaked counts; returns the locations rising now.
    QList<Finding> update(const QList<OwnerSummary> &byCodeLocation);

private:
    struct History { QList<int> counts; quint64 seen = 0; };
    int m_samples;
    quint64 m_generation = 0;
    QHash<QString, History> m_history;
};

} // namespace poolscope
