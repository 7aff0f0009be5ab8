#include "sampling/sampler.h"

#include "pgbouncer/bouncerreader.h"
#include "postgres/pgreader.h"
#include "sampling/workerthreads.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QThread>
#include <QTimer>

#include <cmath>
#include <random>

Q_LOGGING_CATEGORY(lcSampler, "poolscope.core.sampler", QtWarningMsg)

namespace poolscope {

QString samplerStateName(SamplerStatus::State state)
{
    switch (state) {
    case SamplerStatus::State::Connecting: return QStringLiteral("connecting");
    case SamplerStatus::State::Connected: return QStringLiteral("connected");
    case SamplerStatus::State::Reconnecting: return QStringLiteral("reconnecting");
    case SamplerStatus::State::Failing: return QStringLiteral("failing");
    case SamplerStatus::State::Stopped: return QStringLiteral("stopped");
    case SamplerStatus::State::Replaying: return QStringLiteral("recorded");
    }
    return {};
}

QString SamplerStatus::stretchReason() const
{
    if (!stretched())
        return {};
    const auto seconds = [](double ms) -> QString { return QString::number(ms / 1000.0, 'g', 3) + QStringLiteral(" s"); };
    return QStringLiteral("every %1 instead of %2: reading %3 costs the server %4 ms, over the budget of %5 % "
                          "of the interval")
        .arg(seconds(effectiveIntervalMs), seconds(requestedIntervalMs))
        .arg(sessions == 1 ? QStringLiteral("1 session") : QLocale().toString(sessions) + QStringLiteral(" sessions"))
        .arg(qRound(readMs))
        .arg(serverBudgetPercent);
}

std::optional<double> parseServerBudget(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == QLatin1String("off"))
        return 0.0;
    bool ok = false;
    const double percent = QString(trimmed).remove(u'%').toDouble(&ok);
    if (!ok || !std::isfinite(percent) || percent < 0 || percent > 100)
        return std::nullopt;
    return percent;
}

std::chrono::milliseconds reconnectDelay(int attempt, double jitter01)
{
    if (attempt <= 1)
        return std::chrono::milliseconds(0);
    const double base = std::min(250.0 * std::pow(2.0, attempt - 2), 10000.0);
    const double jitter = 1.0 + (std::clamp(jitter01, 0.0, 1.0) - 0.5) * 0.4;
    return std::chrono::milliseconds(qint64(base * jitter));
}

PgError sampleOnce(PgConnection &connection, PgReader &reader, AnalysisPipeline &pipeline,
                   std::chrono::milliseconds timeout, AnalysedSamplePtr *sample)
{
    const qint64 takenAtMs = QDateTime::currentMSecsSinceEpoch();
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->target = pipeline.target();
    const PgError error = reader.read(connection, timeout, snapshot.get());
    if (!error.isError())
        *sample = pipeline.analyse(std::move(snapshot), takenAtMs);
    return error;
}

// ---- SamplerWorker (lives on the sampling thread) ---------------------------------------

// The part of a Sampler on its thread: the connection, the reader and the analysis. Everything
// here runs on that thread except abort(), which only sets the connection's atomic flag.
class SamplerWorker : public QObject
{
    Q_OBJECT
public:
    using ConnectionJob = SampleSource::ConnectionJob;

    SamplerWorker(const ConnInfo &target, const SamplerOptions &options)
        : m_target(target), m_options(options)
    {
        m_options.interval = std::clamp(m_options.interval, SamplerOptions::kMinInterval, SamplerOptions::kMaxInterval);
        m_status.requestedIntervalMs = double(m_options.interval.count());
        m_status.serverBudgetPercent = m_options.serverBudgetPercent;
    }

    void abort() { m_connection.abort(); }

    void begin()
    {
        AnalysisSettings settings{m_options.rules, m_options.alertRules, m_options.ownerKey, m_options.leakLogs};
        m_pipeline = std::make_unique<AnalysisPipeline>(m_target.displayName(), settings, m_options.servers);
        m_timer = new QTimer(this);
        m_timer->setSingleShot(true);
        m_timer->setTimerType(Qt::PreciseTimer);
        connect(m_timer, &QTimer::timeout, this, &SamplerWorker::tick);
        report(SamplerStatus::State::Connecting);
        tick();
    }

    // Closes the connection and ends the thread; nothing is reported any more.
    void shutdown()
    {
        m_stopping = true;
        if (m_timer)
            m_timer->stop();
        m_connection.close();
        m_pipeline.reset(); // withdraws this target's sample from the directory
        thread()->quit();
    }

    void regroup(OwnerKey key)
    {
        if (!m_pipeline)
            return;
        if (AnalysedSamplePtr sample = m_pipeline->regroup(key))
            Q_EMIT sampled(sample);
    }

    void runJob(const ConnectionJob &job)
    {
        const bool in = !m_stopping && m_connection.isOpen();
        job(in ? &m_connection : nullptr, m_options.queryTimeout);
    }

    void setServerBudget(double percent)
    {
        m_options.serverBudgetPercent = percent;
        m_status.serverBudgetPercent = percent;
        // A stretched interval (up to a minute) is cut short at once; the status follows at the
        // next sample.
        if (m_timer && m_timer->isActive() && m_status.state == SamplerStatus::State::Connected) {
            const auto interval = std::chrono::milliseconds(qint64(budgetedIntervalMs()));
            if (m_timer->remainingTimeAsDuration() > interval)
                m_timer->start(interval);
        }
    }

    void setAlertRules(const AlertRules &rules)
    {
        m_options.alertRules = rules;
        if (m_pipeline)
            m_pipeline->setAlertRules(rules);
    }

    void setIgnoreRules(const IgnoreRules &rules)
    {
        m_options.rules.ignore = rules;
        if (m_pipeline)
            m_pipeline->setIgnoreRules(rules);
    }

    void setLeakLogs(const QList<LeakLogSpec> &logs)
    {
        m_options.leakLogs = logs;
        if (m_pipeline)
            m_pipeline->setLeakLogs(logs);
    }

    void setAppCallSites(const AppCallSites &callSites)
    {
        m_options.rules.callSites = callSites;
        if (m_pipeline)
            m_pipeline->setAppCallSites(callSites);
    }

Q_SIGNALS:
    void sampled(const poolscope::AnalysedSamplePtr &sample);
    void statusChanged(const poolscope::SamplerStatus &status);

private:
    // Within the server budget, the interval asked for; beyond it, as long as keeps the last
    // read at the budget's share of the interval.
    double budgetedIntervalMs() const
    {
        const double asked = double(m_options.interval.count());
        if (m_options.serverBudgetPercent <= 0)
            return asked;
        return std::min(std::max(asked, std::ceil(m_status.readMs * 100.0 / m_options.serverBudgetPercent)),
                        double(SamplerOptions::kMaxInterval.count()));
    }

    void report(SamplerStatus::State state, const PgError &error = {})
    {
        m_status.state = state;
        m_status.error = error;
        Q_EMIT statusChanged(m_status);
    }

    void scheduleReconnect()
    {
        ++m_status.attempt;
        const auto delay = reconnectDelay(m_status.attempt, std::uniform_real_distribution<double>(0, 1)(m_random));
        m_status.retryInMs = delay.count();
        m_timer->start(delay);
    }

    bool ensureConnected()
    {
        if (m_connection.isOpen())
            return true;
        PgError error = m_connection.open(m_target, QByteArrayLiteral("poolscope"));
        TargetKind kind = m_options.kind.value_or(TargetKind::PostgreSQL);
        if (!error.isError() && !m_options.kind)
            error = detectTargetKind(m_connection, m_options.queryTimeout, &kind);
        // The PgBouncer console knows no set_config(); its commands are answered at once anyway.
        if (!error.isError() && kind == TargetKind::PostgreSQL)
            error = m_connection.setServerTimeouts(m_options.queryTimeout);
        if (error.isError()) {
            m_connection.close();
            qCInfo(lcSampler) << m_target.displayName() << "connect failed:" << error.message;
            if (m_stopping)
                return false;
            scheduleReconnect();
            report(m_everConnected || m_status.attempt > 1 ? SamplerStatus::State::Reconnecting
                                                           : SamplerStatus::State::Connecting,
                   error);
            return false;
        }
        m_status.kind = kind;
        if (kind == TargetKind::PostgreSQL)
            m_reader = std::make_unique<PgReader>(m_connection);
        else if (!m_bouncerReader)
            m_bouncerReader = std::make_unique<BouncerReader>(); // kept across reconnects: rates need the last totals
        m_everConnected = true;
        return true;
    }

    // One read of whichever kind the target is, analysed and published.
    PgError sample()
    {
        if (m_status.kind == TargetKind::PgBouncer) {
            const qint64 takenAtMs = QDateTime::currentMSecsSinceEpoch();
            auto snapshot = std::make_shared<BouncerSnapshot>();
            snapshot->target = m_target.displayName();
            const auto started = Clock::now();
            const PgError error = m_bouncerReader->read(m_connection, m_options.queryTimeout, snapshot.get());
            m_status.readMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
            m_status.sessions = int(snapshot->clients.size());
            if (!error.isError() && !m_stopping)
                Q_EMIT sampled(m_pipeline->analyse(std::move(snapshot), takenAtMs));
            return error;
        }
        AnalysedSamplePtr analysed;
        const PgError error = sampleOnce(m_connection, *m_reader, *m_pipeline, m_options.queryTimeout, &analysed);
        if (analysed) {
            m_status.readMs = analysed->postgres->readMs;
            m_status.sessions = int(analysed->postgres->sessions.size());
        }
        if (!error.isError() && !m_stopping)
            Q_EMIT sampled(analysed);
        return error;
    }

    void tick()
    {
        if (m_stopping || !ensureConnected())
            return;
        const auto started = Clock::now();
        const PgError error = sample();
        if (m_stopping)
            return;
        if (error.isError()) {
            if (!m_connection.isOpen()) {
                // The connection dropped: reconnect at once, then back off.
                m_status.attempt = 0;
                scheduleReconnect();
                report(SamplerStatus::State::Reconnecting, error);
            } else {
                report(SamplerStatus::State::Failing, error);
                m_timer->start(m_options.interval);
            }
            return;
        }
        const double intervalMs = budgetedIntervalMs();
        // Reported when something a view shows changed, not at every sample.
        const bool stretchChanged = std::abs(m_status.effectiveIntervalMs - intervalMs) > intervalMs * 0.1;
        if (m_status.state != SamplerStatus::State::Connected || m_status.attempt != 0 || stretchChanged) {
            m_status.attempt = 0;
            m_status.retryInMs = 0;
            m_status.effectiveIntervalMs = intervalMs;
            report(SamplerStatus::State::Connected);
        }
        const double elapsedMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        m_timer->start(std::chrono::milliseconds(qint64(std::max(0.0, intervalMs - elapsedMs))));
    }

    ConnInfo m_target;
    SamplerOptions m_options;
    PgConnection m_connection;
    std::unique_ptr<PgReader> m_reader;
    std::unique_ptr<BouncerReader> m_bouncerReader;
    std::unique_ptr<AnalysisPipeline> m_pipeline;
    QTimer *m_timer = nullptr;
    SamplerStatus m_status;
    bool m_everConnected = false;
    bool m_stopping = false;
    std::mt19937 m_random{std::random_device{}()};
};

// ---- Sampler (lives on the caller's thread) ----------------------------------------------

Sampler::Sampler(const ConnInfo &target, const SamplerOptions &options, QObject *parent)
    : SampleSource(parent), m_target(target), m_options(options)
{
    qRegisterMetaType<poolscope::AnalysedSamplePtr>();
    qRegisterMetaType<poolscope::SamplerStatus>();
}

Sampler::~Sampler()
{
    // No signal from a destructor: whoever listens may be half gone already.
    shutdownWorker();
}

qint64 Sampler::nowMs() const { return QDateTime::currentMSecsSinceEpoch(); }

void Sampler::start()
{
    if (m_worker)
        return;
    ++m_startGeneration;
    m_worker = new SamplerWorker(m_target, m_options);
    // Context objects: once this Sampler has let go of the worker, nothing reaches it.
    connect(m_worker, &SamplerWorker::sampled, this, &Sampler::sampled);
    connect(m_worker, &SamplerWorker::statusChanged, this, &Sampler::statusChanged);
    m_thread = workerthreads::start(m_worker, QStringLiteral("sampler ") + m_target.displayName());
    QMetaObject::invokeMethod(m_worker, &SamplerWorker::begin, Qt::QueuedConnection);
}

bool Sampler::shutdownWorker()
{
    if (!m_worker)
        return false;
    disconnect(m_worker, nullptr, this, nullptr);
    m_worker->abort(); // a connect or read in flight gives up within ~100 ms
    QMetaObject::invokeMethod(m_worker, &SamplerWorker::shutdown, Qt::QueuedConnection);
    m_previous = m_thread;
    m_worker = nullptr;
    m_thread = nullptr;
    // Nothing the worker queued before it let go may arrive after this.
    QCoreApplication::removePostedEvents(this, QEvent::MetaCall);
    return true;
}

void Sampler::stop()
{
    ++m_startGeneration; // a restart waiting for the previous thread is off
    if (!shutdownWorker())
        return;
    SamplerStatus stopped;
    stopped.state = SamplerStatus::State::Stopped;
    Q_EMIT statusChanged(stopped);
}

void Sampler::restart()
{
    stop();
    // One sampling connection per target: the new one opens once the old one has closed.
    // A thread stuck in a DNS lookup is not waited for longer than a second.
    const quint64 generation = ++m_startGeneration;
    const auto startOnce = [this, generation] {
        if (generation == m_startGeneration)
            start();
    };
    if (m_previous)
        connect(m_previous, &QObject::destroyed, this, startOnce);
    QTimer::singleShot(m_previous ? 1000 : 0, this, startOnce);
}

void Sampler::setOwnerKey(OwnerKey key)
{
    m_options.ownerKey = key;
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [worker = m_worker, key] { worker->regroup(key); }, Qt::QueuedConnection);
}

bool Sampler::runOnConnection(ConnectionJob job)
{
    if (!m_worker)
        return false;
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, job = std::move(job)] { worker->runJob(job); },
                              Qt::QueuedConnection);
    return true;
}

void Sampler::setServerBudget(double percent)
{
    m_options.serverBudgetPercent = percent;
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [worker = m_worker, percent] { worker->setServerBudget(percent); },
                                  Qt::QueuedConnection);
}

void Sampler::setIgnoreRules(const IgnoreRules &rules)
{
    m_options.rules.ignore = rules;
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [worker = m_worker, rules] { worker->setIgnoreRules(rules); },
                                  Qt::QueuedConnection);
}

void Sampler::setLeakLogs(const QList<LeakLogSpec> &logs)
{
    m_options.leakLogs = logs;
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [worker = m_worker, logs] { worker->setLeakLogs(logs); },
                                  Qt::QueuedConnection);
}

void Sampler::setAppCallSites(const AppCallSites &callSites)
{
    m_options.rules.callSites = callSites;
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [worker = m_worker, callSites] { worker->setAppCallSites(callSites); },
                                  Qt::QueuedConnection);
}

void Sampler::setAlertRules(const AlertRules &rules)
{
    m_options.alertRules = rules;
    if (m_worker)
        QMetaObject::invokeMethod(m_worker, [worker = m_worker, rules] { worker->setAlertRules(rules); },
                                  Qt::QueuedConnection);
}

} // namespace poolscope

#include "sampler.moc"
