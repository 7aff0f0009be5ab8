#pragma once

#include "actions/actions.h"
#include "actions/bounceractions.h"
#include "model/snapshot.h"

#include <QObject>

#include <functional>

namespace poolscope::ui {

struct ActionOutcome
{
    quint64 sessionKey = 0; // the row it belongs on, 0: not about one session
    QString subject;        // "pid 4711", "role app", "default_pool_size"
    ActionResult result;
};

// Runs actions on a target off the GUI thread, one batch at a time, over an action connection
// that is opened for the batch and closed after it. Every action goes to the audit log.
class ActionRunner : public QObject
{
    Q_OBJECT
public:
    ActionRunner(const ConnInfo &target, QString auditLogPath, QObject *parent = nullptr);
    ~ActionRunner() override;

    bool isBusy() const { return m_busy; }
    // A disabled runner refuses every action: what a replayed recording's views get.
    void setDisabled(bool disabled) { m_disabled = disabled; }
    const QString &auditLogPath() const { return m_auditLogPath; }

    // pg_terminate_backend / pg_cancel_backend, guarded by backend_start.
    bool signalSessions(const QList<Session> &sessions, bool terminate);
    using PgWork = std::function<ActionResult(PgActions &)>;
    using BouncerWork = std::function<ActionResult(BouncerActions &)>;
    // One change on PostgreSQL or PgBouncer, logged as `action` with `arguments`.
    bool runPostgres(const QString &action, const QString &subject, const QJsonObject &arguments, PgWork work);
    bool runBouncer(const QString &action, const QString &subject, const QJsonObject &arguments, BouncerWork work);

Q_SIGNALS:
    void outcome(const poolscope::ui::ActionOutcome &outcome);
    void finished(int done, int failed);
    void busyChanged(bool busy);

private:
    using Batch = std::function<void(const std::function<void(const ActionOutcome &)> &report)>;
    bool start(Batch batch);
    template <typename Actions, typename Work>
    bool runOne(const QString &action, const QString &subject, const QJsonObject &arguments, Work work);

    ConnInfo m_target;
    QString m_auditLogPath;
    bool m_busy = false;
    bool m_disabled = false;
};

} // namespace poolscope::ui

Q_DECLARE_METATYPE(poolscope::ui::ActionOutcome)
