#pragma once

#include "postgres/pgconnection.h"
#include "model/snapshot.h"

#include <QHash>

#include <array>
#include <chrono>

namespace poolscope {

// Reads one snapshot of a PostgreSQL server over an open connection: the pg_stat_activity
// columns PoolScope uses, blockers of lock waiters only, and the connection limits. One round
// trip per sample.
//
// Reading pg_stat_activity is not free for the server (README, "What a sample costs"): most
// of it is the set-returning function's own work, but formatting and sending ~1 KB of query
// text per session is the part we can save. A query's text changes only when a new query
// starts, so it is sent only for sessions whose query or backend started since the previous
// read (less a second of margin) and for sessions whose text we do not have; the reader keeps
// the others' from the samples before. A session idle at the last read that has run no
// statement since is not read again at all: its pid is enough (see sqlFor()).
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

    // The SQL of the next read: query texts since `cutoffMs` on the server's clock (0: all), and
    // of the `missing` pids whatever their age; of the `idle` pids (idle at the last read) only
    // the pid when nothing started since `cutoffMs`.
    QByteArray sqlFor(qint64 cutoffMs, const QList<int> &missing, const QList<int> &idle) const;

    int m_version = 0;
    QByteArray m_settingsSql;
    QByteArray m_activityHead; // up to the query column
    QByteArray m_activityTail; // after it, up to FROM
    int m_activityColumns = 0;
    QByteArray m_sql;          // of the last read
    qint64 m_lastServerMs = 0; // 0: no read yet, every text is sent
    QList<int> m_missing;      // sessions whose text was not sent and is not remembered
    Interner m_database, m_user, m_application, m_clientAddr, m_waitType, m_wait, m_state, m_backendType;
    QHash<quint64, RememberedQuery> m_queries; // by session key, from the previous sample
    QHash<int, Session> m_idle;                // by pid: idle at the previous sample, as read then
};

} // namespace poolscope
