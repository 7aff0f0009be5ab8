#pragma once

#include "postgres/pgconnection.h"
#include "model/snapshot.h"

#include <QHash>

#include <array>
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

    // Not const: the reader remembers the previous sample's strings so that it does not
    // convert and allocate them again (most sessions look the same from one sample to the next).
    PgError read(PgConnection &connection, std::chrono::milliseconds timeout, Snapshot *snapshot);

    const QByteArray &sql() const { return m_sql; }

private:
    // Hands out one shared QString per distinct value of a low-cardinality column (state,
    // role, database, application…), so a sample of thousands of rows allocates a few strings.
    class Interner
    {
    public:
        QString get(const char *raw, int length);

    private:
        struct Entry { QByteArray bytes; QString text; };
        std::array<Entry, 32> m_entries;
        int m_used = 0;
        int m_next = 0; // replaced next when full
    };

    struct RememberedQuery
    {
        qint64 queryStartMs = 0;
        QString text;
    };

    int m_version = 0;
    QByteArray m_sql;
    Interner m_database, m_user, m_application, m_clientAddr, m_waitType, m_wait, m_state, m_backendType;
    QHash<quint64, RememberedQuery> m_queries; // by session key, from the previous sample
};

} // namespace poolscope
