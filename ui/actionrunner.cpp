#include "actionrunner.h"

#include "backgroundwork.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QPointer>
#include <QThreadPool>

namespace poolscope::ui {

ActionRunner::ActionRunner(const ConnInfo &target, QString auditLogPath, SampleSource *source, QObject *parent)
    : QObject(parent)
    , m_target(target)
    , m_auditLogPath(std::move(auditLogPath))
    , m_source(source)
{
    qRegisterMetaType<poolscope::ui::ActionOutcome>();
}

ActionRunner::~ActionRunner() = default;

bool ActionRunner::start(Batch batch)
{
    if (m_busy || m_disabled)
        return false;
    m_busy = true;
    Q_EMIT busyChanged(true);
    // Results travel back through the application object and are dropped if this runner has
    // gone meanwhile: the QPointer is only read on the GUI thread.
    QPointer<ActionRunner> self(this);
    auto run = [self, batch = std::move(batch)](PgConnection *connection, std::chrono::milliseconds serverTimeout) {
        auto counts = std::make_shared<std::pair<int, int>>(0, 0);
        batch(connection, serverTimeout, [&](const ActionOutcome &outcome) {
            (outcome.result.ok() ? counts->first : counts->second)++;
            QMetaObject::invokeMethod(qApp, [self, outcome] {
                if (self)
                    Q_EMIT self->outcome(outcome);
            }, Qt::QueuedConnection);
        });
        QMetaObject::invokeMethod(qApp, [self, counts] {
            if (!self)
                return;
            self->m_busy = false;
            Q_EMIT self->busyChanged(false);
            Q_EMIT self->finished(counts->first, counts->second);
        }, Qt::QueuedConnection);
    };
    const auto onOwnConnection = [run] { actionThreads().start([run] { run(nullptr, {}); }); };
    const bool queued = m_source && m_source->runOnConnection([run, onOwnConnection](PgConnection *connection,
                                                                                     std::chrono::milliseconds timeout) {
        if (connection)
            run(connection, timeout);
        else
            onOwnConnection(); // not in: the sampler's thread does not wait for a connect
    });
    if (!queued)
        onOwnConnection();
    return true;
}

bool ActionRunner::signalSessions(const QList<Session> &sessions, bool terminate)
{
    const ConnInfo target = m_target;
    const QString auditPath = m_auditLogPath;
    return start([target, auditPath, sessions, terminate](PgConnection *connection, std::chrono::milliseconds serverTimeout,
                                                          const Report &report) {
        const AuditLog log(auditPath);
        const QString action = terminate ? QStringLiteral("terminate") : QStringLiteral("cancel");
        std::optional<PgActions> actions;
        if (connection)
            actions.emplace(*connection, serverTimeout);
        else
            actions.emplace(target);
        const PgError connectError = actions->connect();
        for (const Session &s : sessions) {
            const SessionRef ref = SessionRef::of(s);
            ActionResult result;
            if (connectError.isError())
                result = {ActionResult::Status::Failed, connectError.message, connectError.sqlstate};
            else
                result = terminate ? actions->terminate(ref) : actions->cancel(ref);
            log.append(target.redacted(), action, ref.auditArguments(), result);
            report(ActionOutcome{s.key(), QStringLiteral("pid %1").arg(s.pid), result});
        }
    });
}

// One change, audited, over the sampling connection or one of its own.
template <typename Actions, typename Work>
bool ActionRunner::runOne(const QString &action, const QString &subject, const QJsonObject &arguments, Work work)
{
    const ConnInfo target = m_target;
    const QString auditPath = m_auditLogPath;
    return start([=](PgConnection *connection, std::chrono::milliseconds serverTimeout, const Report &report) {
        std::optional<Actions> actions;
        if (!connection)
            actions.emplace(target);
        else if constexpr (std::is_same_v<Actions, PgActions>)
            actions.emplace(*connection, serverTimeout);
        else
            actions.emplace(*connection);
        const ActionResult result = work(*actions);
        AuditLog(auditPath).append(target.redacted(), action, arguments, result);
        report(ActionOutcome{0, subject, result});
    });
}

bool ActionRunner::runPostgres(const QString &action, const QString &subject, const QJsonObject &arguments, PgWork work)
{
    return runOne<PgActions>(action, subject, arguments, std::move(work));
}

bool ActionRunner::runBouncer(const QString &action, const QString &subject, const QJsonObject &arguments,
                              BouncerWork work)
{
    return runOne<BouncerActions>(action, subject, arguments, std::move(work));
}

} // namespace poolscope::ui
