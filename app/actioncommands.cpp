// `poolscope terminate|cancel|limit`: actions that change a server. Each prints what it
// will do, asks (or requires --yes), acts over a separate action connection, prints every
// result and writes it to the audit log.
#include "clicommon.h"
#include "output/safetext.h"
#include "commands.h"
#include "textreport.h"

#include "actions/actions.h"
#include "postgres/pgreader.h"
#include "sampling/sampler.h"

#include <QJsonArray>
#include <QJsonObject>

namespace poolscope::cli {

namespace {

void addActionOptions(QCommandLineParser &parser)
{
    parser.addHelpOption();
    parser.addOption({QStringLiteral("yes"), QStringLiteral("Do not ask for confirmation (required without a terminal).")});
    parser.addOption({QStringLiteral("audit-log"), QStringLiteral("Audit log file [%1].").arg(AuditLog::defaultPath()),
                      QStringLiteral("file"), AuditLog::defaultPath()});
    parser.addOption(timeoutOption());
}

int exitCodeFor(const QList<ActionResult> &results)
{
    int code = ExitOk;
    for (const ActionResult &result : results) {
        if (result.status == ActionResult::Status::InsufficientPrivilege)
            return ExitPrivilege;
        if (!result.ok())
            code = ExitFailure;
    }
    return code;
}

void record(const AuditLog &log, const ConnInfo &target, const QString &action, const QJsonObject &arguments,
            const ActionResult &result)
{
    QString error;
    if (!log.append(target.redacted(), action, arguments, result, &error)) {
        err() << "poolscope: " << safeText(error) << "\n";
        err().flush();
    }
}

void printResult(const QString &subject, const ActionResult &result)
{
    out() << safeLine(subject) << ": " << actionStatusName(result.status) << " — " << safeText(result.message);
    if (!result.sqlstate.isEmpty() && !result.ok())
        out() << " [SQLSTATE " << safeLine(result.sqlstate) << "]";
    out() << "\n";
    out().flush();
}

} // namespace

int runSignal(const QStringList &arguments, bool terminate)
{
    const QString verb = terminate ? QStringLiteral("terminate") : QStringLiteral("cancel");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        terminate ? QStringLiteral("End sessions with pg_terminate_backend (needs pg_signal_backend or superuser). "
                                   "Their open transactions roll back and their locks are released.")
                  : QStringLiteral("Cancel the running query of sessions with pg_cancel_backend. An idle session, "
                                   "or an idle transaction, is not affected: terminate those."));
    parser.addPositionalArgument(QStringLiteral("CONNINFO"), QStringLiteral("libpq connection string or URI."));
    parser.addOption({QStringLiteral("pid"), QStringLiteral("Backend pid; repeat for several."), QStringLiteral("pid")});
    if (terminate)
        parser.addOption({QStringLiteral("wait"), QStringLiteral("How long to wait for each backend to end [5s]."),
                          QStringLiteral("duration"), QStringLiteral("5s")});
    addActionOptions(parser);
    if (auto exit = parseOrExit(parser, arguments, 1, 1))
        return *exit;
    QList<int> pids;
    for (const QString &text : parser.values(QStringLiteral("pid"))) {
        bool ok = false;
        const int pid = text.toInt(&ok);
        if (!ok || pid <= 0) {
            err() << "poolscope: --pid '" << text << "' is not a process id\n";
            err().flush();
            return ExitUsage;
        }
        if (!pids.contains(pid))
            pids.append(pid);
    }
    if (pids.isEmpty()) {
        err() << "poolscope: name at least one session with --pid\n";
        err().flush();
        return ExitUsage;
    }
    bool timeoutOk = false;
    const auto timeout = timeoutFrom(parser, &timeoutOk);
    std::optional<double> wait = terminate ? parseSeconds(parser.value(QStringLiteral("wait"))) : 0.0;
    if (!wait) {
        err() << "poolscope: --wait needs a duration such as 5s\n";
        err().flush();
        return ExitUsage;
    }
    const auto target = targetFrom(parser.positionalArguments().constFirst());
    if (!target || !timeoutOk)
        return ExitUsage;

    // Show exactly which sessions will be signalled, and remember their backend start so a
    // pid that is reused between this read and the action is not hit.
    PgConnection reading;
    PgError error = reading.open(*target, QByteArrayLiteral("poolscope"));
    if (!error.isError())
        error = reading.setServerTimeouts(timeout);
    if (error.isError())
        return reportConnectionError(*target, error);
    AnalysedSamplePtr sample;
    PgReader reader(reading);
    AnalysisPipeline pipeline(target->displayName());
    error = sampleOnce(reading, reader, pipeline, timeout, &sample);
    reading.close();
    if (error.isError()) {
        err() << "poolscope: reading the sessions failed: " << safeText(error.message) << "\n";
        err().flush();
        return ExitFailure;
    }
    const Snapshot &snapshot = *sample->postgres;
    QList<SessionRef> refs;
    TextTable plan({QStringLiteral("PID"), QStringLiteral("OWNER"), QStringLiteral("STATE"), QStringLiteral("FOR"),
                    QStringLiteral("QUERY")});
    for (int pid : std::as_const(pids)) {
        const auto found = std::find_if(snapshot.sessions.cbegin(), snapshot.sessions.cend(),
                                         [pid](const Session &s) { return s.pid == pid; });
        if (found == snapshot.sessions.cend()) {
            plan.addRow({QString::number(pid), QString(), QStringLiteral("(no such client session now)")});
            refs.append({pid, std::nullopt});
            continue;
        }
        plan.addRow({QString::number(pid), ownerOf(*found, OwnerKey::Application),
                     found->visible ? found->state : QStringLiteral("(hidden)"),
                     found->stateChangeMs > 0 ? formatDuration(found->stateSeconds) : QString(),
                     found->query.simplified()});
        refs.append(SessionRef::of(*found));
    }
    out() << "Will " << verb << " on " << target->displayName() << ":\n";
    plan.print(out(), terminalWidth());
    out().flush();
    if (const int answer = confirm(parser.isSet(QStringLiteral("yes")), QStringLiteral("Proceed?")); answer != ExitOk)
        return answer;

    const AuditLog log(parser.value(QStringLiteral("audit-log")));
    PgActions actions(*target, timeout);
    if (const PgError connectError = actions.connect(); connectError.isError()) {
        ActionResult failed{ActionResult::Status::Failed, connectError.message, connectError.sqlstate};
        record(log, *target, verb, QJsonObject{{QStringLiteral("pids"), QJsonArray::fromVariantList(
                                                                             QVariant(QVariantList()).toList())}},
               failed);
        return reportConnectionError(*target, connectError);
    }
    QList<ActionResult> results;
    for (const SessionRef &ref : std::as_const(refs)) {
        const ActionResult result = terminate
            ? actions.terminate(ref, std::chrono::milliseconds(qint64(*wait * 1000)))
            : actions.cancel(ref);
        record(log, *target, verb, ref.auditArguments(), result);
        printResult(QStringLiteral("pid %1").arg(ref.pid), result);
        results.append(result);
    }
    return exitCodeFor(results);
}

int runLimit(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Change a role's or a database's CONNECTION LIMIT (N, or -1 for none), or its "
        "idle_in_transaction_session_timeout. The new value is read back from the catalog and reported."));
    parser.addPositionalArgument(QStringLiteral("CONNINFO"), QStringLiteral("libpq connection string or URI."));
    parser.addPositionalArgument(QStringLiteral("N"), QStringLiteral("The new connection limit; -1 or none removes it."),
                                 QStringLiteral("[N]"));
    parser.addOption({QStringLiteral("role"), QStringLiteral("The role to change."), QStringLiteral("role")});
    parser.addOption({QStringLiteral("database"), QStringLiteral("The database to change."), QStringLiteral("name")});
    parser.addOption({QStringLiteral("idle-in-transaction-timeout"),
                      QStringLiteral("Set idle_in_transaction_session_timeout instead: a duration (60s, 5min, 1500ms; a "
                                     "bare number is seconds; 0 = off), or 'default' to reset it."),
                      QStringLiteral("value")});
    addActionOptions(parser);
    // QCommandLineParser would read "-1" as an option: it means "no limit".
    QStringList normalized = arguments;
    std::replace(normalized.begin(), normalized.end(), QStringLiteral("-1"), QStringLiteral("none"));
    if (auto exit = parseOrExit(parser, normalized, 1, 2))
        return *exit;
    const bool isRole = parser.isSet(QStringLiteral("role"));
    const bool isDatabase = parser.isSet(QStringLiteral("database"));
    const bool timeoutChange = parser.isSet(QStringLiteral("idle-in-transaction-timeout"));
    const QStringList positional = parser.positionalArguments();
    if (isRole == isDatabase) {
        err() << "poolscope: name exactly one of --role or --database\n";
        err().flush();
        return ExitUsage;
    }
    if (timeoutChange == (positional.size() == 2)) {
        err() << "poolscope: give either a connection limit N or --idle-in-transaction-timeout\n";
        err().flush();
        return ExitUsage;
    }
    int limit = 0;
    if (!timeoutChange) {
        bool ok = false;
        const QString text = positional[1].toLower();
        limit = text == QLatin1String("none") || text == QLatin1String("unlimited") ? -1 : text.toInt(&ok);
        ok = ok || limit == -1;
        if (!ok || limit < -1) {
            err() << "poolscope: the connection limit is a whole number, or -1 for none\n";
            err().flush();
            return ExitUsage;
        }
    }
    // The one duration reader: a bare number is seconds here as everywhere (PostgreSQL itself
    // would take a bare 60 as 60 ms); "default" resets the setting.
    std::optional<std::chrono::milliseconds> idleTimeout;
    if (timeoutChange) {
        const QString text = parser.value(QStringLiteral("idle-in-transaction-timeout")).trimmed();
        if (text != QLatin1String("default")) {
            idleTimeout = parseDuration(text);
            if (!idleTimeout || idleTimeout->count() > std::numeric_limits<int>::max()) {
                err() << "poolscope: --idle-in-transaction-timeout takes a duration from 0 (off) to 24 days, such as "
                         "60s, 5min or 1500ms (a bare number is seconds), or default\n";
                err().flush();
                return ExitUsage;
            }
        }
    }
    bool timeoutOk = false;
    const auto timeout = timeoutFrom(parser, &timeoutOk);
    const auto target = targetFrom(positional.constFirst());
    if (!target || !timeoutOk)
        return ExitUsage;

    const QString name = parser.value(isRole ? QStringLiteral("role") : QStringLiteral("database"));
    const QString object = (isRole ? QStringLiteral("role ") : QStringLiteral("database ")) + name;
    if (timeoutChange)
        out() << "Will set idle_in_transaction_session_timeout of " << object << " to "
              << (idleTimeout ? QStringLiteral("%1 (%2)").arg(durationSetting(*idleTimeout), formatDuration(idleTimeout->count() / 1000.0))
                              : QStringLiteral("the server default"))
              << " on "
              << target->displayName() << " (new sessions only).\n";
    else
        out() << "Will set the CONNECTION LIMIT of " << object << " to "
              << (limit < 0 ? QStringLiteral("unlimited") : QString::number(limit)) << " on " << target->displayName()
              << ".\n";
    out().flush();
    if (const int answer = confirm(parser.isSet(QStringLiteral("yes")), QStringLiteral("Proceed?")); answer != ExitOk)
        return answer;

    const AuditLog log(parser.value(QStringLiteral("audit-log")));
    const QString action = timeoutChange ? QStringLiteral("set-idle-in-transaction-timeout")
                                         : QStringLiteral("set-connection-limit");
    QJsonObject auditArguments{{isRole ? QStringLiteral("role") : QStringLiteral("database"), name}};
    if (timeoutChange)
        auditArguments.insert(QStringLiteral("idle_in_transaction_session_timeout"),
                              idleTimeout ? durationSetting(*idleTimeout) : QStringLiteral("default"));
    else
        auditArguments.insert(QStringLiteral("connection_limit"), limit);
    PgActions actions(*target, timeout);
    if (const PgError connectError = actions.connect(); connectError.isError()) {
        record(log, *target, action, auditArguments,
               {ActionResult::Status::Failed, QStringLiteral("cannot connect: ") + connectError.message, connectError.sqlstate});
        return reportConnectionError(*target, connectError);
    }
    ActionResult result;
    if (timeoutChange)
        result = isRole ? actions.setRoleIdleInTransactionTimeout(name, idleTimeout)
                        : actions.setDatabaseIdleInTransactionTimeout(name, idleTimeout);
    else
        result = isRole ? actions.setRoleConnectionLimit(name, limit) : actions.setDatabaseConnectionLimit(name, limit);
    record(log, *target, action, auditArguments, result);
    printResult(object, result);
    return exitCodeFor({result});
}

} // namespace poolscope::cli
