#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <chrono>
#include <condition_variable>
#include <mutex>

struct pg_conn;

namespace poolscope::workload {

// A connection pool as application frameworks have them: a fixed number of connections,
// checked out by request threads and given back, or — the bug the demo is about — not.
// Each connection remembers the call chain that checked it out and tags every query with it.
class ConnectionPool
{
public:
    struct Stats
    {
        int size = 0;
        int open = 0;
        int inUse = 0;
        int waiting = 0;
        qint64 checkouts = 0;
        qint64 timeouts = 0;        // no connection came free in time: the request failed
        qint64 connectFailures = 0; // the server refused (e.g. too many connections)
        qint64 refused = 0;         // of those and of failed queries: the server (or PgBouncer) had no room
        int abandoned = 0;          // checked out by code that dropped them: held until their session ends
        QString lastError;
    };

    ConnectionPool(QByteArray conninfo, QString service, int size);
    ~ConnectionPool(); // closes every connection, those never given back included
    ConnectionPool(const ConnectionPool &) = delete;
    ConnectionPool &operator=(const ConnectionPool &) = delete;

    // A free connection, or a new one while the pool is below its size; waits up to `wait`.
    // Null when none came free or the server refused; the stats say which.
    pg_conn *checkout(std::chrono::milliseconds wait);
    // Gives a connection back; one the server closed meanwhile is dropped instead.
    void release(pg_conn *connection);
    // The code dropped the connection without giving it back: it stays checked out (the
    // leak) until its session ends on the server — terminated from PoolScope, say — when the
    // pool notices the closed socket and frees the slot, as pools that validate do.
    void abandon(pg_conn *connection);
    // Closes every abandoned connection now (a restart of the leaking application).
    void closeAbandoned();
    void resize(int size);
    Stats stats() const;
    const QString &service() const { return m_service; }

    // Runs one statement tagged with the service, the route and the stack of the checkout.
    // Returns false when the server reported an error (the transaction is then aborted).
    bool exec(pg_conn *connection, const QString &sql, const QString &route, QString *error = nullptr);

private:
    struct Slot
    {
        pg_conn *connection = nullptr;
        bool inUse = false;
        bool abandoned = false;
        QString stack; // encoded chain of the current checkout
    };
    pg_conn *open(QString *error);
    void reclaimClosed(); // under m_mutex
    void noteError(const QString &error, const char *sqlstate);

    const QByteArray m_conninfo;
    const QString m_service;
    mutable std::mutex m_mutex;
    std::condition_variable m_freed;
    QList<Slot> m_slots;
    int m_size;
    Stats m_stats;
};

} // namespace poolscope::workload
