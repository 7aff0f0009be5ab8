#include "actionrunner.h"

#include "backgroundwork.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QPointer>
#include <QThreadPool>

namespace poolscope::ui {

ActionRunner::ActionRunner(const ConnInfo &target, QString auditLogPath, QObject *parent)
    : QObject(parent)
    , m_target(target)
    , m_auditLogPath(std::move(auditLogPath))
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
    actionThreads().start([self, batch = std::move(batch)] {
        auto counts = std::make_shared<std::pair<int, int>>(0, 0);
        batch([&](const ActionOutcome &outcome) {
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
    });
    return true;
}

bool ActionRunner::signalSessions(const QList<Session> &sessions, bool terminate)
{
    const ConnInfo target = m_target;
    const QString auditPath = m_auditLogPath;
    return start([target, auditPath, sessions, terminate](const auto &report) {
        const AuditLog log(auditPath);
        const QString action = terminate ? QStringLiteral("terminate") : QStringLiteral("cancel");
        PgActions actions(target);
        const PgError connectError = actions.connect();
        for (const Session &s : sessions) {
            const SessionRef ref = SessionRef::of(s);
            ActionResult result;
            if (connectError.isError())
                result = {ActionResult::Status::Failed, connectError.message, connectError.sqlstate};
            else
                result = terminate ? actions.terminate(ref) : actions.cancel(ref);
            log.append(target.redacted(), action, ref.auditArguments(), result);
            report(ActionOutcome{s.key(), QStringLiteral("pid %1").arg(s.pid), result});
        }
    });
}

// One change over a fresh action connection of the given kind, audited.
template <typename Actions, typename Work>
bool ActionRunner::runOne(const QString &action, const QString &subject, const QJsonObject &arguments, Work work)
{
    const ConnInfo target = m_target;
    const QString auditPath = m_auditLogPath;
    return start([=](const auto &report) {
        Actions actions(target);
        const ActionResult result = work(actions);
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
