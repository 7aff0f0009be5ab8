// `poolscope set|pause|resume|reconnect|disable|enable|kill|reload`: actions on a PgBouncer
// admin console. Like every action: say what will happen, confirm, act, print the verified
// result, write it to the audit log.
#include "clicommon.h"
#include "output/safetext.h"
#include "commands.h"

#include "actions/actions.h"
#include "actions/bounceractions.h"
#include "pgbouncer/bouncerparse.h"
#include "pgbouncer/bouncerreader.h"
#include "pgbouncer/bouncersettings.h"

#include <QJsonObject>

namespace poolscope::cli {

namespace {

void addBouncerActionOptions(QCommandLineParser &parser)
{
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("CONNINFO"),
                                 QStringLiteral("The PgBouncer admin console, e.g. \"host=pgb port=6432 dbname=pgbouncer "
                                                "user=admin\"."));
    parser.addOption({QStringLiteral("yes"), QStringLiteral("Do not ask for confirmation (required without a terminal).")});
    parser.addOption({QStringLiteral("audit-log"), QStringLiteral("Audit log file [%1].").arg(AuditLog::defaultPath()),
                      QStringLiteral("file"), AuditLog::defaultPath()});
    parser.addOption(timeoutOption());
}

void audit(const QCommandLineParser &parser, const ConnInfo &target, const QString &action, const QJsonObject &arguments,
           const ActionResult &result)
{
    QString error;
    if (!AuditLog(parser.value(QStringLiteral("audit-log"))).append(target.redacted(), action, arguments, result, &error)) {
        err() << "poolscope: " << safeText(error) << "\n";
        err().flush();
    }
}

int finish(const QCommandLineParser &parser, const ConnInfo &target, const QString &action, const QJsonObject &arguments,
           const QString &subject, const ActionResult &result)
{
    audit(parser, target, action, arguments, result);
    out() << safeLine(subject) << ": " << actionStatusName(result.status) << " — " << safeText(result.message) << "\n";
    out().flush();
    if (result.ok())
        return ExitOk;
    return result.status == ActionResult::Status::InsufficientPrivilege ? ExitPrivilege : ExitFailure;
}

// Says what will be done, asks, and opens the action connection; an exit code when it must
// stop there (a refused connection is audited as the attempt it was).
std::optional<int> announceAndConnect(const QCommandLineParser &parser, const ConnInfo &target, const QString &what,
                                      BouncerActions &actions, const QString &action, const QJsonObject &arguments)
{
    out() << "Will " << what << " on PgBouncer " << target.displayName() << ".\n";
    out().flush();
    if (const int answer = confirm(parser.isSet(QStringLiteral("yes")), QStringLiteral("Proceed?")); answer != ExitOk)
        return answer;
    if (const PgError error = actions.connect(); error.isError()) {
        audit(parser, target, action, arguments,
              {ActionResult::Status::Failed, QStringLiteral("cannot connect: ") + error.message, error.sqlstate});
        return reportConnectionError(target, error);
    }
    return std::nullopt;
}

// Kills one client where the version cannot: terminates the PostgreSQL backend of the server
// connection it holds, which makes PgBouncer drop the client.
ActionResult killClientThroughPostgres(const ConnInfo &console, const QString &client, const QString &postgresInfo,
                                       std::chrono::milliseconds timeout)
{
    PgConnection connection;
    if (const PgError error = connection.open(console, QByteArrayLiteral("poolscope")); error.isError())
        return {ActionResult::Status::Failed, error.message, error.sqlstate};
    BouncerReader reader;
    BouncerSnapshot bouncer;
    if (const PgError error = reader.read(connection, timeout, &bouncer); error.isError())
        return {ActionResult::Status::Failed, error.message, error.sqlstate};
    connection.close();
    const auto found = std::find_if(bouncer.clients.cbegin(), bouncer.clients.cend(), [&](const BouncerClient &c) {
        return c.ptr == client || (!c.id.isEmpty() && c.id == client);
    });
    if (found == bouncer.clients.cend())
        return {ActionResult::Status::NoSuchSession, QStringLiteral("no PgBouncer client %1").arg(client)};
    const auto server = std::find_if(bouncer.servers.cbegin(), bouncer.servers.cend(),
                                     [&](const BouncerServer &s) { return !found->link.isEmpty() && s.ptr == found->link; });
    if (server == bouncer.servers.cend())
        return {ActionResult::Status::NotSupported,
                QStringLiteral("client %1 holds no server connection, and PgBouncer %2 cannot kill a single client")
                    .arg(client, bouncer.version)};
    QString error;
    const auto postgres = ConnInfo::parse(postgresInfo, &error);
    if (!postgres)
        return {ActionResult::Status::InvalidArgument, error};
    PgActions actions(*postgres, timeout);
    ActionResult result = actions.terminate({server->remotePid, std::nullopt});
    if (result.ok())
        result.message = QStringLiteral("PgBouncer %1 has no KILL_CLIENT: terminated the backend of its server "
                                        "connection (pid %2) on PostgreSQL instead, which makes PgBouncer drop the client")
                             .arg(bouncer.version)
                             .arg(server->remotePid);
    return result;
}

} // namespace

int runBouncerSet(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Change a PgBouncer setting at run time (SET key = value), then read SHOW CONFIG back and report what it "
        "really is: PgBouncer answers SET even for settings it cannot change while running. The value is checked "
        "first against the setting's type and the range PgBouncer holds (sizes 0 to 2147483647, durations such as "
        "30s or 5min with a bare number in seconds, 0/1 or on/off, the names a choice allows)."));
    addBouncerActionOptions(parser);
    parser.addPositionalArgument(QStringLiteral("KEY=VALUE"), QStringLiteral("e.g. default_pool_size=20"));
    if (auto exit = parseOrExit(parser, arguments, 2, 2))
        return *exit;
    const QString assignment = parser.positionalArguments()[1];
    const qsizetype eq = assignment.indexOf(u'=');
    if (eq <= 0) {
        err() << "poolscope: write the setting as key=value\n";
        err().flush();
        return ExitUsage;
    }
    const QString key = assignment.first(eq).trimmed();
    const QString value = assignment.sliced(eq + 1).trimmed();
    // Out of range or of the wrong type, PgBouncer would store something else without a word.
    const CheckedSetting checked = checkBouncerSetting(key, value);
    if (!checked.ok()) {
        err() << "poolscope: " << safeText(checked.error) << "\n";
        err().flush();
        return ExitUsage;
    }
    bool timeoutOk = false;
    const auto timeout = timeoutFrom(parser, &timeoutOk);
    const auto target = targetFrom(parser.positionalArguments().constFirst());
    if (!target || !timeoutOk)
        return ExitUsage;
    BouncerActions actions(*target, timeout);
    const QJsonObject audited{{QStringLiteral("key"), key}, {QStringLiteral("value"), checked.value}};
    if (auto exit = announceAndConnect(parser, *target, QStringLiteral("SET %1 = %2").arg(key, checked.value), actions,
                                       QStringLiteral("pgbouncer-set"), audited))
        return *exit;
    return finish(parser, *target, QStringLiteral("pgbouncer-set"), audited, key, actions.set(key, checked.value));
}

int runBouncerCommand(const QStringList &arguments, const QString &verb)
{
    const auto command = BouncerActions::commandFromName(verb);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        verb == QLatin1String("kill")
            ? QStringLiteral("KILL a database's clients and servers on a PgBouncer console, or with --client one "
                             "client: KILL_CLIENT on PgBouncer 1.24+, and on older versions, with --postgres, by "
                             "terminating the PostgreSQL backend that client holds.")
            : QStringLiteral("Run %1 on a PgBouncer admin console, for one database or all.").arg(verb.toUpper()));
    addBouncerActionOptions(parser);
    parser.addPositionalArgument(QStringLiteral("DATABASE"), QStringLiteral("The database (optional for some)."),
                                 QStringLiteral("[DATABASE]"));
    if (verb == QLatin1String("kill")) {
        parser.addOption({QStringLiteral("client"), QStringLiteral("One client: its id (1.24+) or ptr from SHOW CLIENTS."),
                          QStringLiteral("id")});
        parser.addOption({QStringLiteral("postgres"),
                          QStringLiteral("The PostgreSQL server behind PgBouncer, for --client on versions without "
                                         "KILL_CLIENT."),
                          QStringLiteral("conninfo")});
    }
    if (auto exit = parseOrExit(parser, arguments, 1, 2))
        return *exit;
    const QString database = parser.positionalArguments().value(1);
    bool timeoutOk = false;
    const auto timeout = timeoutFrom(parser, &timeoutOk);
    const auto target = targetFrom(parser.positionalArguments().constFirst());
    if (!target || !timeoutOk || !command)
        return ExitUsage;
    const bool oneClient = verb == QLatin1String("kill") && parser.isSet(QStringLiteral("client"));
    const QString client = oneClient ? parser.value(QStringLiteral("client")) : QString();
    const QString what = oneClient ? QStringLiteral("kill client %1").arg(client)
                                   : BouncerActions::commandName(*command) + (database.isEmpty() ? QString() : u' ' + database);
    BouncerActions actions(*target, timeout);
    const QString action = oneClient ? QStringLiteral("pgbouncer-kill-client") : QStringLiteral("pgbouncer-") + verb;
    const QJsonObject audited = oneClient ? QJsonObject{{QStringLiteral("client"), client}}
                                          : QJsonObject{{QStringLiteral("database"), database}};
    if (auto exit = announceAndConnect(parser, *target, what, actions, action, audited))
        return *exit;
    if (oneClient) {
        ActionResult result = actions.killClient(client);
        if (result.status == ActionResult::Status::NotSupported || result.status == ActionResult::Status::InvalidArgument) {
            if (!parser.isSet(QStringLiteral("postgres"))) {
                result.message += QStringLiteral("; with --postgres CONNINFO PoolScope can terminate the backend the "
                                                 "client holds instead");
            } else {
                result = killClientThroughPostgres(*target, client, parser.value(QStringLiteral("postgres")), timeout);
            }
        }
        return finish(parser, *target, action, audited, QStringLiteral("client ") + client, result);
    }
    return finish(parser, *target, action, audited, what, actions.run(*command, database));
}

} // namespace poolscope::cli
