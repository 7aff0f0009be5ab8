// `poolscope terminate|cancel|limit`: actions that change a server. Each prints what it
// will do, asks (or requires --yes), acts over the one connection it read over, prints every
// result and writes it to the audit log - an attempt refused at connect too.
#include "clicommon.h"
#include "output/safetext.h"
#include "commands.h"
#include "textreport.h"

#include "actions/actions.h"
#include "postgres/pgreader.h"
#include "sampling/sampler.h"

#include <QJsonObject>

#include <limits>

#include <unistd.h>

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

// Whether this role may signal other roles' sessions at all (pg_signal_backend): when not, an
// unidentified session is refused by the server anyway, for the reason that matters.
bool canSignalOtherRoles(PgConnection &connection, std::chrono::milliseconds timeout)
{
    PgResult result;
    return connection.exec("SELECT pg_has_role('pg_signal_backend', 'USAGE')", {}, timeout, &result).isError()
        || result.toBool(0, 0);
}

// Says plainly what an unidentified session is, before anyone is asked to end one.
QString unidentifiedWarning(const QList<int> &pids, const QString &verb)
{
    QStringList numbers;
    for (int pid : pids)
        numbers.append(QString::number(pid));
    return QStringLiteral("\n%1 cannot be identified: without pg_monitor this role sees neither the owner, state "
                          "and query of other roles' sessions nor when they started, so neither you nor PoolScope "
                          "can tell what they are, or whether the pid was given to a new session before the %2 "
                          "(pg_monitor shows them; so does connecting as their own role).\n")
        .arg((pids.size() == 1 ? QStringLiteral("pid ") : QStringLiteral("pids ")) + numbers.join(QStringLiteral(", ")), verb);
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

    // One connection reads the sessions and acts on them: a server at max_connections lets no
    // second one in, and that is when a terminate is needed most.
    const AuditLog log(parser.value(QStringLiteral("audit-log")));
    PgConnection connection;
    PgError error = connection.open(*target, QByteArrayLiteral("poolscope-action"));
    if (!error.isError())
        error = connection.setServerTimeouts(timeout);
    if (error.isError()) {
        // Every action is audited, one refused at the door too: the log says it was tried.
        const ActionResult refused{ActionResult::Status::Failed,
                                   QStringLiteral("cannot connect: ") + error.message, error.sqlstate};
        for (int pid : std::as_const(pids))
            record(log, *target, verb, SessionRef{pid, std::nullopt}.auditArguments(), refused);
        return reportConnectionError(*target, error);
    }
    // Show exactly which sessions will be signalled, and remember their backend start so a
    // pid that is reused between this read and the action is not hit.
    AnalysedSamplePtr sample;
    PgReader reader(connection);
    AnalysisPipeline pipeline(target->displayName());
    error = sampleOnce(connection, reader, pipeline, timeout, &sample);
    if (error.isError()) {
        err() << "poolscope: reading the sessions failed: " << safeText(error.message) << "\n";
        err().flush();
        return ExitFailure;
    }
    const Snapshot &snapshot = *sample->postgres;
    QList<SessionRef> refs;
    QList<int> unidentified; // other roles' sessions, seen without pg_monitor
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
        if (!found->visible) {
            plan.addRow({QString::number(pid), QStringLiteral("?"), QStringLiteral("cannot be identified (see below)")});
            unidentified.append(pid);
        } else {
            plan.addRow({QString::number(pid), ownerOf(*found, OwnerKey::Application), found->state,
                         found->stateChangeMs > 0 ? formatDuration(found->stateSeconds) : QString(),
                         found->query.simplified()});
        }
        refs.append(SessionRef::of(*found));
    }
    if (!unidentified.isEmpty() && !canSignalOtherRoles(connection, timeout))
        unidentified.clear(); // nothing will be signalled: the action says pg_signal_backend is missing
    out() << "Will " << verb << " on " << target->displayName() << ":\n";
    plan.print(out(), terminalWidth());
    if (!unidentified.isEmpty())
        out() << unidentifiedWarning(unidentified, verb);
    out().flush();
    if (const int answer = confirm(parser.isSet(QStringLiteral("yes")), QStringLiteral("Proceed?")); answer != ExitOk)
        return answer;
    QList<ActionResult> results;
    if (!unidentified.isEmpty()) {
        // Asked again, each time, at a terminal; --yes alone does not reach a session nobody saw.
        const bool terminal = isatty(STDIN_FILENO);
        const QString question = QStringLiteral("%1 the %2 session(s) that cannot be identified anyway?")
                                     .arg(terminate ? QStringLiteral("Terminate") : QStringLiteral("Cancel"))
                                     .arg(unidentified.size());
        const int answer = terminal ? confirm(false, question) : ExitUsage;
        if (answer != ExitOk) {
            for (int pid : std::as_const(unidentified)) {
                refs.erase(std::remove_if(refs.begin(), refs.end(), [pid](const SessionRef &r) { return r.pid == pid; }),
                           refs.end());
                if (terminal)
                    continue; // declined: nothing done, as for a declined plan
                const ActionResult refused{ActionResult::Status::InsufficientPrivilege,
                                           QStringLiteral("not signalled: pid %1 cannot be identified without pg_monitor; "
                                                          "confirm it at a terminal, or grant pg_monitor to this role")
                                               .arg(pid),
                                           QString(), QStringLiteral("pg_monitor")};
                record(log, *target, verb, SessionRef{pid, std::nullopt}.auditArguments(), refused);
                printResult(QStringLiteral("pid %1").arg(pid), refused);
                results.append(refused);
            }
            if (refs.isEmpty() && terminal)
                return ExitDeclined;
        }
    }

    PgActions actions(connection, timeout, timeout);
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
