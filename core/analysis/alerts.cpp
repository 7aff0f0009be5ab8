#include "analysis/alerts.h"

#include "analysis/classifier.h"

#include <algorithm>

namespace poolscope {

namespace {

constexpr int kMaxHistory = 1000;

int totalOf(const OwnerSummary &owner) { return owner.total; }
int leakedOf(const OwnerSummary &owner) { return owner.leaked; }

} // namespace

QString topOwnersText(const QList<OwnerSummary> &owners, int (*count)(const OwnerSummary &), int howMany)
{
    QList<const OwnerSummary *> sorted;
    for (const OwnerSummary &owner : owners) {
        if (count(owner) > 0)
            sorted.append(&owner);
    }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [count](const OwnerSummary *a, const OwnerSummary *b) { return count(*a) > count(*b); });
    QStringList parts;
    for (int i = 0; i < sorted.size() && i < howMany; ++i)
        parts.append(QStringLiteral("%1 %2").arg(sorted[i]->owner).arg(count(*sorted[i])));
    return parts.join(QStringLiteral(", "));
}

AlertTracker::Changes AlertTracker::update(const QString &target, const Snapshot &snapshot,
                                           const QList<OwnerSummary> &byApplication, qint64 nowMs,
                                           const QList<Finding> &diagnosed)
{
    QMap<QString, QString> conditions;
    const int usable = snapshot.limits.usableSlots();
    const int total = snapshot.totals.slotsUsed;
    if (usable > 0 && total * 100.0 >= usable * m_rules.slotsUsedPercent)
        conditions.insert(QStringLiteral("slots"),
                          QStringLiteral("%1 of %2 usable slots in use (%3 %); top owners: %4")
                              .arg(total).arg(usable).arg(qRound(total * 100.0 / usable))
                              .arg(topOwnersText(byApplication, totalOf)));
    const int leaked = snapshot.totals.leaked;
    if (m_rules.leakedSessions && leaked > 0)
        conditions.insert(QStringLiteral("leaked"), QStringLiteral("%1 leaked session(s): %2")
                                                        .arg(leaked).arg(topOwnersText(byApplication, leakedOf)));
    if (m_rules.risingSamples >= 2) {
        const int previous = m_leakedCounts.isEmpty() ? 0 : m_leakedCounts.last();
        m_leakedCounts.append(leaked);
        while (m_leakedCounts.size() > m_rules.risingSamples)
            m_leakedCounts.removeFirst();
        bool rising = m_leakedCounts.size() == m_rules.risingSamples;
        for (int i = 1; rising && i < m_leakedCounts.size(); ++i)
            rising = m_leakedCounts[i] > m_leakedCounts[i - 1];
        const bool firing = std::any_of(m_history.cbegin(), m_history.cend(), [](const Alert &a) {
            return a.isActive() && a.code == QLatin1String("leak-rising");
        });
        if (rising)
            conditions.insert(QStringLiteral("leak-rising"),
                              QStringLiteral("leaked sessions rising over %1 samples (%2 → %3): %4")
                                  .arg(m_rules.risingSamples).arg(m_leakedCounts.first()).arg(m_leakedCounts.last())
                                  .arg(topOwnersText(byApplication, leakedOf)));
        else if (firing && leaked > 0 && leaked >= previous)
            // A leak that stopped rising has not gone away: the alert clears when the count falls.
            conditions.insert(QStringLiteral("leak-rising"), QString());
    }
    for (const Finding &finding : diagnosed)
        conditions.insert(finding.code, finding.message);
    return apply(target, conditions, nowMs);
}

AlertTracker::Changes AlertTracker::update(const QString &target, const BouncerSnapshot &snapshot,
                                           const QList<Finding> &linked, qint64 nowMs)
{
    QMap<QString, QString> conditions;
    QStringList waiting, full;
    for (const BouncerPool &pool : snapshot.pools) {
        if (pool.isAdminConsole())
            continue;
        const QString name = pool.database + u'/' + pool.user;
        if (pool.clWaiting > 0 && pool.maxWaitSeconds >= m_rules.waitingLongerThanSeconds)
            waiting.append(QStringLiteral("%1: %2 waiting, longest %3").arg(name).arg(pool.clWaiting).arg(formatDuration(pool.maxWaitSeconds)));
        if (pool.size > 0 && pool.svActive * 100.0 >= pool.size * m_rules.slotsUsedPercent)
            full.append(QStringLiteral("%1: %2 of %3 servers active").arg(name).arg(pool.svActive).arg(pool.size));
    }
    if (!waiting.isEmpty())
        conditions.insert(QStringLiteral("waiting"), QStringLiteral("clients waiting for a server: ") + waiting.join(QStringLiteral("; ")));
    if (!full.isEmpty())
        conditions.insert(QStringLiteral("slots"), QStringLiteral("pools near their size: ") + full.join(QStringLiteral("; ")));
    for (const Finding &finding : linked) {
        if (finding.severity == Finding::Severity::Info)
            continue;
        QString &message = conditions[finding.code];
        message += (message.isEmpty() ? QString() : QStringLiteral("; ")) + finding.message;
    }
    return apply(target, conditions, nowMs);
}

AlertTracker::Changes AlertTracker::apply(const QString &target, const QMap<QString, QString> &conditions, qint64 nowMs)
{
    Changes changes;
    for (Alert &alert : m_history) {
        if (alert.isActive() && !conditions.contains(alert.code)) {
            alert.clearedAtMs = nowMs;
            changes.cleared.append(alert);
        }
    }
    for (auto it = conditions.cbegin(); it != conditions.cend(); ++it) {
        const bool already = std::any_of(m_history.cbegin(), m_history.cend(),
                                         [&](const Alert &a) { return a.isActive() && a.code == it.key(); });
        if (already || it.value().isEmpty())
            continue;
        Alert alert{it.key(), target, it.value(), nowMs, 0};
        m_history.append(alert);
        changes.fired.append(alert);
    }
    if (m_history.size() > kMaxHistory) {
        // Drop the oldest cleared alerts; active ones stay whatever their age.
        for (int i = 0; i < m_history.size() && m_history.size() > kMaxHistory;) {
            if (!m_history[i].isActive())
                m_history.removeAt(i);
            else
                ++i;
        }
    }
    return changes;
}

QList<Alert> AlertTracker::active() const
{
    QList<Alert> alerts;
    for (const Alert &alert : m_history) {
        if (alert.isActive())
            alerts.append(alert);
    }
    return alerts;
}

} // namespace poolscope
