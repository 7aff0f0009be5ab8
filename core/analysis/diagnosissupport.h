#pragma once

// What the diagnosis's parts share: how sessions are judged, grouped and acted on. Internal to
// core/analysis (diagnosis.cpp, heldconnections.cpp, serverload.cpp).
#include "analysis/diagnosis.h"

#include <QLocale>

#include <algorithm>

namespace poolscope::diagnosing {

// Causes are ordered by severity first, then by how much each weighs within it.
inline double severityWeight(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Critical: return 1000;
    case Finding::Severity::Warning: return 100;
    case Finding::Severity::Info: return 10;
    }
    return 0;
}

inline QString sessionsText(int n)
{
    return n == 1 ? QStringLiteral("1 session") : QLocale().toString(n) + QStringLiteral(" sessions");
}

inline bool inTransaction(SessionClass c)
{
    return c == SessionClass::IdleInTransaction || c == SessionClass::IdleInTransactionAborted;
}

inline bool busy(SessionClass c)
{
    return c == SessionClass::Active || c == SessionClass::Waiting || inTransaction(c);
}

inline int busyOf(const OwnerSummary &o)
{
    return o.byClass[int(SessionClass::Active)] + o.byClass[int(SessionClass::Waiting)]
        + o.byClass[int(SessionClass::IdleInTransaction)] + o.byClass[int(SessionClass::IdleInTransactionAborted)];
}

inline bool judged(const Session &s) { return !s.own && s.ignoredBecause.isEmpty() && s.visible; }

inline QString ownerName(const Session &s)
{
    return s.applicationName.isEmpty() ? QStringLiteral("(no application_name)") : s.applicationName;
}

// The stack most of a group's sessions sent, by its innermost frame (one string hashed per
// session, not the whole list of frames: thousands of leaked sessions are the case to be fast
// in), with the frames of the first session that sent it.
struct CommonStack
{
    QStringList frames;
    int sessions = 0;
};
inline CommonStack commonStack(const QList<const Session *> &sessions)
{
    QHash<QString, std::pair<int, const Session *>> counts;
    for (const Session *s : sessions) {
        if (s->stack.isEmpty())
            continue;
        auto &entry = counts[s->stack.first()];
        if (entry.first++ == 0)
            entry.second = s;
    }
    CommonStack best;
    QString bestFrame;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        if (it->first > best.sessions || (it->first == best.sessions && it.key() < bestFrame)) {
            best = {it->second->stack, it->first};
            bestFrame = it.key();
        }
    }
    return best;
}

inline QList<int> pidsOf(const QList<const Session *> &sessions)
{
    QList<int> pids;
    for (const Session *s : sessions)
        pids.append(s->pid);
    return pids;
}

inline void setStack(Cause &cause, const QList<const Session *> &sessions)
{
    const CommonStack common = commonStack(sessions);
    cause.stack = common.frames;
    if (!common.frames.isEmpty())
        cause.codeLocation = common.frames.first();
}

// Groups sessions by application, largest group first (then by name, so that equal groups
// keep one order from sample to sample).
inline QList<std::pair<QString, QList<const Session *>>> byOwner(const QList<const Session *> &sessions)
{
    QHash<QString, QList<const Session *>> groups;
    for (const Session *s : sessions)
        groups[ownerName(*s)].append(s);
    QList<std::pair<QString, QList<const Session *>>> ordered;
    for (auto it = groups.cbegin(); it != groups.cend(); ++it)
        ordered.append({it.key(), it.value()});
    std::sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
        return a.second.size() != b.second.size() ? a.second.size() > b.second.size() : a.first < b.first;
    });
    return ordered;
}

inline double oldest(const QList<const Session *> &sessions, double Session::*age)
{
    double most = 0;
    for (const Session *s : sessions)
        most = qMax(most, s->*age);
    return most;
}

inline Remedy terminate(const QList<const Session *> &sessions)
{
    Remedy remedy;
    remedy.kind = Remedy::Kind::Terminate;
    remedy.pids = pidsOf(sessions);
    remedy.label = sessions.size() == 1 ? QStringLiteral("Terminate session %1").arg(sessions.first()->pid)
                                        : QStringLiteral("Terminate the %1 sessions").arg(sessions.size());
    return remedy;
}

} // namespace poolscope::diagnosing
