#pragma once

#include "pgconnection.h"
#include "snapshot.h"

#include <chrono>

namespace poolscope {

// Reads one snapshot of a PostgreSQL server over an open connection: every
// pg_stat_activity column the server version offers, blockers of lock waiters only, and the
// connection limits. One round trip per sample.
class PgReader
{
public:
    // Prepares the SQL for the connected server's version; call after each (re)connect.
    explicit PgReader(const PgConnection &connection);

    PgError read(PgConnection &connection, std::chrono::milliseconds timeout, Snapshot *snapshot) const;

    const QByteArray &sql() const { return m_sql; }

private:
    int m_version = 0;
    QByteArray m_sql;
};

} // namespace poolscope
