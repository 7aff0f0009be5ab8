#pragma once

#include "model/bouncersnapshot.h"
#include "analysis/owners.h"
#include "model/snapshot.h"

#include <QMap>

namespace poolscope {

// When to raise an alert. Every threshold can be changed in the window's settings.
struct AlertRules
{
    double slotsUsedPercent = 80;        // PostgreSQL sessions against usable slots; PgBouncer servers against pool size
    double waitingLongerThanSeconds = 5; // PgBouncer: a client has waited this long for a server
    bool leakedSessions = true;          // any leaked session
    int risingSamples = 3;               // leaked count rising this many samples in a row (0: off)
};

struct Alert
{
    QString code;     // "slots", "leaked", "leak-rising", "waiting"
    QString target;   // display name of the target
    QString message;  // what fired, naming the top owners
    qint64 firedAtMs = 0;
    qint64 clearedAtMs = 0; // 0: still active
    bool isActive() const { return clearedAtMs == 0; }
};

// Turns each sample of one target into alerts that fire once when a condition appears and
// clear when it has gone, and keeps their history (bounded).
class AlertTracker
{
public:
    struct Changes
    {
        QList<Alert> fired;
        QList<Alert> cleared;
        bool isEmpty() const { return fired.isEmpty() && cleared.isEmpty(); }
    };

    explicit AlertTracker(const AlertRules &rules = {}) : m_rules(rules) {}
    void setRules(const AlertRules &rules) { m_rules = rules; }
    const AlertRules &rules() const { return m_rules; }

    // `diagnosed`: causes the diagnosis found that alert too (a connect storm).
    Changes update(const QString &target, const Snapshot &snapshot, const QList<OwnerSummary> &byApplication, qint64 nowMs,
                   const QList<Finding> &diagnosed = {});
    // `linked`: what the linker found with the PostgreSQL server behind the console open too
    // (starved pools, leaks held through PgBouncer, pools that can flood the server).
    Changes update(const QString &target, const BouncerSnapshot &snapshot, const QList<Finding> &linked, qint64 nowMs);

    QList<Alert> active() const;
    const QList<Alert> &history() const { return m_history; } // oldest first

private:
    Changes apply(const QString &target, const QMap<QString, QString> &conditions, qint64 nowMs);

    AlertRules m_rules;
    QList<Alert> m_history;
    QList<int> m_leakedCounts; // the last risingSamples samples
};

// "billing 31, orders 4, catalog 2": the owners a message should name, largest first.
QString topOwnersText(const QList<OwnerSummary> &owners, int (*count)(const OwnerSummary &), int howMany = 3);

} // namespace poolscope
