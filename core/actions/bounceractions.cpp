#include "actions/bounceractions.h"

#include "pgbouncer/bouncerparse.h"
#include "pgbouncer/bouncersettings.h"
#include "pgbouncer/resulttable.h"

#include <QRegularExpression>

namespace poolscope {

namespace {

bool isName(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral(R"(^[A-Za-z_][A-Za-z0-9_.\-]*$)"));
    return pattern.match(text).hasMatch();
}

} // namespace

BouncerActions::BouncerActions(const ConnInfo &target, std::chrono::milliseconds timeout)
    : m_target(target), m_timeout(timeout)
{
}

BouncerActions::BouncerActions(PgConnection &open, std::chrono::milliseconds timeout)
    : m_timeout(timeout), m_connection(&open), m_borrowed(true)
{
}

PgError BouncerActions::connect()
{
    if (m_connection->isOpen())
        return {};
    if (m_borrowed)
        return PgError::fromMessage(PgError::Kind::Connection, QStringLiteral("the sampling connection is closed"));
    return m_own.open(m_target, QByteArrayLiteral("poolscope-action"));
}

QString BouncerActions::commandName(Command command)
{
    switch (command) {
    case Command::Pause: return QStringLiteral("PAUSE");
    case Command::Resume: return QStringLiteral("RESUME");
    case Command::Reconnect: return QStringLiteral("RECONNECT");
    case Command::Disable: return QStringLiteral("DISABLE");
    case Command::Enable: return QStringLiteral("ENABLE");
    case Command::Kill: return QStringLiteral("KILL");
    case Command::Reload: return QStringLiteral("RELOAD");
    }
    return {};
}

std::optional<BouncerActions::Command> BouncerActions::commandFromName(const QString &name)
{
    for (Command command : {Command::Pause, Command::Resume, Command::Reconnect, Command::Disable, Command::Enable,
                            Command::Kill, Command::Reload}) {
        if (commandName(command).compare(name, Qt::CaseInsensitive) == 0)
            return command;
    }
    return std::nullopt;
}

ActionResult BouncerActions::fromError(const PgError &error) const
{
    ActionResult result{ActionResult::Status::Failed, error.message, error.sqlstate};
    if (error.message.contains(QLatin1String("admin access needed"))) {
        result.status = ActionResult::Status::InsufficientPrivilege;
        result.requiredRole = QStringLiteral("admin_users");
        result.message += QStringLiteral(" (this user is not in PgBouncer's admin_users)");
    } else if (error.message.contains(QLatin1String("invalid command"))) {
        result.status = ActionResult::Status::NotSupported;
    } else if (error.message.contains(QLatin1String("no such database"))) {
        result.status = ActionResult::Status::NotFound;
    } else if (error.kind == PgError::Kind::Timeout) {
        result.status = ActionResult::Status::TimedOut;
    }
    return result;
}

PgError BouncerActions::readConfig(QList<BouncerSetting> *settings)
{
    QList<PgResult> results;
    const PgError error = m_connection->execSimple("SHOW CONFIG", m_timeout, &results);
    if (!error.isError() && !results.isEmpty())
        *settings = parseConfig(ResultTable::fromResult(results.first()));
    return error;
}

int BouncerActions::version()
{
    if (m_version < 0) {
        QList<PgResult> results;
        m_version = 0;
        if (!m_connection->execSimple("SHOW VERSION", m_timeout, &results).isError() && !results.isEmpty())
            m_version = parseBouncerVersion(ResultTable::fromResult(results.first()).text(0, 0), nullptr);
    }
    return m_version;
}

ActionResult BouncerActions::set(const QString &key, const QString &value)
{
    static const QRegularExpression safeValue(QStringLiteral(R"(^[A-Za-z0-9_.,:/@=+\- ]*$)"));
    if (!isName(key) || !safeValue.match(value).hasMatch())
        return {ActionResult::Status::InvalidArgument,
                QStringLiteral("a setting is a name, and its value letters, digits and _.,:/@=+- only")};
    // PgBouncer's parser wraps an out-of-range integer without a word: checked here first.
    const CheckedSetting checked = checkBouncerSetting(key, value);
    if (!checked.ok())
        return {ActionResult::Status::InvalidArgument, checked.error};
    if (const PgError error = connect(); error.isError())
        return fromError(error);
    QList<BouncerSetting> before;
    if (const PgError error = readConfig(&before); error.isError())
        return fromError(error);
    const auto known = std::find_if(before.cbegin(), before.cend(), [&](const BouncerSetting &s) { return s.key == key; });
    if (known == before.cend())
        return {ActionResult::Status::NotFound, QStringLiteral("PgBouncer has no setting %1").arg(key)};
    if (!known->changeable)
        return {ActionResult::Status::NotChangeable,
                QStringLiteral("%1 is not changeable at run time (it stays %2); change it in pgbouncer.ini and restart")
                    .arg(key, known->value)};
    QString quoted = checked.value;
    quoted.replace(u'\'', QStringLiteral("''"));
    QList<PgResult> ignored;
    if (const PgError error =
            m_connection->execSimple((QStringLiteral("SET %1 = '%2'").arg(key, quoted)).toUtf8(), m_timeout, &ignored);
        error.isError())
        return fromError(error);
    QList<BouncerSetting> after;
    if (const PgError error = readConfig(&after); error.isError())
        return fromError(error);
    const auto now = std::find_if(after.cbegin(), after.cend(), [&](const BouncerSetting &s) { return s.key == key; });
    return setOutcome(key, checked.value, known->value, now == after.cend() ? std::nullopt : std::optional(now->value));
}

ActionResult BouncerActions::setOutcome(const QString &key, const QString &sent, const QString &before,
                                        const std::optional<QString> &after)
{
    if (!after)
        return {ActionResult::Status::Failed, QStringLiteral("PgBouncer answered SET, but SHOW CONFIG no longer lists %1 "
                                                             "(it was %2)").arg(key, before)};
    // A changeable setting that reads otherwise than sent is a failure, and the operator must
    // know the value in effect now (PgBouncer may have stored something else entirely).
    if (!bouncerSettingReads(key, sent, *after))
        return {ActionResult::Status::Failed,
                QStringLiteral("PgBouncer answered SET, but %1 is now %2, not %3 as sent (it was %4)").arg(key, *after, sent, before)};
    return {ActionResult::Status::Done, QStringLiteral("%1 is now %2 (was %3)").arg(key, *after, before)};
}

ActionResult BouncerActions::run(Command command, const QString &database)
{
    const bool needsDatabase = command == Command::Disable || command == Command::Enable
        || (command == Command::Kill && version() > 0 && version() < 12500);
    if ((needsDatabase && database.isEmpty()) || (!database.isEmpty() && !isName(database))
        || (command == Command::Reload && !database.isEmpty()))
        return {ActionResult::Status::InvalidArgument,
                QStringLiteral("%1 %2").arg(commandName(command),
                                            needsDatabase ? QStringLiteral("needs a database name")
                                                          : QStringLiteral("takes a database name or nothing"))};
    if (const PgError error = connect(); error.isError())
        return fromError(error);
    const QString sql = database.isEmpty() ? commandName(command) : commandName(command) + u' ' + database;
    QList<PgResult> ignored;
    if (const PgError error = m_connection->execSimple(sql.toUtf8(), m_timeout, &ignored); error.isError())
        return fromError(error);
    return {ActionResult::Status::Done, QStringLiteral("%1 done").arg(sql)};
}

ActionResult BouncerActions::killClient(const QString &id)
{
    bool numeric = false;
    id.toLongLong(&numeric);
    if (!numeric)
        return {ActionResult::Status::InvalidArgument, QStringLiteral("a client id is the number SHOW CLIENTS shows")};
    if (const PgError error = connect(); error.isError())
        return fromError(error);
    if (version() > 0 && version() < 12400)
        return {ActionResult::Status::NotSupported,
                QStringLiteral("PgBouncer %1.%2 has no KILL_CLIENT (1.24+)").arg(version() / 10000).arg(version() / 100 % 100)};
    QList<PgResult> ignored;
    if (const PgError error = m_connection->execSimple(QByteArray("KILL_CLIENT ") + id.toLatin1(), m_timeout, &ignored); error.isError())
        return fromError(error);
    return {ActionResult::Status::Done, QStringLiteral("client %1 killed").arg(id)};
}

} // namespace poolscope
