#include "pgbouncer/bouncerreader.h"

#include "pgbouncer/bouncerparse.h"

#include <QDateTime>

namespace poolscope {

PgError detectTargetKind(PgConnection &connection, std::chrono::milliseconds timeout, TargetKind *kind)
{
    QList<PgResult> results;
    const PgError error = connection.execSimple("SHOW VERSION", timeout, &results);
    if (error.kind == PgError::Kind::Query) { // PostgreSQL: unrecognized configuration parameter
        *kind = TargetKind::PostgreSQL;
        return {};
    }
    if (error.isError())
        return error;
    const ResultTable table = results.isEmpty() ? ResultTable() : ResultTable::fromResult(results.first());
    const bool bouncer = !table.rows.isEmpty() && parseBouncerVersion(table.text(0, 0), nullptr) > 0;
    *kind = bouncer ? TargetKind::PgBouncer : TargetKind::PostgreSQL;
    return {};
}

bool BouncerReader::clientListsDue(qint64 usedClients, qint64 lastReadMs, qint64 nowMs)
{
    return lastReadMs == 0 || usedClients <= kManyClients || nowMs - lastReadMs >= kSlowListInterval.count();
}

PgError BouncerReader::read(PgConnection &connection, std::chrono::milliseconds timeout, BouncerSnapshot *snapshot)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QMap<QString, ResultTable> tables;
    const auto ask = [&](const QString &command) -> PgError {
        if (m_unsupported.contains(command))
            return {};
        QList<PgResult> results;
        const PgError error =
            connection.execSimple(QByteArray("SHOW ") + command.toUpper().toLatin1(), timeout, &results);
        if (error.kind == PgError::Kind::Query) {
            m_unsupported.append(command); // "invalid command": an older or trimmed console
            return {};
        }
        if (error.isError())
            return error;
        tables.insert(command, results.isEmpty() ? ResultTable() : ResultTable::fromResult(results.first()));
        return {};
    };
    for (const QString &command : {QStringLiteral("version"), QStringLiteral("config"), QStringLiteral("databases"),
                                   QStringLiteral("pools"), QStringLiteral("stats"), QStringLiteral("lists")}) {
        if (const PgError error = ask(command); error.isError())
            return error;
    }
    // The per-connection lists: every time while they are small, rarely once they are large.
    qint64 usedClients = 0;
    if (tables.contains(QStringLiteral("lists")))
        usedClients = parseLists(tables[QStringLiteral("lists")]).value(QStringLiteral("used_clients"));
    if (clientListsDue(usedClients, m_listsReadAtMs, now)) {
        for (const QString &command : {QStringLiteral("clients"), QStringLiteral("servers")}) {
            if (const PgError error = ask(command); error.isError())
                return error;
            if (tables.contains(command))
                m_lists.insert(command, tables[command]);
        }
        m_listsReadAtMs = now;
    } else {
        for (auto it = m_lists.cbegin(); it != m_lists.cend(); ++it)
            tables.insert(it.key(), it.value());
    }

    snapshot->takenAtMs = now;
    snapshot->clientsReadAtMs = m_listsReadAtMs;
    assembleBouncerSnapshot(*snapshot, tables);
    computeRates(snapshot->stats, m_previousStats, (now - m_previousStatsAtMs) / 1000.0);
    m_previousStats = snapshot->stats;
    m_previousStatsAtMs = now;
    return {};
}

} // namespace poolscope
