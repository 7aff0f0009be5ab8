#pragma once

#include "actions/actions.h"
#include "model/bouncersnapshot.h"

namespace poolscope {

// Actions on a PgBouncer admin console, over a connection opened only for them or over the
// sampling one (the console lets its users in past max_client_conn, but a sampler connected as
// a stats user cannot act: then a connection of their own is opened). The console takes no
// parameters, so every name and value is checked against a strict pattern first.
class BouncerActions
{
public:
    enum class Command { Pause, Resume, Reconnect, Disable, Enable, Kill, Reload };

    explicit BouncerActions(const ConnInfo &target, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Over `open`, which stays open and is not closed here.
    explicit BouncerActions(PgConnection &open, std::chrono::milliseconds timeout = std::chrono::seconds(10));

    PgError connect();

    // SET key = value, then SHOW CONFIG again: PgBouncer answers "SET" even for settings it
    // cannot change at run time, so the result is what the console reports afterwards. The
    // value is checked first (checkBouncerSetting) and sent in its checked form.
    ActionResult set(const QString &key, const QString &value);
    // database may be empty for PAUSE, RESUME, RECONNECT, KILL (1.25+) and RELOAD.
    ActionResult run(Command command, const QString &database = {});
    // KILL_CLIENT id, PgBouncer 1.24+. Older consoles get NotSupported: the caller may then
    // terminate the client's backend on PostgreSQL, which makes PgBouncer drop the client.
    ActionResult killClient(const QString &id);

    // What a SET came to, from the value sent and the ones SHOW CONFIG showed before and after
    // (std::nullopt: no longer listed): done, or a failure naming the value in effect now.
    static ActionResult setOutcome(const QString &key, const QString &sent, const QString &before,
                                   const std::optional<QString> &after);

    static QString commandName(Command command);
    static std::optional<Command> commandFromName(const QString &name);

private:
    ActionResult fromError(const PgError &error) const;
    PgError readConfig(QList<BouncerSetting> *settings);
    int version();

    ConnInfo m_target;
    std::chrono::milliseconds m_timeout;
    PgConnection m_own;
    PgConnection *m_connection = &m_own;
    bool m_borrowed = false;
    int m_version = -1;
};

} // namespace poolscope
