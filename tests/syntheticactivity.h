#pragma once

// A server's pg_stat_activity evolving sample by sample, from a seed: sessions come and go,
// queries start and finish, transactions are left open, some wait on locks. What the
// recording tests and the recording size benchmark feed the recorder.

#include "actions/auditreader.h"
#include "model/bouncersnapshot.h"
#include "analysis/classifier.h"
#include "analysis/owners.h"
#include "model/snapshot.h"

#include <QRandomGenerator>

// A terminate of `pid` on `target` that went through, as the audit log records it.
inline poolscope::AuditEntry terminateEntry(qint64 timeMs, const QString &target, int pid)
{
    poolscope::AuditEntry entry;
    entry.time = QDateTime::fromMSecsSinceEpoch(timeMs, Qt::UTC);
    entry.target = target;
    entry.action = QStringLiteral("terminate");
    entry.arguments = QJsonObject{{QStringLiteral("pid"), pid}};
    entry.status = QStringLiteral("done");
    return entry;
}

class SyntheticActivity
{
public:
    struct Profile
    {
        int sessions = 200;
        double changingPerSample = 0.1; // share of sessions whose query or state changes each sample
        double churnPerSample = 0.005;  // share replaced by new backends each sample
        qint64 intervalMs = 1000;
    };

    SyntheticActivity(quint32 seed, const Profile &profile)
        : m_random(seed)
        , m_profile(profile)
    {
        m_snapshot.serverVersion = QStringLiteral("15.18");
        m_snapshot.serverVersionNum = 150018;
        m_snapshot.takenAtMs = 1'790'000'000'000;
        m_snapshot.ownPid = 100;
        m_snapshot.limits.maxConnections = qMax(100, profile.sessions + 50);
        m_snapshot.limits.superuserReserved = 3;
        m_snapshot.limits.roles = {{QStringLiteral("billing"), 40, 0}};
        poolscope::Session own = newSession();
        own.pid = 100;
        own.own = true;
        own.applicationName = QStringLiteral("poolscope");
        m_snapshot.sessions.append(own);
        for (int i = 0; i < profile.sessions; ++i)
            m_snapshot.sessions.append(newSession());
    }

    // The next sample, tagged and classified as the sampler would hand it over.
    poolscope::Snapshot next(const poolscope::LeakRules &rules = {})
    {
        using namespace poolscope;
        m_snapshot.takenAtMs += m_profile.intervalMs;
        m_snapshot.readMs = 1 + m_random.bounded(40) / 10.0;
        const qint64 now = m_snapshot.takenAtMs;
        QList<Session> &sessions = m_snapshot.sessions;
        const int churn = poisson(m_profile.churnPerSample * sessions.size());
        for (int i = 0; i < churn && sessions.size() > 2; ++i) {
            const int at = 1 + int(m_random.bounded(quint32(sessions.size() - 1)));
            sessions.removeAt(at);
            sessions.insert(1 + int(m_random.bounded(quint32(sessions.size()))), newSession());
        }
        const int changing = poisson(m_profile.changingPerSample * sessions.size());
        for (int i = 0; i < changing; ++i) {
            Session &s = sessions[1 + int(m_random.bounded(quint32(sessions.size() - 1)))];
            step(s, now);
        }
        // A lock queue now and then: the first active session blocks the next two.
        for (Session &s : sessions)
            s.blockedBy.clear();
        if ((now / m_profile.intervalMs) % 7 == 0 && sessions.size() > 4) {
            sessions[2].waitEventType = QStringLiteral("Lock");
            sessions[2].waitEvent = QStringLiteral("transactionid");
            sessions[2].state = QStringLiteral("active");
            sessions[2].blockedBy = {sessions[3].pid};
        }
        if (m_random.bounded(50) == 0)
            m_snapshot.limits.maxConnections += 1; // a reload with a new max_connections
        Snapshot out = m_snapshot;
        m_tags.apply(out);
        classify(out, rules);
        return out;
    }

    static poolscope::BouncerSnapshot bouncerAt(int step)
    {
        using namespace poolscope;
        BouncerSnapshot b;
        b.version = QStringLiteral("1.18.0");
        b.versionNum = 11800;
        b.takenAtMs = 1'790'000'000'000 + step * 1000;
        b.clientsReadAtMs = b.takenAtMs;
        b.lists = {{QStringLiteral("pools"), 3}, {QStringLiteral("used_clients"), 20 + step % 5}};
        for (const char *db : {"shop", "catalog", "pgbouncer"}) {
            BouncerPool pool;
            pool.database = QLatin1String(db);
            pool.user = QStringLiteral("shop");
            pool.clActive = (step * 3) % 11;
            pool.clWaiting = step % 4 == 0 ? step % 9 : 0;
            pool.clIdle = step % 3;
            pool.svActive = (step * 7) % 10;
            pool.svIdle = 10 - pool.svActive;
            pool.maxWaitSeconds = pool.clWaiting ? 0.25 * (step % 5) : 0;
            pool.poolMode = QStringLiteral("transaction");
            pool.size = 10;
            pool.sizeSource = QStringLiteral("default_pool_size");
            b.pools.append(pool);
            BouncerDatabase database;
            database.name = pool.database;
            database.host = QStringLiteral("127.0.0.1");
            database.port = 5432;
            database.poolSize = 10;
            database.paused = step % 13 == 0;
            b.databases.append(database);
            BouncerStats stats;
            stats.database = pool.database;
            stats.totalXacts = 1000 + step * 37;
            stats.xactsPerSecond = 37;
            b.stats.append(stats);
        }
        for (int c = 0; c < 20; ++c) {
            BouncerConnection client;
            client.ptr = QStringLiteral("0x%1").arg(0x5000 + c + (c < step % 20 ? 100 : 0), 0, 16);
            client.user = QStringLiteral("shop");
            client.database = QStringLiteral("shop");
            client.state = c % 4 == step % 4 ? QStringLiteral("waiting") : QStringLiteral("active");
            client.addr = QStringLiteral("10.0.0.%1").arg(c);
            client.port = 40000 + c;
            client.applicationName = c % 2 ? QStringLiteral("orders") : QStringLiteral("catalog");
            client.waitSeconds = client.state == QLatin1String("waiting") ? 0.5 : 0;
            b.clients.append(client);
        }
        b.settings = {{QStringLiteral("max_client_conn"), QStringLiteral("100"), QStringLiteral("100"), true},
                      {QStringLiteral("default_pool_size"), QString::number(10 + step / 10), QStringLiteral("20"), true}};
        if (step % 6 == 0)
            b.findings = {{Finding::Severity::Warning, QStringLiteral("waiting"), QStringLiteral("clients wait")}};
        return b;
    }

private:
    int poisson(double mean)
    {
        // Good enough: the mean, with a little spread.
        const int base = int(mean);
        return base + (m_random.generateDouble() < mean - base ? 1 : 0);
    }

    poolscope::Session newSession()
    {
        using namespace poolscope;
        static const char *const apps[] = {"billing", "orders", "catalog", "search", "reports", "auth"};
        Session s;
        s.pid = m_nextPid++;
        s.database = QStringLiteral("shop");
        s.user = m_random.bounded(4) == 0 ? QStringLiteral("reporting") : QStringLiteral("shop");
        s.applicationName = QLatin1String(apps[m_random.bounded(6)]);
        s.clientAddr = QStringLiteral("10.1.%1.%2").arg(m_random.bounded(4)).arg(m_random.bounded(250));
        s.clientPort = 30000 + int(m_random.bounded(30000));
        s.backendStartMs = m_snapshot.takenAtMs - m_random.bounded(3600) * 1000;
        s.backendType = QStringLiteral("client backend");
        s.state = QStringLiteral("idle");
        s.stateChangeMs = m_snapshot.takenAtMs - m_random.bounded(600) * 1000;
        s.queryStartMs = s.stateChangeMs - 3;
        s.query = queryFor(s);
        s.visible = m_random.bounded(50) != 0;
        return s;
    }

    QString queryFor(const poolscope::Session &s)
    {
        static const char *const tables[] = {"orders", "line_items", "customers", "products", "invoices"};
        const int frame = int(m_random.bounded(8));
        const QString table = QLatin1String(tables[m_random.bounded(5)]);
        return QStringLiteral("SELECT * FROM %1 WHERE id = $1 /* application='%2',code_location='%3.py:%4',"
                              "stack='%3.handle:%4|%3.route:12|app.dispatch:88' */")
            .arg(table, s.applicationName, s.applicationName)
            .arg(100 + frame * 7);
    }

    void step(poolscope::Session &s, qint64 now)
    {
        const quint32 roll = m_random.bounded(100);
        s.waitEventType.clear();
        s.waitEvent.clear();
        if (roll < 45) { // a query starts
            s.state = QStringLiteral("active");
            s.queryStartMs = now - m_random.bounded(200);
            s.stateChangeMs = s.queryStartMs;
            s.query = queryFor(s);
            s.queryId = qint64(qHash(s.query.left(s.query.indexOf(u'/')))); // one per statement, as compute_query_id
            if (s.xactStartMs == 0)
                s.xactStartMs = s.queryStartMs;
            if (s.backendXid.isEmpty() && m_random.bounded(10) < 3) // a write: PostgreSQL assigns an xid
                s.backendXid = QString::number(700000 + m_nextPid * 13 + m_random.bounded(1000));
        } else if (roll < 85) { // it finishes
            s.state = QStringLiteral("idle");
            s.stateChangeMs = now - m_random.bounded(200);
            s.xactStartMs = 0;
            s.backendXid.clear();
            s.query = QStringLiteral("COMMIT");
        } else if (roll < 97) { // it returns to the pool inside its transaction
            s.state = QStringLiteral("idle in transaction");
            s.stateChangeMs = now - m_random.bounded(200);
            if (s.xactStartMs == 0)
                s.xactStartMs = s.stateChangeMs - 5;
        } else { // an error on the path that forgets to roll back
            s.state = QStringLiteral("idle in transaction (aborted)");
            s.stateChangeMs = now - m_random.bounded(200);
            if (s.xactStartMs == 0)
                s.xactStartMs = s.stateChangeMs - 5;
        }
        if (m_random.bounded(10) == 0) {
            s.waitEventType = QStringLiteral("Client");
            s.waitEvent = QStringLiteral("ClientRead");
        }
    }

    QRandomGenerator m_random;
    Profile m_profile;
    poolscope::Snapshot m_snapshot;
    poolscope::TagMemory m_tags;
    int m_nextPid = 1000;
};
