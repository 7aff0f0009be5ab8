#include "bouncerreport.h"

#include "textreport.h"

#include "analysis/classifier.h"
#include "output/safetext.h"
#include "output/snapshotjson.h"

namespace poolscope::cli {

void printBouncerReport(QTextStream &stream, const BouncerSnapshot &bouncer, const Snapshot *postgres,
                        const LinkedLayers &linked, int width, int maxClients)
{
    // Names, versions and findings come from the console and the server: shown, never obeyed.
    stream << "PgBouncer " << safeLine(bouncer.version) << " at " << safeLine(bouncer.target) << "   "
           << isoTime(bouncer.takenAtMs) << "   pool_mode " << safeLine(bouncer.setting(QStringLiteral("pool_mode")))
           << ", default_pool_size " << safeLine(bouncer.setting(QStringLiteral("default_pool_size")))
           << ", max_client_conn " << safeLine(bouncer.setting(QStringLiteral("max_client_conn"))) << "\n";
    if (postgres)
        stream << "Linked to PostgreSQL " << safeLine(postgres->serverVersion) << " at " << safeLine(postgres->target)
               << "\n";
    if (!bouncer.missingCommands.isEmpty())
        stream << "note: this console does not answer " << bouncer.missingCommands.join(QStringLiteral(", ")) << "\n";
    for (const QList<Finding> *findings : {&linked.findings, &bouncer.findings}) {
        for (const Finding &finding : *findings)
            stream << (finding.severity == Finding::Severity::Critical ? "CRITICAL: " : "WARNING: ")
                   << safeLine(finding.message) << "\n";
    }

    stream << "\nPools:\n";
    TextTable pools({QStringLiteral("DATABASE"), QStringLiteral("USER"), QStringLiteral("MODE"), QStringLiteral("SIZE"),
                     QStringLiteral("FROM"), QStringLiteral("RESERVE"), QStringLiteral("CL_ACTIVE"),
                     QStringLiteral("CL_WAITING"), QStringLiteral("SV_ACTIVE"), QStringLiteral("SV_IDLE"),
                     QStringLiteral("SV_USED"), QStringLiteral("MAXWAIT"), QStringLiteral("USED")});
    for (const BouncerPool &p : bouncer.pools) {
        pools.addRow({p.database, p.user, p.poolMode, QString::number(p.size), p.sizeSource, QString::number(p.reserve),
                      QString::number(p.clActive), QString::number(p.clWaiting), QString::number(p.svActive),
                      QString::number(p.svIdle), QString::number(p.svUsed), formatDuration(p.maxWaitSeconds),
                      QStringLiteral("%1 %").arg(qRound(p.utilisation() * 100))});
    }
    pools.print(stream, width);

    stream << "\nDatabases:\n";
    TextTable databases({QStringLiteral("DATABASE"), QStringLiteral("HOST"), QStringLiteral("PORT"), QStringLiteral("DBNAME"),
                         QStringLiteral("POOL_SIZE"), QStringLiteral("MODE"), QStringLiteral("MAX_CONN"),
                         QStringLiteral("CURRENT"), QStringLiteral("STATE")});
    for (const BouncerDatabase &d : bouncer.databases) {
        databases.addRow({d.name, d.host, QString::number(d.port), d.database, QString::number(d.poolSize), d.poolMode,
                          QString::number(d.maxConnections), QString::number(d.currentConnections),
                          d.paused ? QStringLiteral("paused") : d.disabled ? QStringLiteral("disabled") : QStringLiteral("running")});
    }
    databases.print(stream, width);

    QStringList rates;
    for (const BouncerStats &s : bouncer.stats) {
        if (s.xactsPerSecond > 0 || s.queriesPerSecond > 0)
            rates.append(QStringLiteral("%1 %2 xact/s %3 query/s").arg(s.database).arg(s.xactsPerSecond, 0, 'f', 1)
                             .arg(s.queriesPerSecond, 0, 'f', 1));
    }
    if (!rates.isEmpty())
        stream << "Rates: " << safeLine(rates.join(QStringLiteral("; "))) << "\n";

    const double listAge = (bouncer.takenAtMs - bouncer.clientsReadAtMs) / 1000.0;
    stream << "\nClients" << (listAge >= 1 ? QStringLiteral(" (read %1 ago)").arg(formatDuration(listAge)) : QString())
           << ":\n";
    // What `poolscope kill --client` takes: the id from 1.24 on, the ptr before.
    const bool ids = std::any_of(bouncer.clients.cbegin(), bouncer.clients.cend(),
                                 [](const BouncerClient &c) { return !c.id.isEmpty(); });
    QStringList headers{ids ? QStringLiteral("ID") : QStringLiteral("PTR"), QStringLiteral("USER"), QStringLiteral("DB"), QStringLiteral("STATE"),
                        QStringLiteral("WAIT"), QStringLiteral("APPLICATION"), QStringLiteral("ADDR"),
                        QStringLiteral("SERVER PID")};
    if (postgres)
        headers << QStringLiteral("BACKEND") << QStringLiteral("FOR") << QStringLiteral("LEAK") << QStringLiteral("AT");
    TextTable clients(headers);
    int shown = 0;
    for (const ClientLink &link : linked.clients) {
        if (shown++ >= maxClients)
            break;
        const BouncerClient &c = bouncer.clients[link.client];
        QStringList row{ids ? c.id : c.ptr, c.user, c.database, c.state,
                        c.state == QLatin1String("waiting") ? formatDuration(c.waitSeconds) : QString(),
                        c.applicationName, QStringLiteral("%1:%2").arg(c.addr).arg(c.port),
                        link.server >= 0 ? QString::number(bouncer.servers[link.server].remotePid) : QString()};
        if (postgres) {
            if (link.backend >= 0) {
                const Session &b = postgres->sessions[link.backend];
                row << sessionClassName(b.sessionClass) << formatDuration(b.stateSeconds)
                    << (link.leak == LeakVerdict::None ? QString() : leakVerdictName(link.leak))
                    << (b.stack.isEmpty() ? QString() : b.stack.first());
            } else {
                row << QString() << QString() << QString() << QString();
            }
        }
        clients.addRow(row);
    }
    clients.print(stream, width);
    if (bouncer.clients.size() > maxClients)
        stream << "… and " << (bouncer.clients.size() - maxClients) << " more clients (--json lists all)\n";

    stream << "\nServers:\n";
    TextTable servers({ids ? QStringLiteral("ID") : QStringLiteral("PTR"), QStringLiteral("USER"), QStringLiteral("DB"), QStringLiteral("STATE"),
                       QStringLiteral("REMOTE PID"), QStringLiteral("LOCAL PORT"), QStringLiteral("APPLICATION")});
    for (const BouncerServer &s : bouncer.servers)
        servers.addRow({ids ? s.id : s.ptr, s.user, s.database, s.state, QString::number(s.remotePid), QString::number(s.localPort),
                        s.applicationName});
    servers.print(stream, width);
}

} // namespace poolscope::cli
