#include "postgres/pgreader.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace poolscope {

namespace {

// Milliseconds since the epoch on the server's clock; NULL stays NULL. date_part() rather
// than extract(): since PostgreSQL 14 extract() computes in numeric, several times slower
// over thousands of rows.
QByteArray epochMs(const char *column)
{
    return QByteArray("date_part('epoch', ") + column + ") * 1000 AS " + column;
}

// Columns other roles' rows come back without when we lack pg_read_all_stats.
const char *const kHiddenColumns[] = {"datname", "application_name", "client_addr", "client_port", "backend_start",
                                      "xact_start", "query_start", "state_change", "wait_event_type", "wait_event",
                                      "state", "backend_xid", "backend_xmin", "query", "backend_type"};

qint64 msOrZero(const PgResult &r, int row, int column) { return qint64(r.toDouble(row, column, 0)); }

QList<int> parsePidArray(const char *text)
{
    // "{123,456}" as PostgreSQL prints int[].
    QList<int> pids;
    const QByteArray raw(text);
    if (raw.size() < 2)
        return pids;
    for (const QByteArray &part : raw.mid(1, raw.size() - 2).split(',')) {
        bool ok = false;
        const int pid = part.toInt(&ok);
        if (ok)
            pids.append(pid);
    }
    return pids;
}

// A time setting as current_setting() shows it: "0", "500ms", "30s", "5min", "1h", "1d"; a
// bare number is in the setting's unit, milliseconds for the timeouts read here.
qint64 settingMs(const PgResult &r, int column)
{
    const QByteArray text = QByteArray(r.raw(0, column)).trimmed();
    qsizetype digits = 0;
    while (digits < text.size() && (std::isdigit(uchar(text[digits])) || text[digits] == '.'))
        ++digits;
    const double value = text.left(digits).toDouble();
    const QByteArray unit = text.mid(digits).trimmed();
    static const std::pair<const char *, double> units[] = {{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"min", 60'000},
                                                            {"h", 3'600'000}, {"d", 86'400'000}};
    for (const auto &[name, factor] : units) {
        if (unit == name)
            return qint64(value * factor);
    }
    return qint64(value);
}

} // namespace

PgReader::PgReader(const PgConnection &connection) : m_version(connection.serverVersion())
{
    // Only what the analysis uses. datid and usesysid stay visible in other roles' rows without
    // pg_read_all_stats and tell a hidden client backend from a hidden background process.
    // The same names from the view and from pg_stat_get_activity() joined by hand (below).
    QByteArrayList head{"pid", "datid IS NOT NULL AS has_database", "usesysid IS NOT NULL AS has_user", "datname",
                        "usename", "application_name", "host(client_addr) AS client_addr", "client_port",
                        epochMs("backend_start"), epochMs("xact_start"), epochMs("query_start"),
                        epochMs("state_change"), "wait_event_type", "wait_event", "state",
                        "backend_xid::text AS backend_xid", "backend_xmin::text AS backend_xmin", "backend_type"};
    QByteArrayList tail;
    if (m_version >= 130000)
        tail.append("leader_pid");
    if (m_version >= 140000)
        tail.append("query_id");
    // pg_blocking_pids is expensive: ask only for sessions that wait on a lock.
    tail.append("CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END AS blocked_by");
    tail.append("pid = pg_backend_pid() AS is_own");
    m_activityHead = "SELECT " + head.join(", ") + ", ";
    m_activityTail = ", " + tail.join(", ");
    m_activityColumns = int(head.size() + 1 + tail.size());

    // current_setting() rather than pg_settings, which builds every setting's row each time.
    QByteArray settings = "SELECT date_part('epoch', clock_timestamp()) * 1000 AS now_ms, "
                          "pg_backend_pid() AS own_pid, "
                          "current_setting('max_connections')::int AS max_connections, "
                          "current_setting('superuser_reserved_connections')::int AS superuser_reserved, ";
    settings += m_version >= 160000 ? "current_setting('reserved_connections')::int AS reserved, "
                                    : "0 AS reserved, ";
    settings += "current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction_timeout, ";
    settings += m_version >= 140000 ? "current_setting('idle_session_timeout') AS idle_session_timeout, "
                                    : "NULL AS idle_session_timeout, ";
    // Connections ever made (14+): their rate is the connect-storm evidence, also for sessions
    // that came and went between two samples.
    settings += m_version >= 140000 ? "(SELECT sum(sessions) FROM pg_stat_database)::bigint AS sessions_opened, "
                                    : "NULL::bigint AS sessions_opened, ";
    settings += "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
                "OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS full_visibility, "
                "(SELECT string_agg(rolname || '=' || rolconnlimit, ',') FROM pg_roles WHERE rolconnlimit >= 0) AS "
                "role_limits, "
                "(SELECT string_agg(datname || '=' || datconnlimit, ',') FROM pg_database WHERE datconnlimit >= 0) AS "
                "database_limits";
    m_settingsSql = settings;
}

namespace {

QByteArray pidList(const QList<int> &pids)
{
    QByteArray list;
    list.reserve(pids.size() * 7);
    for (int pid : pids) {
        if (!list.isEmpty())
            list += ',';
        list += QByteArray::number(pid);
    }
    return list;
}

} // namespace

QByteArray PgReader::sqlFor(qint64 cutoffMs, const QList<int> &missing, const QList<int> &idle) const
{
    QByteArray query = "query";
    const QByteArray cutoff = "to_timestamp(" + QByteArray::number(double(cutoffMs) / 1000.0, 'f', 3) + ")";
    if (cutoffMs > 0) {
        query = "CASE WHEN query_start >= " + cutoff + " OR backend_start >= " + cutoff;
        if (!missing.isEmpty())
            query += " OR pid IN (" + pidList(missing) + ")";
        query += " THEN query END AS query";
    }
    if (cutoffMs <= 0 || idle.isEmpty())
        return m_settingsSql + ";\n" + m_activityHead + query + m_activityTail + " FROM pg_stat_activity";

    // Sessions that were idle at the last read and have neither run a statement nor been
    // replaced by a new backend since (pid reuse needs a new backend_start) are the same as
    // then: only their pid is sent. pg_stat_get_activity(NULL) builds every column of every
    // backend (and looks each one's PGPROC up in a linear scan); the per-backend functions
    // read only what is asked, and the full row is built for the others alone.
    const QByteArray idlePids = "'{" + pidList(idle) + "}'::int[]";
    const QByteArray known = m_version >= 140000
        ? QByteArray("pg_stat_get_backend_pid(id) = ANY(" + idlePids + ")")
        : QByteArray("pg_stat_get_backend_pid(id) IN (SELECT unnest(" + idlePids + "))"); // hashed before 14's ANY
    QByteArray padding;
    for (int column = 1; column < m_activityColumns; ++column)
        padding += ", NULL";
    return m_settingsSql + ";\n"
        + "WITH b AS (SELECT pg_stat_get_backend_pid(id) AS b_pid, COALESCE(pg_stat_get_backend_start(id) < " + cutoff
        + " AND pg_stat_get_backend_activity_start(id) < " + cutoff + " AND " + known
        + ", false) AS unchanged FROM pg_stat_get_backend_idset() AS id)\n" + m_activityHead + query + m_activityTail
        + ", false AS unchanged FROM b CROSS JOIN LATERAL pg_stat_get_activity(b.b_pid) AS s "
          "LEFT JOIN (SELECT oid AS d_oid, datname FROM pg_database) AS d ON d.d_oid = s.datid "
          "LEFT JOIN (SELECT oid AS r_oid, rolname AS usename FROM pg_roles) AS r ON r.r_oid = s.usesysid "
          "WHERE NOT b.unchanged\n"
          "UNION ALL SELECT b_pid"
        + padding + ", true FROM b WHERE b.unchanged";
}

QString PgReader::Interner::get(const char *raw, int length)
{
    for (int i = 0; i < m_used; ++i) {
        const Entry &entry = m_entries[size_t(i)];
        if (entry.bytes.size() == length && std::memcmp(entry.bytes.constData(), raw, size_t(length)) == 0)
            return entry.text;
    }
    Entry &slot = m_entries[size_t(m_used < int(m_entries.size()) ? m_used++ : m_next++ % int(m_entries.size()))];
    slot.bytes = QByteArray(raw, length);
    slot.text = QString::fromUtf8(raw, length);
    return slot.text;
}

PgError PgReader::read(PgConnection &connection, std::chrono::milliseconds timeout, Snapshot *snapshot)
{
    const auto started = Clock::now();
    QList<PgResult> results;
    // Simple protocol: both statements in one round trip, and no parameters are needed.
    m_sql = sqlFor(m_lastServerMs > 0 ? m_lastServerMs - 1000 : 0, m_missing, m_idle.keys());
    PgError error = connection.execSimple(m_sql, timeout, &results);
    if (error.isError())
        return error;
    if (results.size() != 2)
        return PgError::fromMessage(PgError::Kind::Query, QStringLiteral("unexpected answer to the activity query"));
    snapshot->readMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();

    const PgResult &s = results[0];
    snapshot->serverVersionNum = m_version;
    snapshot->serverVersion = connection.parameter("server_version");
    snapshot->takenAtMs = qint64(s.toDouble(0, s.column("now_ms")));
    snapshot->ownPid = int(s.toInt64(0, s.column("own_pid")));
    Limits &limits = snapshot->limits;
    limits.maxConnections = int(s.toInt64(0, s.column("max_connections")));
    limits.superuserReserved = int(s.toInt64(0, s.column("superuser_reserved")));
    limits.reserved = int(s.toInt64(0, s.column("reserved")));
    limits.hasReservedConnections = m_version >= 160000;
    limits.idleInTransactionTimeoutMs = settingMs(s, s.column("idle_in_transaction_timeout"));
    limits.hasIdleSessionTimeout = m_version >= 140000;
    limits.idleSessionTimeoutMs = settingMs(s, s.column("idle_session_timeout"));
    snapshot->fullVisibility = s.toBool(0, s.column("full_visibility"));
    if (const int opened = s.column("sessions_opened"); !s.isNull(0, opened))
        snapshot->sessionsOpened = s.toInt64(0, opened);
    const auto readLimits = [&](const char *column) {
        QList<ConnectionLimit> list;
        for (const QString &item : s.text(0, s.column(column)).split(u',', Qt::SkipEmptyParts)) {
            const qsizetype eq = item.lastIndexOf(u'=');
            if (eq > 0)
                list.append({item.first(eq), item.sliced(eq + 1).toInt()});
        }
        return list;
    };
    limits.roles = readLimits("role_limits");
    limits.databases = readLimits("database_limits");

    const PgResult &a = results[1];
    const int cPid = a.column("pid"), cDat = a.column("datname"), cUser = a.column("usename"),
              cApp = a.column("application_name"), cAddr = a.column("client_addr"), cPort = a.column("client_port"),
              cBackendStart = a.column("backend_start"), cXact = a.column("xact_start"),
              cQueryStart = a.column("query_start"), cStateChange = a.column("state_change"),
              cWaitType = a.column("wait_event_type"), cWait = a.column("wait_event"), cState = a.column("state"),
              cXid = a.column("backend_xid"), cXmin = a.column("backend_xmin"), cQuery = a.column("query"),
              cType = a.column("backend_type"), cLeader = a.column("leader_pid"), cQueryId = a.column("query_id"),
              cBlocked = a.column("blocked_by"), cOwn = a.column("is_own"), cHasDatabase = a.column("has_database"),
              cHasUser = a.column("has_user"), cUnchanged = a.column("unchanged");
    const int rows = a.rows();
    const auto interned = [&a](Interner &interner, int row, int column) {
        return a.isNull(row, column) ? QString() : interner.get(a.raw(row, column), a.length(row, column));
    };
    QHash<quint64, RememberedQuery> queries;
    queries.reserve(rows);
    snapshot->sessions.clear();
    snapshot->sessions.reserve(rows);
    snapshot->backgroundProcesses = 0;
    bool anyHidden = false;
    QList<int> missing;
    QHash<int, Session> idle;
    idle.reserve(m_idle.size());
    for (int row = 0; row < rows; ++row) {
        if (cUnchanged >= 0 && a.toBool(row, cUnchanged)) {
            // Only listed when it was idle at the last read (the server checks the pid).
            const int pid = int(a.toInt64(row, cPid));
            const auto same = m_idle.constFind(pid);
            if (same == m_idle.cend())
                continue;
            queries.insert(same->key(), {same->queryStartMs, same->query});
            snapshot->sessions.append(*same);
            idle.insert(pid, *same);
            continue;
        }
        // Another role's row without pg_read_all_stats: no backend_type, no state. Its database
        // and role are still there, and a background process has neither (autovacuum, the
        // walwriter…), so it is not counted as a client taking a slot.
        const bool hidden = a.isNull(row, cType);
        const bool background = hidden ? !a.toBool(row, cHasDatabase) || !a.toBool(row, cHasUser)
                                       : std::strcmp(a.raw(row, cType), "client backend") != 0;
        if (background) {
            ++snapshot->backgroundProcesses;
            continue;
        }
        Session session;
        session.pid = int(a.toInt64(row, cPid));
        session.user = interned(m_user, row, cUser);
        session.visible = !hidden;
        session.own = a.toBool(row, cOwn);
        if (hidden) {
            anyHidden = true;
            session.state = QStringLiteral("<insufficient privilege>");
            snapshot->sessions.append(std::move(session));
            continue;
        }
        session.database = interned(m_database, row, cDat);
        session.applicationName = interned(m_application, row, cApp);
        session.clientAddr = interned(m_clientAddr, row, cAddr);
        session.clientPort = int(a.toInt64(row, cPort, -1));
        session.backendStartMs = msOrZero(a, row, cBackendStart);
        session.xactStartMs = msOrZero(a, row, cXact);
        session.queryStartMs = msOrZero(a, row, cQueryStart);
        session.stateChangeMs = msOrZero(a, row, cStateChange);
        session.waitEventType = interned(m_waitType, row, cWaitType);
        session.waitEvent = interned(m_wait, row, cWait);
        session.state = interned(m_state, row, cState);
        session.backendXid = a.text(row, cXid);
        session.backendXmin = a.text(row, cXmin);
        session.backendType = interned(m_backendType, row, cType);
        // Same session, same query_start: same text as last time (the server did not send it
        // again), already converted.
        const quint64 key = session.key();
        const auto remembered = m_queries.constFind(key);
        if (remembered != m_queries.cend() && remembered->queryStartMs == session.queryStartMs)
            session.query = remembered->text;
        else if (!a.isNull(row, cQuery))
            session.query = a.text(row, cQuery);
        else
            missing.append(session.pid); // not sent and not known: asked for by the next read
        if (!session.query.isNull() || a.isNull(row, cQueryStart))
            queries.insert(key, {session.queryStartMs, session.query});
        session.leaderPid = int(a.toInt64(row, cLeader, 0));
        if (cQueryId >= 0 && !a.isNull(row, cQueryId))
            session.queryId = a.toInt64(row, cQueryId);
        if (!a.isNull(row, cBlocked))
            session.blockedBy = parsePidArray(a.raw(row, cBlocked));
        // An idle session changes by running a statement (a new query_start) or going away:
        // the next read sends only its pid until then (the analysis' fields are still empty
        // here). Not one idle in a transaction: a fast-path call (PQfn) moves state_change
        // without a new query_start, and the leak verdicts rest on that age.
        if (!session.own && !session.query.isNull() && session.state == u"idle")
            idle.insert(session.pid, session);
        snapshot->sessions.append(std::move(session));
    }
    // The server sends changed rows first: keep the view's order, by pid.
    std::sort(snapshot->sessions.begin(), snapshot->sessions.end(),
              [](const Session &x, const Session &y) { return x.pid < y.pid; });
    m_queries.swap(queries); // sessions that are gone are forgotten
    m_idle.swap(idle);
    m_missing = missing;
    m_lastServerMs = snapshot->takenAtMs;
    snapshot->hiddenColumns.clear();
    if (anyHidden) {
        for (const char *column : kHiddenColumns)
            snapshot->hiddenColumns.append(QString::fromLatin1(column));
    }
    return {};
}

} // namespace poolscope
