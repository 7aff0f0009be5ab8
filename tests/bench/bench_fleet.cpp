// Twenty targets in one window at 1 Hz, on the bench: fifteen PostgreSQL targets (the bench's
// server, each over its own sampling connection, with POOLSCOPE_BENCH_SESSIONS idle sessions,
// 200 by default, to read each time) and five PgBouncer consoles, the window offscreen on its
// fleet overview. For POOLSCOPE_BENCH_SECONDS (30) it measures the whole process's CPU — GUI
// thread, every sampler thread, the analysis — and prints it as a share of one core, with the
// samples each PostgreSQL target took a second (pg_stat_statements calls of the read). The
// issue's goal: twenty targets cost the window at most 5 % of one core in all. Figures only:
// it fails when the window did not start or took no sample, never on speed.
#include "../idlesessions.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>

#include <csignal>
#include <cstdio>

namespace {

constexpr int kPostgresTargets = 15;
constexpr int kBouncerTargets = 5;

QByteArray scalar(PGconn *conn, const QByteArray &sql)
{
    PGresult *result = PQexec(conn, sql.constData());
    QByteArray value = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0 ? QByteArray(PQgetvalue(result, 0, 0))
                                                                                           : QByteArray();
    PQclear(result);
    return value;
}

} // namespace

int main()
{
    const QString postgres = qEnvironmentVariable("POOLSCOPE_TEST_PG");
    const QString bouncer = qEnvironmentVariable("POOLSCOPE_TEST_BOUNCER");
    const QString app = qEnvironmentVariable("POOLSCOPE_TEST_PG_APP");
    if (postgres.isEmpty() || bouncer.isEmpty() || app.isEmpty()) {
        std::fprintf(stderr, "bench_fleet: the test bench is not running (POOLSCOPE_TEST_PG, _BOUNCER, _PG_APP)\n");
        return 1;
    }
    const int sessions = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_SESSIONS") ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SESSIONS") : 200;
    const int seconds = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_SECONDS") ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SECONDS") : 30;
    bench::IdleSessions idle(app, sessions);
    if (idle.opened() < sessions) {
        std::fprintf(stderr, "bench_fleet: opened %d of %d idle sessions\n", idle.opened(), sessions);
        return 1;
    }
    PGconn *probe = PQconnectdb(postgres.toUtf8().constData());
    if (PQstatus(probe) != CONNECTION_OK) {
        std::fprintf(stderr, "bench_fleet: %s", PQerrorMessage(probe));
        return 1;
    }

    QTemporaryDir home;
    QProcess window;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config"))); // not the user's
    environment.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    window.setProcessEnvironment(environment);
    window.setStandardOutputFile(QProcess::nullDevice());
    window.setStandardErrorFile(home.filePath(QStringLiteral("stderr.txt")));
    QStringList arguments{QStringLiteral("--fleet"), QStringLiteral("--interval"), QStringLiteral("1s")};
    for (int i = 0; i < kPostgresTargets; ++i)
        arguments.append(postgres);
    for (int i = 0; i < kBouncerTargets; ++i)
        arguments.append(bouncer);
    window.start(QStringLiteral(POOLSCOPE_BINARY), arguments);
    if (!window.waitForStarted(5000)) {
        std::fprintf(stderr, "bench_fleet: the window did not start: %s\n", qPrintable(window.errorString()));
        return 1;
    }
    // Every PostgreSQL target connected, then a few seconds for first layouts and first reads.
    QElapsedTimer waited;
    waited.start();
    while (scalar(probe, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'poolscope'").toInt() < kPostgresTargets
           && waited.elapsed() < 30000)
        window.waitForFinished(200);
    window.waitForFinished(5000);
    if (window.state() != QProcess::Running) {
        std::fprintf(stderr, "bench_fleet: the window ended early\n");
        return 1;
    }
    scalar(probe, "SELECT pg_stat_statements_reset()");
    const double before = bench::processCpuMs(window.processId());
    QElapsedTimer measured;
    measured.start();
    window.waitForFinished(seconds * 1000);
    const double cpuMs = bench::processCpuMs(window.processId()) - before;
    const double wallMs = double(measured.elapsed());
    const double calls = scalar(probe, "SELECT max(calls) FROM pg_stat_statements WHERE query LIKE '%pg_stat_get_activity%'").toDouble();
    ::kill(pid_t(window.processId()), SIGTERM);
    if (!window.waitForFinished(5000))
        window.kill();
    PQfinish(probe);
    if (calls <= 0) {
        std::fprintf(stderr, "bench_fleet: the window took no sample\n");
        return 1;
    }
    std::printf("bench_fleet: %d targets (%d PostgreSQL with %d idle sessions each to read, %d PgBouncer consoles), "
                "window offscreen on the fleet overview, %.0f s measured\n",
                kPostgresTargets + kBouncerTargets, kPostgresTargets, sessions, kBouncerTargets, wallMs / 1000);
    std::printf("  samples a second per PostgreSQL target: %.2f\n", calls / kPostgresTargets / (wallMs / 1000));
    std::printf("  whole process CPU: %.0f ms over %.0f s = %.2f %% of one core (goal <= 5 %%)\n", cpuMs, wallMs / 1000,
                100 * cpuMs / wallMs);
    std::printf("  per target and sample: %.2f ms\n", cpuMs / (kPostgresTargets + kBouncerTargets) / (wallMs / 1000));
    return 0;
}
