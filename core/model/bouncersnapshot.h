#pragma once

#include "model/snapshot.h"

#include <QMap>

#include <optional>

namespace poolscope {

// One pool: a (database, user) pair, as SHOW POOLS shows it, plus its effective size.
struct BouncerPool
{
    QString database;
    QString user;
    int clActive = 0;
    int clWaiting = 0;
    std::optional<int> clIdle; // 1.25+: idle clients are counted apart from active ones
    int clCancelRequests = 0;
    int svActive = 0;
    int svIdle = 0;
    int svUsed = 0;
    int svTested = 0;
    int svLogin = 0;
    double maxWaitSeconds = 0;
    QString poolMode;
    // Derived from SHOW DATABASES / SHOW CONFIG.
    int size = 0;          // the pool's effective size
    QString sizeSource;    // "database pool_size" or "default_pool_size"
    int reserve = 0;
    int servers() const { return svActive + svIdle + svUsed + svTested + svLogin; }
    // The console's own pseudo-pool: its one client is the inspector itself.
    bool isAdminConsole() const { return database == QLatin1String("pgbouncer"); }
    double utilisation() const { return size > 0 ? double(svActive) / size : 0; }
};

// One row of SHOW CLIENTS or SHOW SERVERS: PgBouncer answers both with the same columns.
struct BouncerConnection
{
    QString id; // 1.24+: what KILL_CLIENT takes
    QString user;
    QString database;
    QString state; // clients: active, waiting, idle (1.25+)…; servers: active, idle, used, tested, new…
    QString addr;
    int port = 0;
    int localPort = 0;  // a server's local port = pg_stat_activity.client_port of its backend
    QString ptr;
    QString link;       // the server a client holds, or the client a server serves; empty if none
    int remotePid = 0;  // a server's backend pid = pg_stat_activity.pid
    QString applicationName;
    double waitSeconds = 0; // clients: how long it has waited for a server
    QString connectTime;
    QString requestTime;
};
using BouncerClient = BouncerConnection;
using BouncerServer = BouncerConnection;

struct BouncerDatabase
{
    QString name;
    QString host;
    int port = 0;
    QString database;
    QString forceUser;
    int poolSize = 0;
    int minPoolSize = 0;
    int reservePool = 0;
    QString poolMode;
    int maxConnections = 0;
    int currentConnections = 0;
    bool paused = false;
    bool disabled = false;
};

struct BouncerSetting
{
    QString key;
    QString value;
    QString defaultValue;
    bool changeable = false;
};

struct BouncerStats
{
    QString database;
    qint64 totalXacts = 0;
    qint64 totalQueries = 0;
    qint64 totalWaitUs = 0;
    qint64 totalXactTimeUs = 0;
    qint64 totalReceived = 0;
    qint64 totalSent = 0;
    // Per second since the previous sample; 0 after a counter went backwards.
    double xactsPerSecond = 0;
    double queriesPerSecond = 0;
    double waitMsPerSecond = 0;
    double avgXactMs = 0; // mean transaction time over the interval (0: no transaction in it)
};

// Sums over a console's pools, its own pseudo-pool left out (its one client is the inspector).
struct BouncerTotals
{
    int pools = 0;
    int clientsActive = 0;
    int clientsWaiting = 0;
    int clientsIdle = 0;   // 1.25+
    int serversActive = 0;
    int serversIdle = 0;
    int serversUsed = 0;
    int serversOther = 0;  // tested or logging in
    int poolSize = 0;      // the pools' effective sizes added up
    double maxWaitSeconds = 0;
    int clients() const { return clientsActive + clientsWaiting + clientsIdle; }
    int servers() const { return serversActive + serversIdle + serversUsed + serversOther; }
};

// What one sample of a PgBouncer admin console saw.
struct BouncerSnapshot
{
    QString target;
    QString version;     // "1.18.0"
    int versionNum = 0;  // 11800
    qint64 takenAtMs = 0; // client clock: the console has no clock of its own to ask
    qint64 clientsReadAtMs = 0; // when SHOW CLIENTS/SERVERS were last read (they are costly)
    QList<BouncerPool> pools;
    QList<BouncerClient> clients;
    QList<BouncerServer> servers;
    QList<BouncerDatabase> databases;
    QList<BouncerSetting> settings;
    QList<BouncerStats> stats;
    QMap<QString, qint64> lists;   // SHOW LISTS
    QStringList missingCommands;   // commands this console did not know
    QList<Finding> findings;

    QString setting(const QString &key) const;
    std::optional<BouncerSetting> findSetting(const QString &key) const;
    bool hasKillClient() const { return versionNum >= 12400; }
    BouncerTotals totals() const;
};
using BouncerSnapshotPtr = std::shared_ptr<const BouncerSnapshot>;

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::BouncerSnapshotPtr)
