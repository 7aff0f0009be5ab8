#pragma once

#include "actions/actions.h"
#include "actions/bounceractions.h"
#include "model/snapshot.h"
#include "sampling/samplesource.h"

#include <QObject>
#include <QPointer>

#include <functional>

namespace poolscope::ui {

struct ActionOutcome
{
    quint64 sessionKey = 0; // the row it belongs on, 0: not about one session
    QString subject;        // "pid 4711", "role app", "default_pool_size"
    ActionResult result;
};

// Runs actions on a target off the GUI thread, one batch at a time. A batch runs on the target's
// sampling connection between two samples when the sampler is in: a server at max_connections
// refuses any new connection, and that is when an action matters most. Without one (the sampler
// is reconnecting, or there is no sampler) it opens a connection of its own for the batch, on
// the actions' thread pool. Every action goes to the audit log.
class ActionRunner : public QObject
{
    Q_OBJECT
public:
    // `source`: the target's sample source, whose connection actions use when it is in (may be
    // null, or one without a connection).
    ActionRunner(const ConnInfo &target, QString auditLogPath, SampleSource *source, QObject *parent = nullptr);
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
    using Report = std::function<void(const ActionOutcome &)>;
    // `connection`: the sampling connection (its statement_timeout `serverTimeout`), or null to
    // open one of the batch's own.
    using Batch = std::function<void(PgConnection *connection, std::chrono::milliseconds serverTimeout,
                                     const Report &report)>;
    bool start(Batch batch);
    template <typename Actions, typename Work>
    bool runOne(const QString &action, const QString &subject, const QJsonObject &arguments, Work work);

    ConnInfo m_target;
    QString m_auditLogPath;
    QPointer<SampleSource> m_source;
    bool m_busy = false;
    bool m_disabled = false;
};

} // namespace poolscope::ui

Q_DECLARE_METATYPE(poolscope::ui::ActionOutcome)
