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
        QString lastError;
    };

    ConnectionPool(QByteArray conninfo, QString service, int size);
    ~ConnectionPool(); // closes every connection, those never given back included
    ConnectionPool(const ConnectionPool &) = delete;
    ConnectionPool &operator=(const ConnectionPool &) = delete;

    // A free connection, or a new one while the pool is below its size; waits up to `wait`.
    // Null when none came free or the server refused; the stats say which.
    pg_conn *checkout(std::chrono::milliseconds wait);
    void release(pg_conn *connection);
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
        QString stack; // encoded chain of the current checkout
    };
    pg_conn *open(QString *error);

    const QByteArray m_conninfo;
    const QString m_service;
    mutable std::mutex m_mutex;
    std::condition_variable m_freed;
    QList<Slot> m_slots;
    int m_size;
    Stats m_stats;
};

} // namespace poolscope::workload
