#pragma once

#include "model/bouncersnapshot.h"
#include "model/snapshot.h"
#include "postgres/pgconnection.h"
#include "pgbouncer/resulttable.h"

#include <chrono>

namespace poolscope {

// Asks the server what it is: a PgBouncer admin console answers SHOW VERSION with
// "PgBouncer x.y.z", PostgreSQL refuses it.
PgError detectTargetKind(PgConnection &connection, std::chrono::milliseconds timeout, TargetKind *kind);

// Reads a PgBouncer admin console with the simple query protocol only (it knows no other).
// SHOW POOLS, STATS, DATABASES, CONFIG and LISTS are cheap and read every time; SHOW CLIENTS
// and SERVERS stall PgBouncer's single thread for milliseconds at thousands of clients, so
// above kManyClients they are read at most every kSlowListInterval, and the snapshot says
// how old they are.
class BouncerReader
{
public:
    static constexpr int kManyClients = 2000;
    static constexpr std::chrono::milliseconds kSlowListInterval{10000};

    PgError read(PgConnection &connection, std::chrono::milliseconds timeout, BouncerSnapshot *snapshot);

    // Whether SHOW CLIENTS/SERVERS are due: always while the console has few clients, at
    // most every kSlowListInterval above kManyClients. lastReadMs 0: never read.
    static bool clientListsDue(qint64 usedClients, qint64 lastReadMs, qint64 nowMs);

private:
    QMap<QString, ResultTable> m_lists;  // last SHOW CLIENTS / SERVERS
    qint64 m_listsReadAtMs = 0;
    QStringList m_unsupported;           // commands this console refused: not asked again
    QList<BouncerStats> m_previousStats;
    qint64 m_previousStatsAtMs = 0;
};

} // namespace poolscope
