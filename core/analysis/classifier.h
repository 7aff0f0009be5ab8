#pragma once

#include "model/snapshot.h"

namespace poolscope {

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
