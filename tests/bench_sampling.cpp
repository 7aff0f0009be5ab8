// Benchmark on the bench: thousands of real idle sessions (2,000 unless POOLSCOPE_BENCH_SESSIONS
// says otherwise), each having run a 1 KB tagged query. Prints, for PoolScope's read and for the
// candidates it was chosen against, the server backend's CPU per read (from /proc, the
// scheduler's count) and the client's; then PoolScope's whole sampler path per sample (read +
// analysis). Figures only; nothing here fails on speed. The README quotes them.
#include "analysis/pipeline.h"
#include "idlesessions.h"
#include "postgres/pgreader.h"
#include "sampling/sampler.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QTextStream>
#include <QThread>

using namespace poolscope;

namespace {

struct Cost
{
    double serverMs = 0;
    double clientMs = 0;
    double kilobytes = 0; // of result text received
};

// Runs `sql` `times` times and returns the mean cost of one run.
Cost measure(PgConnection &connection, int serverPid, const QByteArray &sql, int times)
{
    Cost cost;
    const double serverBefore = bench::backendCpuMs(serverPid);
    const double clientBefore = bench::threadCpuMs();
    double bytes = 0;
    for (int i = 0; i < times; ++i) {
        QList<PgResult> results;
        const PgError error = connection.execSimple(sql, std::chrono::seconds(10), &results);
        if (error.isError())
            qFatal("bench_sampling: %s\n%s", qPrintable(error.message), sql.constData());
        for (const PgResult &result : std::as_const(results)) {
            for (int row = 0; row < result.rows(); ++row) {
                for (int column = 0; column < result.columnCount(); ++column)
                    bytes += result.length(row, column);
            }
        }
    }
    cost.serverMs = (bench::backendCpuMs(serverPid) - serverBefore) / times;
    cost.clientMs = (bench::threadCpuMs() - clientBefore) / times;
    cost.kilobytes = bytes / times / 1024.0;
    return cost;
}

// Per-backend functions over the backend ids: the cheapest way in, but without state,
// application_name, backend_type or transaction ids.
const QByteArray kPerBackend =
    "SELECT pg_stat_get_backend_pid(id) AS pid, pg_stat_get_backend_start(id), pg_stat_get_backend_xact_start(id), "
    "pg_stat_get_backend_activity_start(id), pg_stat_get_backend_wait_event_type(id), "
    "pg_stat_get_backend_wait_event(id), pg_stat_get_backend_dbid(id), pg_stat_get_backend_userid(id) "
    "FROM pg_stat_get_backend_idset() AS id";

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const QString superuser = qEnvironmentVariable("POOLSCOPE_TEST_PG");
    const QString appConninfo = qEnvironmentVariable("POOLSCOPE_TEST_PG_APP");
    if (superuser.isEmpty() || appConninfo.isEmpty()) {
        out << "bench_sampling: POOLSCOPE_TEST_PG is not set: start the bench first (installer/dev.sh test)\n";
        return 1;
    }
    const int sessions = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_SESSIONS")
        ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SESSIONS")
        : 2000;
    const int samples = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_SAMPLES") ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SAMPLES") : 20;

    int seen = 0;
    {
        bench::IdleSessions idle(appConninfo, sessions);
        if (idle.opened() < sessions) {
            out << "bench_sampling: only " << idle.opened() << " of " << sessions << " sessions opened: " << idle.lastError()
                << "\n";
            return 1;
        }
        QString error;
        const ConnInfo target = *ConnInfo::parse(superuser, &error);
        PgConnection connection;
        PgError failure = connection.open(target, QByteArrayLiteral("poolscope"));
        if (!failure.isError())
            failure = connection.setServerTimeouts(std::chrono::seconds(10));
        if (failure.isError()) {
            out << "bench_sampling: " << failure.message << "\n";
            return 1;
        }
        const int serverPid = connection.backendPid();
        if (bench::backendCpuMs(serverPid) < 0) {
            out << "bench_sampling: cannot read /proc/" << serverPid << "/schedstat: run on the bench's machine\n";
            return 1;
        }

        // PoolScope's sampler path, timed apart: read (network, libpq, building the sessions),
        // then the whole analysis (tags, classes, owners, trend, chart, alerts).
        PgReader reader(connection);
        AnalysisPipeline pipeline(target.displayName());
        double cpuTotal = 0, cpuReadTotal = 0, wallTotal = 0, readTotal = 0, cpuFirst = 0, cpuMax = 0, serverTotal = 0, serverFirst = 0;
        QByteArray firstSql, steadySql;
        for (int i = 0; i < samples; ++i) {
            auto snapshot = std::make_shared<Snapshot>();
            const double serverBefore = bench::backendCpuMs(serverPid);
            const double cpuBefore = bench::threadCpuMs();
            const auto wallBefore = std::chrono::steady_clock::now();
            failure = reader.read(connection, std::chrono::seconds(10), snapshot.get());
            const double cpuRead = bench::threadCpuMs() - cpuBefore;
            const double server = bench::backendCpuMs(serverPid) - serverBefore;
            if (!failure.isError())
                pipeline.analyse(snapshot, QDateTime::currentMSecsSinceEpoch());
            const double cpu = bench::threadCpuMs() - cpuBefore;
            const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wallBefore).count();
            if (failure.isError()) {
                out << "bench_sampling: " << failure.message << "\n";
                return 1;
            }
            seen = int(snapshot->sessions.size());
            if (i == 0) { // every query text is sent and lexed: reported apart
                cpuFirst = cpu;
                serverFirst = server;
                firstSql = reader.sql();
                continue;
            }
            steadySql = reader.sql();
            cpuTotal += cpu;
            cpuReadTotal += cpuRead;
            wallTotal += wall;
            readTotal += snapshot->readMs; // what the server budget weighs
            serverTotal += server;
            if (qEnvironmentVariableIsSet("POOLSCOPE_BENCH_VERBOSE"))
                out << "  sample " << i << ": server " << server << " ms, client " << cpu << " ms\n";
            cpuMax = std::max(cpuMax, cpu);
            // A sample a second, as the sampler takes them: the next read sends texts of the
            // last second only, and sessions idle since then as their pid.
            QThread::msleep(ulong(std::max(0.0, 1000.0 - wall)));
        }
        const int steady = samples - 1;
        out << "bench_sampling: " << seen << " client sessions on the bench (" << sessions
            << " idle, 1 KB tagged queries)\n\n";
        out << "Server CPU per read (its backend, /proc/PID/schedstat), client CPU per read, text received:\n";
        const auto line = [&](const char *name, const Cost &cost) {
            out << "  " << QString::fromLatin1(name).leftJustified(66) << QString::number(cost.serverMs, 'f', 2).rightJustified(7)
                << " ms  " << QString::number(cost.clientMs, 'f', 2).rightJustified(6) << " ms  "
                << QString::number(cost.kilobytes, 'f', 0).rightJustified(6) << " KB\n";
        };
        const int times = 20;
        line("SELECT * FROM pg_stat_activity", measure(connection, serverPid, "SELECT * FROM pg_stat_activity", times));
        line("pg_stat_get_activity(NULL), pid only (its floor)",
             measure(connection, serverPid, "SELECT pid FROM pg_stat_get_activity(NULL)", times));
        line("per-backend functions (no state, no application_name)", measure(connection, serverPid, kPerBackend, times));
        line("per-backend identity: pid, backend/query/xact start",
             measure(connection, serverPid,
                     "SELECT pg_stat_get_backend_pid(id) AS pid, pg_stat_get_backend_start(id), "
                     "pg_stat_get_backend_activity_start(id), pg_stat_get_backend_xact_start(id) "
                     "FROM pg_stat_get_backend_idset() AS id", times));
        {
            // Which sessions the client would list as unchanged-if-not-restarted: all but 20.
            QList<PgResult> pids;
            connection.execSimple("SELECT string_agg(pid::text, ',') FROM (SELECT pid FROM pg_stat_activity "
                                  "WHERE pid % 100 <> 0) p", std::chrono::seconds(10), &pids);
            const QByteArray list = pids.value(0).raw(0, 0);
            const QByteArray cte = "WITH b AS (SELECT pg_stat_get_backend_pid(id) AS pid, pg_stat_get_backend_start(id) AS bs, "
                                   "pg_stat_get_backend_activity_start(id) AS qs FROM pg_stat_get_backend_idset() AS id), "
                                   "c AS (SELECT *, COALESCE(qs < now() - interval '1 s' AND bs < now() - interval '1 s' AND ";
            const QByteArray tail = " , false) AS unchanged FROM b) "
                                    "SELECT c.pid, c.bs, c.qs, NULL AS datname, NULL AS rolname, NULL AS state FROM c WHERE unchanged "
                                    "UNION ALL SELECT c.pid, c.bs, c.qs, d.datname, r.rolname, s.state FROM c CROSS JOIN LATERAL "
                                    "pg_stat_get_activity(c.pid) AS s LEFT JOIN pg_database d ON d.oid = s.datid "
                                    "LEFT JOIN pg_roles r ON r.oid = s.usesysid WHERE NOT unchanged";
            line("identity + full rows of 20 changed (IN subquery)",
                 measure(connection, serverPid, cte + "pid IN (SELECT unnest('{" + list + "}'::int[]))" + tail, times));
            line("identity + full rows of 20 changed (= ANY)",
                 measure(connection, serverPid, cte + "pid = ANY('{" + list + "}'::int[])" + tail, times));
        }
        line("PoolScope's first read (every query text)", measure(connection, serverPid, firstSql, times));
        line("PoolScope's read after (idle ones by pid, texts since the last)", measure(connection, serverPid, steadySql, times));
        out << "\nPoolScope's sampler path, " << steady << " samples after the first:\n";
        out << "  server CPU per sample: " << QString::number(serverTotal / steady, 'f', 2) << " ms (first sample "
            << QString::number(serverFirst, 'f', 2) << ")\n";
        out << "  client CPU per sample: " << QString::number(cpuTotal / steady, 'f', 2) << " ms (max "
            << QString::number(cpuMax, 'f', 2) << ", first sample " << QString::number(cpuFirst, 'f', 2) << "), of which "
            << QString::number(cpuReadTotal / steady, 'f', 2) << " ms reading and "
            << QString::number((cpuTotal - cpuReadTotal) / steady, 'f', 2) << " ms analysing\n";
        out << "  wall time per sample:  " << QString::number(wallTotal / steady, 'f', 2) << " ms\n";
        // What the sampler does with it: a read may take 2 % of the interval by default.
        const double budgetedMs = std::max(1000.0, readTotal / steady * 100.0 / SamplerOptions::kDefaultServerBudgetPercent);
        out << "  within the default server budget (" << SamplerOptions::kDefaultServerBudgetPercent
            << " % of the interval), asked for 1 s: a sample every " << QString::number(budgetedMs / 1000.0, 'f', 2)
            << " s (" << QString::number(1000.0 / budgetedMs, 'f', 2) << " a second; a read takes "
            << QString::number(readTotal / steady, 'f', 2) << " ms)\n";
        out << "  goals at 2,000 sessions: server CPU per sample <= 8 ms, client CPU per sample <= 9 ms\n";
        connection.close();
    }
    bench::waitForQuickLogins(superuser);
    return 0;
}
