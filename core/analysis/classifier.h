#pragma once

#include "analysis/callsites.h"
#include "model/snapshot.h"

namespace poolscope {

// Sessions that legitimately hold transactions (a dump, a batch job): never judged leaked,
// left out of the alerts and the diagnosis, and shown as ignored with the rule that matched.
// A session is ignored too when its query carries the comment /* poolscope:ignore */.
struct IgnoreRules
{
    QStringList applications{QStringLiteral("pg_dump"), QStringLiteral("pg_dumpall"), QStringLiteral("pg_restore"),
                             QStringLiteral("pg_basebackup")};
    QStringList users;
    QStringList databases;
    friend bool operator==(const IgnoreRules &, const IgnoreRules &) = default;

    // "application=pg_dump", "user=batch", "database=warehouse": one rule in the form the
    // command line and the settings take; false for anything else.
    bool add(const QString &rule);
    QStringList toStrings() const;
    // Why `session` is ignored ("application pg_dump"), or empty.
    QString match(const Session &session) const;
};

// The leak rules of the design notes. Every threshold is in seconds or percent and can be
// changed from the command line and in code.
struct LeakRules
{
    double abortedLeakedAfter = 10;     // idle in transaction (aborted): leaked
    double idleInTxWarnAfter = 5;       // idle in transaction: worth a reason
    double idleInTxSuspectAfter = 30;   // … suspected
    double idleInTxLeakedAfter = 60;    // … leaked
    double idleStarvedAfter = 5;        // idle while its role/database/server is out of slots
    int risingSamples = 3;              // leaked count rising this many samples in a row
    double floodWarnPercent = 80;       // client sessions against usable slots
    double floodCriticalPercent = 95;
    double ownerSharePercent = 30;      // one owner holding more than this share of slots…
    double connectStormPerSecond = 10;  // new connections a second, sustained: a connect storm
    double slowStatementAfter = 5;      // an active statement running this long is a slow one
    IgnoreRules ignore;
    AppCallSites callSites; // how application names name an owner and a call site
    friend bool operator==(const LeakRules &, const LeakRules &) = default;
};

// Fills in class, state age, blocking, leak verdict and reasons of every session, the
// totals, and the snapshot-wide findings (flood, visibility). Pure: same input, same output.
void classify(Snapshot &snapshot, const LeakRules &rules);

// Class of one session from its state and wait event alone.
SessionClass classOf(const Session &session);

// "74 s", "4 min 10 s", "2 h 05 min": durations as a DBA reads them.
QString formatDuration(double seconds);

} // namespace poolscope
