#include "pgbouncer/bouncerparse.h"

#include <QRegularExpression>

#include <algorithm>
#include <limits>

namespace poolscope {

namespace {

// Column indexes of one table, looked up once.
struct Columns
{
    const ResultTable &table;
    int operator[](const char *name) const { return int(table.columns.indexOf(QLatin1String(name))); }
};

// A number that must fit an int (a port, a pid), saturated rather than wrapped.
int toInt(const ResultTable &t, int row, int column, int fallback = 0)
{
    return int(std::clamp<qint64>(t.number(row, column, fallback), std::numeric_limits<int>::min(),
                                  std::numeric_limits<int>::max()));
}

// A count of connections. Real ones are far below this bound; a console answering nonsense
// must not make the sums PoolScope takes over them overflow.
constexpr qint64 kMostConnections = 100'000'000;

int toCount(const ResultTable &t, int row, int column)
{
    return int(std::clamp<qint64>(t.number(row, column, 0), 0, kMostConnections));
}

// A cumulative counter: never negative, and far enough from the limit that differences fit.
qint64 toTotal(const ResultTable &t, int row, int column)
{
    return std::clamp<qint64>(t.number(row, column, 0), 0, std::numeric_limits<qint64>::max() / 4);
}

int settingCount(const BouncerSnapshot &snapshot, const QString &key, bool *ok)
{
    const qint64 value = snapshot.setting(key).toLongLong(ok);
    return int(std::clamp<qint64>(value, 0, kMostConnections));
}

} // namespace

BouncerTotals BouncerSnapshot::totals() const
{
    BouncerTotals t;
    for (const BouncerPool &pool : pools) {
        if (pool.isAdminConsole())
            continue;
        ++t.pools;
        t.clientsActive += pool.clActive;
        t.clientsWaiting += pool.clWaiting;
        t.clientsIdle += pool.clIdle.value_or(0);
        t.serversActive += pool.svActive;
        t.serversIdle += pool.svIdle;
        t.serversUsed += pool.svUsed;
        t.serversOther += pool.svTested + pool.svLogin;
        t.poolSize += pool.size;
        t.maxWaitSeconds = std::max(t.maxWaitSeconds, pool.maxWaitSeconds);
    }
    return t;
}

QString BouncerSnapshot::setting(const QString &key) const
{
    const auto found = findSetting(key);
    return found ? found->value : QString();
}

std::optional<BouncerSetting> BouncerSnapshot::findSetting(const QString &key) const
{
    for (const BouncerSetting &s : settings) {
        if (s.key == key)
            return s;
    }
    return std::nullopt;
}

int parseBouncerVersion(const QString &text, QString *version)
{
    static const QRegularExpression pattern(QStringLiteral(R"(PgBouncer\s+(\d{1,4})\.(\d{1,2})(?:\.(\d{1,2}))?)"));
    const auto match = pattern.match(text);
    if (!match.hasMatch())
        return 0;
    if (version)
        *version = match.captured(0).section(u' ', -1);
    return match.captured(1).toInt() * 10000 + match.captured(2).toInt() * 100 + match.captured(3).toInt();
}

QList<BouncerPool> parsePools(const ResultTable &t)
{
    const Columns c{t};
    const int database = c["database"], user = c["user"], clActive = c["cl_active"], clWaiting = c["cl_waiting"],
              clIdle = c["cl_idle"], clActiveCancel = c["cl_active_cancel_req"],
              clWaitingCancel = c["cl_waiting_cancel_req"], svActive = c["sv_active"], svIdle = c["sv_idle"],
              svUsed = c["sv_used"], svTested = c["sv_tested"], svLogin = c["sv_login"], maxWait = c["maxwait"],
              maxWaitUs = c["maxwait_us"], poolMode = c["pool_mode"];
    QList<BouncerPool> pools;
    for (int r = 0; r < t.rows.size(); ++r) {
        BouncerPool p;
        p.database = t.text(r, database);
        p.user = t.text(r, user);
        p.clActive = toCount(t, r, clActive);
        p.clWaiting = toCount(t, r, clWaiting);
        if (clIdle >= 0)
            p.clIdle = toCount(t, r, clIdle);
        p.clCancelRequests = toCount(t, r, clActiveCancel) + toCount(t, r, clWaitingCancel);
        p.svActive = toCount(t, r, svActive);
        p.svIdle = toCount(t, r, svIdle);
        p.svUsed = toCount(t, r, svUsed);
        p.svTested = toCount(t, r, svTested);
        p.svLogin = toCount(t, r, svLogin);
        p.maxWaitSeconds = double(toTotal(t, r, maxWait)) + double(toTotal(t, r, maxWaitUs)) / 1e6;
        p.poolMode = t.text(r, poolMode);
        pools.append(p);
    }
    return pools;
}

QList<BouncerConnection> parseConnections(const ResultTable &t)
{
    const Columns c{t};
    const int id = c["id"], user = c["user"], database = c["database"], state = c["state"], addr = c["addr"],
              port = c["port"], localPort = c["local_port"], ptr = c["ptr"], link = c["link"],
              remotePid = c["remote_pid"], app = c["application_name"], wait = c["wait"], waitUs = c["wait_us"],
              connectTime = c["connect_time"], requestTime = c["request_time"];
    QList<BouncerConnection> connections;
    connections.reserve(t.rows.size());
    for (int r = 0; r < t.rows.size(); ++r) {
        BouncerConnection b;
        b.id = t.text(r, id);
        b.user = t.text(r, user);
        b.database = t.text(r, database);
        b.state = t.text(r, state);
        b.addr = t.text(r, addr);
        b.port = toInt(t, r, port);
        b.localPort = toInt(t, r, localPort);
        b.ptr = t.text(r, ptr);
        b.link = t.text(r, link);
        b.remotePid = toInt(t, r, remotePid);
        b.applicationName = t.text(r, app);
        b.waitSeconds = double(toTotal(t, r, wait)) + double(toTotal(t, r, waitUs)) / 1e6;
        b.connectTime = t.text(r, connectTime);
        b.requestTime = t.text(r, requestTime);
        connections.append(b);
    }
    return connections;
}

QList<BouncerDatabase> parseDatabases(const ResultTable &t)
{
    const Columns c{t};
    // reserve_pool was renamed reserve_pool_size in 1.24.
    const int reserve = t.has(u"reserve_pool_size") ? c["reserve_pool_size"] : c["reserve_pool"];
    const int name = c["name"], host = c["host"], port = c["port"], database = c["database"],
              forceUser = c["force_user"], poolSize = c["pool_size"], minPoolSize = c["min_pool_size"],
              poolMode = c["pool_mode"], maxConnections = c["max_connections"],
              currentConnections = c["current_connections"], paused = c["paused"], disabled = c["disabled"];
    QList<BouncerDatabase> databases;
    for (int r = 0; r < t.rows.size(); ++r) {
        BouncerDatabase d;
        d.name = t.text(r, name);
        d.host = t.text(r, host);
        d.port = toInt(t, r, port);
        d.database = t.text(r, database);
        d.forceUser = t.text(r, forceUser);
        d.poolSize = toCount(t, r, poolSize);
        d.minPoolSize = toCount(t, r, minPoolSize);
        d.reservePool = toCount(t, r, reserve);
        d.poolMode = t.text(r, poolMode);
        d.maxConnections = toCount(t, r, maxConnections);
        d.currentConnections = toCount(t, r, currentConnections);
        d.paused = toInt(t, r, paused) != 0;
        d.disabled = toInt(t, r, disabled) != 0;
        databases.append(d);
    }
    return databases;
}

QList<BouncerSetting> parseConfig(const ResultTable &t)
{
    const Columns c{t};
    const int key = c["key"], value = c["value"], defaultValue = c["default"], changeable = c["changeable"];
    QList<BouncerSetting> settings;
    for (int r = 0; r < t.rows.size(); ++r) {
        settings.append({t.text(r, key), t.text(r, value), t.text(r, defaultValue),
                         t.text(r, changeable) == QLatin1String("yes")});
    }
    return settings;
}

QList<BouncerStats> parseStats(const ResultTable &t)
{
    const Columns c{t};
    const int database = c["database"], xacts = c["total_xact_count"], queries = c["total_query_count"],
              wait = c["total_wait_time"], received = c["total_received"], sent = c["total_sent"],
              xactTime = c["total_xact_time"];
    QList<BouncerStats> stats;
    for (int r = 0; r < t.rows.size(); ++r) {
        BouncerStats s;
        s.database = t.text(r, database);
        s.totalXacts = toTotal(t, r, xacts);
        s.totalQueries = toTotal(t, r, queries);
        s.totalWaitUs = toTotal(t, r, wait);
        s.totalXactTimeUs = toTotal(t, r, xactTime);
        s.totalReceived = toTotal(t, r, received);
        s.totalSent = toTotal(t, r, sent);
        stats.append(s);
    }
    return stats;
}

QMap<QString, qint64> parseLists(const ResultTable &t)
{
    const int list = t.column(u"list"), items = t.column(u"items");
    QMap<QString, qint64> lists;
    for (int r = 0; r < t.rows.size(); ++r)
        lists.insert(t.text(r, list), t.number(r, items));
    return lists;
}

const QStringList &bouncerCommands()
{
    static const QStringList commands{QStringLiteral("version"),   QStringLiteral("config"),
                                      QStringLiteral("databases"), QStringLiteral("pools"),
                                      QStringLiteral("stats"),     QStringLiteral("lists"),
                                      QStringLiteral("clients"),   QStringLiteral("servers")};
    return commands;
}

void assembleBouncerSnapshot(BouncerSnapshot &snapshot, const QMap<QString, ResultTable> &tables)
{
    snapshot.missingCommands.clear();
    for (const QString &command : bouncerCommands()) {
        if (!tables.contains(command))
            snapshot.missingCommands.append(QStringLiteral("SHOW ") + command.toUpper());
    }
    if (const auto version = tables.constFind(QStringLiteral("version")); version != tables.cend() && !version->rows.isEmpty())
        snapshot.versionNum = parseBouncerVersion(version->text(0, 0), &snapshot.version);
    if (tables.contains(QStringLiteral("config")))
        snapshot.settings = parseConfig(tables[QStringLiteral("config")]);
    if (tables.contains(QStringLiteral("databases")))
        snapshot.databases = parseDatabases(tables[QStringLiteral("databases")]);
    if (tables.contains(QStringLiteral("pools")))
        snapshot.pools = parsePools(tables[QStringLiteral("pools")]);
    if (tables.contains(QStringLiteral("stats")))
        snapshot.stats = parseStats(tables[QStringLiteral("stats")]);
    if (tables.contains(QStringLiteral("lists")))
        snapshot.lists = parseLists(tables[QStringLiteral("lists")]);
    if (tables.contains(QStringLiteral("clients")))
        snapshot.clients = parseConnections(tables[QStringLiteral("clients")]);
    if (tables.contains(QStringLiteral("servers")))
        snapshot.servers = parseConnections(tables[QStringLiteral("servers")]);
    resolvePoolSizes(snapshot);
    snapshot.findings = databaseFindings(snapshot.databases);
}

QList<Finding> databaseFindings(const QList<BouncerDatabase> &databases)
{
    QList<Finding> findings;
    for (const BouncerDatabase &database : databases) {
        if (database.paused)
            findings.append({Finding::Severity::Warning, QStringLiteral("database-paused"),
                             QStringLiteral("database %1 is paused (RESUME lets its clients through)").arg(database.name)});
        else if (database.disabled)
            findings.append({Finding::Severity::Warning, QStringLiteral("database-disabled"),
                             QStringLiteral("database %1 is disabled: new clients are refused (ENABLE)").arg(database.name)});
    }
    return findings;
}

void resolvePoolSizes(BouncerSnapshot &snapshot)
{
    bool ok = false;
    const int defaultSize = settingCount(snapshot, QStringLiteral("default_pool_size"), &ok);
    // SHOW CONFIG names it reserve_pool_size in every version; only SHOW DATABASES renamed its column.
    const int defaultReserve = settingCount(snapshot, QStringLiteral("reserve_pool_size"), nullptr);
    for (BouncerPool &pool : snapshot.pools) {
        const auto db = std::find_if(snapshot.databases.cbegin(), snapshot.databases.cend(),
                                     [&](const BouncerDatabase &d) { return d.name == pool.database; });
        if (db == snapshot.databases.cend()) {
            pool.size = ok ? defaultSize : 0;
            pool.sizeSource = QStringLiteral("default_pool_size");
            pool.reserve = defaultReserve;
            continue;
        }
        pool.size = db->poolSize;
        // SHOW DATABASES prints the effective size; equal to the default, it cannot be told
        // apart from an explicit pool_size of the same value, and it makes no difference.
        pool.sizeSource = ok && db->poolSize == defaultSize ? QStringLiteral("default_pool_size")
                                                            : QStringLiteral("database pool_size");
        pool.reserve = db->reservePool > 0 ? db->reservePool : defaultReserve;
    }
}

void computeRates(QList<BouncerStats> &current, const QList<BouncerStats> &previous, double seconds)
{
    if (seconds <= 0)
        return;
    const auto rate = [seconds](qint64 now, qint64 before) { return now >= before ? (now - before) / seconds : 0.0; };
    for (BouncerStats &s : current) {
        const auto before = std::find_if(previous.cbegin(), previous.cend(),
                                         [&](const BouncerStats &p) { return p.database == s.database; });
        if (before == previous.cend())
            continue;
        s.xactsPerSecond = rate(s.totalXacts, before->totalXacts);
        s.queriesPerSecond = rate(s.totalQueries, before->totalQueries);
        s.waitMsPerSecond = rate(s.totalWaitUs, before->totalWaitUs) / 1000.0;
        // The mean transaction of this interval: what Little's law multiplies by the rate.
        const qint64 xacts = s.totalXacts - before->totalXacts;
        const qint64 xactTime = s.totalXactTimeUs - before->totalXactTimeUs;
        s.avgXactMs = xacts > 0 && xactTime >= 0 ? xactTime / 1000.0 / double(xacts) : 0;
    }
}

} // namespace poolscope
