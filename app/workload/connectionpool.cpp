#include "connectionpool.h"

#include "callsite.h"

#include <libpq-fe.h>

#include <QUrl>

#include <algorithm>

namespace poolscope::workload {

ConnectionPool::ConnectionPool(QByteArray conninfo, QString service, int size)
    : m_conninfo(std::move(conninfo))
    , m_service(std::move(service))
    , m_size(qMax(1, size))
{
}

ConnectionPool::~ConnectionPool()
{
    std::lock_guard lock(m_mutex);
    for (Slot &slot : m_slots)
        PQfinish(slot.connection);
}

pg_conn *ConnectionPool::open(QString *error)
{
    const QByteArray application = m_service.toUtf8();
    const char *keywords[] = {"dbname", "application_name", "connect_timeout", nullptr};
    const char *values[] = {m_conninfo.constData(), application.constData(), "5", nullptr};
    pg_conn *connection = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(connection) != CONNECTION_OK) {
        *error = QString::fromUtf8(PQerrorMessage(connection)).trimmed();
        PQfinish(connection);
        return nullptr;
    }
    return connection;
}

namespace {

// The server, or PgBouncer in front of it, had no room for another connection.
bool isRefusal(const QString &error, const char *sqlstate)
{
    return qstrcmp(sqlstate, "53300") == 0 || error.contains(QLatin1String("too many clients"))
        || error.contains(QLatin1String("cannot connect to server"))
        || error.contains(QLatin1String("remaining connection slots are reserved"))
        || error.contains(QLatin1String("no more connections allowed"));
}

} // namespace

void ConnectionPool::noteError(const QString &error, const char *sqlstate)
{
    std::lock_guard lock(m_mutex);
    m_stats.lastError = error;
    if (isRefusal(error, sqlstate))
        ++m_stats.refused;
}

pg_conn *ConnectionPool::checkout(std::chrono::milliseconds wait)
{
    const QString stack = CallSite::encoded(CallSite::chain());
    std::unique_lock lock(m_mutex);
    ++m_stats.waiting;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        reclaimClosed();
        for (Slot &slot : m_slots) {
            if (!slot.inUse) {
                slot.inUse = true;
                slot.stack = stack;
                --m_stats.waiting;
                ++m_stats.checkouts;
                return slot.connection;
            }
        }
        if (m_slots.size() < m_size) {
            // Open outside the lock: connecting takes a round trip or more.
            m_slots.append(Slot{nullptr, true, false, stack});
            lock.unlock();
            QString error;
            pg_conn *connection = open(&error);
            lock.lock();
            // Find the reserved slot again: others may have come and gone meanwhile.
            const auto reserved = std::find_if(m_slots.begin(), m_slots.end(), [&](const Slot &slot) {
                return slot.connection == nullptr && slot.inUse && slot.stack == stack;
            });
            if (!connection) {
                if (reserved != m_slots.end())
                    m_slots.erase(reserved);
                --m_stats.waiting;
                ++m_stats.connectFailures;
                if (isRefusal(error, ""))
                    ++m_stats.refused;
                m_stats.lastError = error;
                m_freed.notify_one();
                return nullptr;
            }
            if (reserved != m_slots.end())
                reserved->connection = connection;
            else
                m_slots.append(Slot{connection, true, false, stack});
            --m_stats.waiting;
            ++m_stats.checkouts;
            return connection;
        }
        // Wake now and then to notice abandoned connections whose session has ended.
        const auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(250));
        m_freed.wait_until(lock, until);
        if (std::chrono::steady_clock::now() >= deadline) {
            --m_stats.waiting;
            ++m_stats.timeouts;
            m_stats.lastError = QStringLiteral("no connection free in the %1 pool after %2 ms")
                                    .arg(m_service).arg(wait.count());
            return nullptr;
        }
    }
}

void ConnectionPool::reclaimClosed()
{
    for (auto slot = m_slots.begin(); slot != m_slots.end();) {
        // No request thread touches an abandoned connection, so reading its socket here is safe.
        if (slot->abandoned && (!PQconsumeInput(slot->connection) || PQstatus(slot->connection) == CONNECTION_BAD)) {
            PQfinish(slot->connection);
            slot = m_slots.erase(slot);
        } else {
            ++slot;
        }
    }
}

void ConnectionPool::release(pg_conn *connection)
{
    std::lock_guard lock(m_mutex);
    for (int i = 0; i < m_slots.size(); ++i) {
        if (m_slots[i].connection != connection)
            continue;
        // Shrunk while it was out, or closed by the server (PgBouncer drops a client whose
        // server went away): close it; the next checkout opens a fresh one.
        if (i >= m_size || PQstatus(connection) == CONNECTION_BAD) {
            PQfinish(connection);
            m_slots.removeAt(i);
        } else {
            m_slots[i].inUse = false;
            m_slots[i].stack.clear();
        }
        break;
    }
    m_freed.notify_one();
}

void ConnectionPool::abandon(pg_conn *connection)
{
    std::lock_guard lock(m_mutex);
    for (Slot &slot : m_slots) {
        if (slot.connection == connection)
            slot.abandoned = true;
    }
}

void ConnectionPool::closeAbandoned()
{
    std::lock_guard lock(m_mutex);
    for (auto slot = m_slots.begin(); slot != m_slots.end();) {
        if (slot->abandoned) {
            PQfinish(slot->connection);
            slot = m_slots.erase(slot);
        } else {
            ++slot;
        }
    }
    m_freed.notify_all();
}

void ConnectionPool::resize(int size)
{
    std::lock_guard lock(m_mutex);
    m_size = qMax(1, size);
    // Idle connections above the new size close now; busy ones when they come back.
    for (int i = int(m_slots.size()) - 1; i >= m_size; --i) {
        if (!m_slots[i].inUse) {
            PQfinish(m_slots[i].connection);
            m_slots.removeAt(i);
        }
    }
    m_freed.notify_all();
}

ConnectionPool::Stats ConnectionPool::stats() const
{
    std::lock_guard lock(m_mutex);
    Stats stats = m_stats;
    stats.size = m_size;
    stats.open = int(m_slots.size());
    stats.inUse = int(std::count_if(m_slots.cbegin(), m_slots.cend(), [](const Slot &s) { return s.inUse; }));
    stats.abandoned = int(std::count_if(m_slots.cbegin(), m_slots.cend(), [](const Slot &s) { return s.abandoned; }));
    return stats;
}

bool ConnectionPool::exec(pg_conn *connection, const QString &sql, const QString &route, QString *error)
{
    QString stack;
    {
        std::lock_guard lock(m_mutex);
        for (const Slot &slot : std::as_const(m_slots)) {
            if (slot.connection == connection)
                stack = slot.stack;
        }
    }
    // sqlcommenter: keys sorted, values percent-encoded and single-quoted.
    const QString comment = QStringLiteral(" /*application='%1',route='%2',stack='%3'*/")
                                .arg(QString::fromLatin1(QUrl::toPercentEncoding(m_service)),
                                     QString::fromLatin1(QUrl::toPercentEncoding(route)), stack);
    PGresult *result = PQexec(connection, (sql + comment).toUtf8().constData());
    const ExecStatusType status = PQresultStatus(result);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok) {
        const QString message = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
        const char *sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        noteError(message.isEmpty() ? QString::fromUtf8(PQerrorMessage(connection)).trimmed() : message,
                  sqlstate ? sqlstate : "");
        if (error)
            *error = message;
    }
    PQclear(result);
    return ok;
}

} // namespace poolscope::workload
