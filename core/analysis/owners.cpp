#include "analysis/owners.h"

#include "analysis/nameindex.h"
#include "analysis/querytags.h"

#include <algorithm>

namespace poolscope {

std::optional<OwnerKey> ownerKeyFromName(const QString &name)
{
    const QString key = name.trimmed().toLower();
    if (key == QLatin1String("application") || key == QLatin1String("app") || key == QLatin1String("application_name"))
        return OwnerKey::Application;
    if (key == QLatin1String("user") || key == QLatin1String("role"))
        return OwnerKey::User;
    if (key == QLatin1String("client") || key == QLatin1String("client_addr") || key == QLatin1String("address"))
        return OwnerKey::Client;
    if (key == QLatin1String("database") || key == QLatin1String("db"))
        return OwnerKey::Database;
    if (key == QLatin1String("code") || key == QLatin1String("location") || key == QLatin1String("code-location"))
        return OwnerKey::CodeLocation;
    return std::nullopt;
}

QString ownerKeyName(OwnerKey key)
{
    switch (key) {
    case OwnerKey::Application: return QStringLiteral("application");
    case OwnerKey::User: return QStringLiteral("user");
    case OwnerKey::Client: return QStringLiteral("client");
    case OwnerKey::Database: return QStringLiteral("database");
    case OwnerKey::CodeLocation: return QStringLiteral("code");
    }
    return {};
}

QString ownerOf(const Session &session, OwnerKey key)
{
    if (!session.visible && key != OwnerKey::User)
        return QStringLiteral("(hidden)");
    switch (key) {
    case OwnerKey::Application:
        if (!session.applicationOwner.isEmpty()) // a call site's owner: one service, not one per call site
            return session.applicationOwner;
        return session.applicationName.isEmpty() ? QStringLiteral("(no application_name)") : session.applicationName;
    case OwnerKey::User:
        return session.user.isEmpty() ? QStringLiteral("(unknown role)") : session.user;
    case OwnerKey::Client:
        return session.clientAddr.isEmpty() ? QStringLiteral("(local socket)") : session.clientAddr;
    case OwnerKey::Database:
        return session.database;
    case OwnerKey::CodeLocation: {
        const QString location = codeLocation(session.tags, session.stack);
        if (!location.isEmpty())
            return location;
        if (!session.applicationOwner.isEmpty())
            return u"(untagged) " + session.applicationOwner;
        return QStringLiteral("(untagged) ")
            + (session.applicationName.isEmpty() ? QStringLiteral("no application_name") : session.applicationName);
    }
    }
    return {};
}

QList<OwnerSummary> groupOwners(const Snapshot &snapshot, OwnerKey key, OwnerDetail detail)
{
    NameIndex indexByOwner(snapshot.sessions.size());
    QList<OwnerSummary> owners;
    // Per owner, frames -> index in its stacks. Sessions with one stack mostly share one list
    // (TagMemory interns them), so the list's data pointer finds it before its frames are hashed.
    struct StackIndex
    {
        QHash<const QString *, int> byData;
        QHash<QStringList, int> byFrames;
    };
    QList<StackIndex> stackIndex;
    for (const Session &s : snapshot.sessions) {
        if (s.own)
            continue;
        const QString owner = ownerOf(s, key);
        bool isNew = false;
        const int index = indexByOwner.find(owner, int(owners.size()), &isNew);
        if (isNew) {
            owners.append(OwnerSummary{owner});
            stackIndex.append(StackIndex());
        }
        const bool inTransaction = s.sessionClass == SessionClass::IdleInTransaction
            || s.sessionClass == SessionClass::IdleInTransactionAborted;
        OwnerSummary &summary = owners[index];
        ++summary.total;
        ++summary.byClass[int(s.sessionClass)];
        if (s.leak == LeakVerdict::Leaked)
            ++summary.leaked;
        else if (s.leak == LeakVerdict::Suspected)
            ++summary.suspected;
        if (inTransaction)
            summary.oldestTransactionSeconds = qMax(summary.oldestTransactionSeconds, s.stateSeconds);
        if (detail == OwnerDetail::CountsOnly)
            continue;
        StackIndex &stacks = stackIndex[index];
        int stack = stacks.byData.value(s.stack.constData(), -1);
        if (stack < 0) {
            const auto known = stacks.byFrames.constFind(s.stack);
            stack = known != stacks.byFrames.cend() ? *known : int(summary.stacks.size());
            if (stack == summary.stacks.size()) {
                stacks.byFrames.insert(s.stack, stack);
                summary.stacks.append(StackGroup{s.stack});
            }
            stacks.byData.insert(s.stack.constData(), stack);
        }
        StackGroup &group = summary.stacks[stack];
        ++group.sessions;
        ++group.byClass[int(s.sessionClass)];
        if (s.leak == LeakVerdict::Leaked)
            ++group.leaked;
        if (inTransaction)
            group.oldestTransactionSeconds = qMax(group.oldestTransactionSeconds, s.stateSeconds);
        if (s.stackFromLeakLog)
            group.fromLeakLog = qMax(group.fromLeakLog, s.leakJoin);
        group.members.append(int(&s - snapshot.sessions.constData()));
    }
    for (OwnerSummary &summary : owners) {
        std::stable_sort(summary.stacks.begin(), summary.stacks.end(), [](const StackGroup &a, const StackGroup &b) {
            return std::tie(a.leaked, a.sessions) > std::tie(b.leaked, b.sessions);
        });
    }
    std::stable_sort(owners.begin(), owners.end(), [](const OwnerSummary &a, const OwnerSummary &b) {
        if (a.leaked != b.leaked)
            return a.leaked > b.leaked;
        if (a.suspected != b.suspected)
            return a.suspected > b.suspected;
        if (a.total != b.total)
            return a.total > b.total;
        return a.owner < b.owner;
    });
    return owners;
}

QList<Finding> ownerShareFindings(const QList<OwnerSummary> &owners, const Snapshot &snapshot,
                                  const LeakRules &rules, OwnerKey key)
{
    QList<Finding> findings;
    const int usable = snapshot.limits.usableSlots();
    if (usable <= 0)
        return findings;
    for (const OwnerSummary &owner : owners) {
        const double share = owner.total * 100.0 / usable;
        const int idle = owner.byClass[int(SessionClass::Idle)] + owner.byClass[int(SessionClass::IdleInTransaction)]
            + owner.byClass[int(SessionClass::IdleInTransactionAborted)];
        if (share > rules.ownerSharePercent && idle * 2 > owner.total) {
            findings.append({Finding::Severity::Warning, QStringLiteral("owner-share"),
                             QStringLiteral("%1 %2 holds %3 of %4 usable slots (%5 %), %6 of them idle: is its pool "
                                            "sized too large?")
                                 .arg(ownerKeyName(key), owner.owner)
                                 .arg(owner.total)
                                 .arg(usable)
                                 .arg(qRound(share))
                                 .arg(idle)});
        }
    }
    return findings;
}

void TagMemory::apply(Snapshot &snapshot)
{
    ++m_generation;
    m_entries.reserve(snapshot.sessions.size());
    for (Session &s : snapshot.sessions) {
        if (!s.visible)
            continue;
        Entry &entry = m_entries[s.key()];
        const bool sameQuery = entry.seenGeneration != 0 && entry.queryStartMs == s.queryStartMs;
        entry.seenGeneration = m_generation;
        if (!sameQuery) {
            entry.queryStartMs = s.queryStartMs;
            QueryTags parsed = parseQueryTags(s.query);
            entry.lastQueryTagged = !parsed.isEmpty();
            if (entry.lastQueryTagged) {
                entry.lastTags = std::move(parsed.tags);
                entry.lastStack = internStack(std::move(parsed.stack));
            }
        }
        s.tags = entry.lastTags;
        s.stack = entry.lastStack;
        s.tagsRemembered = !entry.lastQueryTagged && !entry.lastTags.isEmpty();
    }
    // Forget sessions that are gone.
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (it->seenGeneration != m_generation)
            it = m_entries.erase(it);
        else
            ++it;
    }
}

QStringList TagMemory::internStack(QStringList stack)
{
    if (stack.isEmpty())
        return stack;
    // Code paths are few, sessions many: one list per stack, shared by every session that
    // sent it. Bounded, for a client that sends a different stack every time.
    if (m_stacks.size() > 20000)
        m_stacks.clear();
    const auto known = m_stacks.constFind(stack);
    if (known != m_stacks.cend())
        return *known;
    m_stacks.insert(stack);
    return stack;
}

QList<Finding> LeakTrend::update(const QList<OwnerSummary> &byCodeLocation)
{
    ++m_generation;
    QList<Finding> findings;
    for (const OwnerSummary &location : byCodeLocation) {
        History &history = m_history[location.owner];
        history.seen = m_generation;
        history.counts.append(location.leaked);
        while (history.counts.size() > m_samples)
            history.counts.removeFirst();
        if (history.counts.size() < m_samples)
            continue;
        bool rising = true;
        for (int i = 1; i < history.counts.size(); ++i)
            rising = rising && history.counts[i] > history.counts[i - 1];
        if (rising)
            findings.append({Finding::Severity::Critical, QStringLiteral("leak-rising"),
                             QStringLiteral("leaked sessions at %1 rose over %2 samples in a row (%3 → %4): a leak, "
                                            "not a burst")
                                 .arg(location.owner)
                                 .arg(m_samples)
                                 .arg(history.counts.first())
                                 .arg(history.counts.last())});
    }
    for (auto it = m_history.begin(); it != m_history.end();) {
        if (it->seen != m_generation)
            it = m_history.erase(it);
        else
            ++it;
    }
    return findings;
}

} // namespace poolscope
