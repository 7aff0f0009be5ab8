// Side by side on the bench: 2,000 idle sessions (POOLSCOPE_BENCH_SESSIONS), then pg_activity
// (Debian's pg-activity, as an operator runs it, at a 1 s refresh) and each of PoolScope's ways
// of watching them (watch --json, watch, record, the window offscreen), one after the other, for
// the same time each (POOLSCOPE_BENCH_SECONDS, 30 by default), all asked for one sample a second.
// For each it prints the samples taken, the client's CPU per sample (its whole process tree,
// from /proc), its share of one core, and the server's CPU per sample (the tool's backend,
// /proc/PID/schedstat); then pg_activity's figures over each of PoolScope's. Samples are the
// calls of the tool's most-run statement in pg_stat_statements. Figures only: it fails when a
// tool did not start, took no sample or never showed its backend, never on speed.
#include "../idlesessions.h"

#include <QDir>
#include <QElapsedTimer>
#include <QHash>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <csignal>
#include <cstdio>
#include <optional>

namespace {

struct Tool
{
    QString name;
    QString program;
    QStringList arguments;
    QByteArray applicationName; // how its backend is found in pg_stat_activity
    QByteArray keys;            // typed into its terminal once it is in (pg_activity: '-' = 1 s refresh)
    bool offscreen = false;
};

struct Figures
{
    double seconds = 0;
    double samples = 0;
    double clientMs = 0;
    double serverMs = 0;
};

// Every process under `root`, itself included, and their CPU time so far.
double treeCpuMs(qint64 root)
{
    QHash<qint64, qint64> parentOf;
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1)
            parentOf.insert(pid, fields[1].toLongLong());
    }
    double total = 0;
    for (auto it = parentOf.cbegin(); it != parentOf.cend(); ++it) {
        for (qint64 pid = it.key(); pid > 1; pid = parentOf.value(pid, 0)) {
            if (pid == root) {
                total += std::max(0.0, bench::processCpuMs(it.key()));
                break;
            }
        }
    }
    return total;
}

class Probe
{
public:
    explicit Probe(const QString &conninfo) : m_conn(PQconnectdb(conninfo.toUtf8().constData())) {}
    ~Probe() { PQfinish(m_conn); }
    bool ok() const { return PQstatus(m_conn) == CONNECTION_OK; }
    // The probe's own statements carry a comment that keeps them out of the sample count.
    QList<QByteArray> column(const QByteArray &sql)
    {
        QList<QByteArray> values;
        const QByteArray marked = sql + " /* sidebyside-probe */";
        PGresult *result = PQexec(m_conn, marked.constData());
        for (int row = 0; PQresultStatus(result) == PGRES_TUPLES_OK && row < PQntuples(result); ++row)
            values.append(PQgetvalue(result, row, 0));
        PQclear(result);
        return values;
    }
    QList<qint64> backends(const QByteArray &applicationName)
    {
        QList<qint64> pids;
        for (const QByteArray &pid : column("SELECT pid FROM pg_stat_activity WHERE application_name = '" + applicationName + "'"))
            pids.append(pid.toLongLong());
        return pids;
    }

private:
    PGconn *m_conn;
};

double backendsCpuMs(const QList<qint64> &pids)
{
    double total = 0;
    for (qint64 pid : pids)
        total += std::max(0.0, bench::backendCpuMs(pid));
    return total;
}

std::optional<Figures> run(const Tool &tool, Probe &probe, int seconds, const QString &home)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config")); // not the user's
    environment.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    if (tool.offscreen)
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    process.setProcessEnvironment(environment);
    // Its output is read as a consumer would read it, from a pipe: lines counted (watch --json
    // writes a document a line).
    qint64 lines = 0;
    const auto pump = [&](int milliseconds) {
        QElapsedTimer timer;
        timer.start();
        do {
            process.waitForReadyRead(50);
            const QByteArray chunk = process.readAllStandardOutput();
            lines += chunk.count('\n');
        } while (timer.elapsed() < milliseconds);
    };
    process.setStandardErrorFile(home + QStringLiteral("/stderr.txt"), QIODevice::Append);
    process.start(tool.program, tool.arguments);
    if (!process.waitForStarted(5000)) {
        std::fprintf(stderr, "bench_sidebyside: %s did not start: %s\n", qPrintable(tool.name), qPrintable(process.errorString()));
        return std::nullopt;
    }
    QList<qint64> backends;
    for (int wait = 0; wait < 150 && backends.isEmpty(); ++wait) {
        pump(100);
        backends = probe.backends(tool.applicationName);
    }
    if (backends.isEmpty()) {
        std::fprintf(stderr, "bench_sidebyside: %s: no backend named %s appeared\n", qPrintable(tool.name), tool.applicationName.constData());
        process.kill();
        process.waitForFinished(5000);
        return std::nullopt;
    }
    pump(2000); // past the start: the first read of every text, a window's first layout
    if (!tool.keys.isEmpty()) { // once its screen is up: keys typed before are flushed
        process.write(tool.keys);
        process.waitForBytesWritten(1000); // no event loop here to send it
    }
    pump(2000);

    probe.column("SELECT pg_stat_statements_reset()");
    const double clientBefore = treeCpuMs(process.processId());
    const double serverBefore = backendsCpuMs(backends);
    const qint64 linesBefore = lines;
    pump(seconds * 1000);
    Figures figures;
    figures.seconds = seconds;
    figures.serverMs = backendsCpuMs(backends) - serverBefore;
    figures.clientMs = treeCpuMs(process.processId()) - clientBefore;
    pump(0);
    figures.samples = probe.column("SELECT max(calls) FROM pg_stat_statements WHERE query NOT LIKE '%sidebyside-probe%' AND userid = (SELECT oid FROM pg_roles WHERE rolname = current_user)")
                          .value(0)
                          .toDouble();
    if (probe.backends(tool.applicationName) != backends)
        std::fprintf(stderr, "bench_sidebyside: %s reconnected during the run; its server figure is partial\n", qPrintable(tool.name));

    ::kill(pid_t(process.processId()), SIGINT); // as an operator stops it
    if (!process.waitForFinished(5000)) {
        std::fprintf(stderr, "bench_sidebyside: %s did not stop on SIGINT within 5 s; killed\n", qPrintable(tool.name));
        process.kill();
        process.waitForFinished(5000);
    }
    if (tool.arguments.contains(QStringLiteral("--json")))
        std::fprintf(stderr, "bench_sidebyside: %s wrote %lld documents in the %d s measured\n", qPrintable(tool.name),
                     static_cast<long long>(lines - linesBefore), seconds);
    if (figures.samples <= 0) {
        std::fprintf(stderr, "bench_sidebyside: %s took no sample\n", qPrintable(tool.name));
        return std::nullopt;
    }
    return figures;
}

} // namespace

int main()
{
    const QString superuser = qEnvironmentVariable("POOLSCOPE_TEST_PG");
    const QString appConninfo = qEnvironmentVariable("POOLSCOPE_TEST_PG_APP");
    if (superuser.isEmpty() || appConninfo.isEmpty()) {
        std::fprintf(stderr, "bench_sidebyside: POOLSCOPE_TEST_PG is not set: start the bench first (installer/dev.sh test)\n");
        return 1;
    }
    const int sessions = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_SESSIONS") ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SESSIONS") : 2000;
    const int seconds = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_SECONDS") ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SECONDS") : 30;
    QTemporaryDir home;
    const QString poolscope = QStringLiteral(POOLSCOPE_BINARY);
    // pg_activity draws on a terminal: script(1) gives it one, of an operator's size.
    const QString pgActivity = QStringLiteral("stty rows 50 cols 200; exec pg_activity '%1'").arg(superuser);
    const QList<Tool> tools{
        {QStringLiteral("pg_activity 3"), QStringLiteral("script"), {QStringLiteral("-qfec"), pgActivity, QStringLiteral("/dev/null")}, "pg_activity", "-"},
        {QStringLiteral("poolscope watch --json"), poolscope, {QStringLiteral("watch"), superuser, QStringLiteral("--interval"), QStringLiteral("1s"), QStringLiteral("--json")}, "poolscope"},
        {QStringLiteral("poolscope watch"), poolscope, {QStringLiteral("watch"), superuser, QStringLiteral("--interval"), QStringLiteral("1s")}, "poolscope"},
        {QStringLiteral("poolscope record"), poolscope, {QStringLiteral("record"), superuser, QStringLiteral("-o"), home.filePath(QStringLiteral("bench.psrec")), QStringLiteral("--interval"), QStringLiteral("1s")}, "poolscope"},
        {QStringLiteral("poolscope window (offscreen)"), poolscope, {QStringLiteral("--interval"), QStringLiteral("1s"), superuser}, "poolscope", {}, true},
    };

    QList<std::pair<QString, Figures>> results;
    {
        bench::IdleSessions idle(appConninfo, sessions);
        if (idle.opened() < sessions) {
            std::fprintf(stderr, "bench_sidebyside: only %d of %d sessions opened: %s\n", idle.opened(), sessions, qPrintable(idle.lastError()));
            return 1;
        }
        Probe probe(superuser);
        if (!probe.ok()) {
            std::fprintf(stderr, "bench_sidebyside: cannot connect to the bench\n");
            return 1;
        }
        for (const Tool &tool : tools) {
            std::fprintf(stderr, "bench_sidebyside: %s for %d s…\n", qPrintable(tool.name), seconds);
            const std::optional<Figures> figures = run(tool, probe, seconds, home.path());
            if (!figures)
                return 1;
            results.append({tool.name, *figures});
        }
    }
    bench::waitForQuickLogins(superuser);

    std::printf("bench_sidebyside: %d idle sessions (1 KB tagged queries), each tool asked for a sample a second, %d s each\n\n", sessions, seconds);
    std::printf("  %-30s %9s %10s %13s %11s %13s\n", "tool", "samples", "per second", "client CPU", "of a core", "server CPU");
    for (const auto &[name, f] : std::as_const(results)) {
        std::printf("  %-30s %9.0f %10.2f %10.1f ms %9.1f %% %10.1f ms\n", qPrintable(name), f.samples, f.samples / f.seconds,
                    f.clientMs / f.samples, f.clientMs / (f.seconds * 10.0), f.serverMs / f.samples);
    }
    const Figures &reference = results.first().second;
    std::printf("\n  pg_activity over each (per sample):\n");
    for (qsizetype i = 1; i < results.size(); ++i) {
        const Figures &f = results[i].second;
        std::printf("  %-30s client CPU %5.1f x, server CPU %5.1f x\n", qPrintable(results[i].first),
                    (reference.clientMs / reference.samples) / (f.clientMs / f.samples),
                    (reference.serverMs / reference.samples) / (f.serverMs / f.samples));
    }
    std::printf("\n  goals (issue 14): 1 sample a second; server CPU <= 8 ms a sample; client CPU <= 9 ms a sample for\n"
                "  record and watch, <= 15 ms for watch --json; the window <= 3 %% of one core\n");
    return 0;
}
