#include "sampling/sampler.h"

#include "sampling/sampling.h"
#include "sampling/samplerworker.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <cmath>

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
    }
    return {};
}

// ---- Sampler (lives in the caller's thread) --------------------------------------------

Sampler::Sampler(const ConnInfo &target, const SamplerOptions &options, QObject *parent)
    : QObject(parent), m_worker(new SamplerWorker(target, options))
{
    qRegisterMetaType<poolscope::SnapshotPtr>();
    qRegisterMetaType<poolscope::SamplerStatus>();
    qRegisterMetaType<poolscope::BouncerSnapshotPtr>();
    m_thread.setObjectName(QStringLiteral("sampler ") + target.displayName());
    m_worker->moveToThread(&m_thread);
    // Context objects: once this Sampler is gone, nothing is delivered to it.
    connect(m_worker, &SamplerWorker::snapshotReady, this, &Sampler::snapshotReady);
    connect(m_worker, &SamplerWorker::bouncerSnapshotReady, this, &Sampler::bouncerSnapshotReady);
    connect(m_worker, &SamplerWorker::statusChanged, this, &Sampler::statusChanged);
}

Sampler::~Sampler()
{
    // No signal from a destructor: whoever listens may be half gone already.
    shutdownWorker();
}

void Sampler::start()
{
    if (m_thread.isRunning() || !m_worker)
        return;
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, &SamplerWorker::begin, Qt::QueuedConnection);
}

void Sampler::stop()
{
    if (!shutdownWorker())
        return;
    SamplerStatus stopped;
    stopped.state = SamplerStatus::State::Stopped;
    Q_EMIT statusChanged(stopped);
}

bool Sampler::shutdownWorker()
{
    if (!m_worker)
        return false;
    if (m_thread.isRunning()) {
        m_worker->abort(); // a hung connect or read gives up within ~100 ms
        QMetaObject::invokeMethod(m_worker, &SamplerWorker::shutdown, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    delete m_worker; // its thread has finished: safe to delete from here
    m_worker = nullptr;
    // Nothing the worker queued before it stopped may arrive after this.
    QCoreApplication::removePostedEvents(this, QEvent::MetaCall);
    return true;
}

// ---- SamplerWorker (lives on the sampler thread) ---------------------------------------

SamplerWorker::SamplerWorker(const ConnInfo &target, const SamplerOptions &options)
    : m_target(target), m_options(options)
{
    m_options.interval = std::clamp(m_options.interval, SamplerOptions::kMinInterval, SamplerOptions::kMaxInterval);
}

void SamplerWorker::begin()
{
    m_timer = new QTimer(this);
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, &SamplerWorker::tick);
    report(SamplerStatus::State::Connecting);
    tick();
}

void SamplerWorker::shutdown()
{
    m_stopping = true;
    if (m_timer)
        m_timer->stop();
    m_connection.close();
}

void SamplerWorker::report(SamplerStatus::State state, const PgError &error)
{
    m_status.state = state;
    m_status.error = error;
    Q_EMIT statusChanged(m_status);
}

void SamplerWorker::scheduleReconnect()
{
    ++m_status.attempt;
    const auto delay = reconnectDelay(m_status.attempt, std::uniform_real_distribution<double>(0, 1)(m_random));
    m_status.retryInMs = delay.count();
    m_timer->start(delay);
}

bool SamplerWorker::ensureConnected()
{
    if (m_connection.isOpen())
        return true;
    PgError error = m_connection.open(m_target, QByteArrayLiteral("poolscope"));
    TargetKind kind = m_options.kind.value_or(TargetKind::PostgreSQL);
    if (!error.isError() && !m_options.kind)
        error = detectTargetKind(m_connection, m_options.queryTimeout, &kind);
    // The PgBouncer console knows no set_config(); its commands are answered at once anyway.
    if (!error.isError() && kind == TargetKind::PostgreSQL)
        error = configureSession(m_connection, m_options.queryTimeout);
    if (error.isError()) {
        m_connection.close();
        qCInfo(lcSampler) << m_target.displayName() << "connect failed:" << error.message;
        scheduleReconnect();
        report(m_everConnected || m_status.attempt > 1 ? SamplerStatus::State::Reconnecting
                                                       : SamplerStatus::State::Connecting,
               error);
        return false;
    }
    m_status.kind = kind;
    if (kind == TargetKind::PostgreSQL) {
        m_reader = std::make_unique<PgReader>(m_connection);
    } else if (!m_bouncerReader) {
        m_bouncerReader = std::make_unique<BouncerReader>(); // kept across reconnects: rates need the last totals
    }
    m_everConnected = true;
    return true;
}

PgError SamplerWorker::sample(double *readMs)
{
    if (m_status.kind == TargetKind::PgBouncer) {
        auto snapshot = std::make_shared<BouncerSnapshot>();
        snapshot->target = m_target.displayName();
        const auto started = Clock::now();
        const PgError error = m_bouncerReader->read(m_connection, m_options.queryTimeout, snapshot.get());
        *readMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        if (!error.isError() && !m_stopping)
            Q_EMIT bouncerSnapshotReady(std::move(snapshot));
        return error;
    }
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->target = m_target.displayName();
    const PgError error =
        takeSnapshot(m_connection, *m_reader, m_tags, m_options.rules, m_options.queryTimeout, snapshot.get());
    *readMs = snapshot->readMs;
    if (!error.isError() && !m_stopping)
        Q_EMIT snapshotReady(std::move(snapshot));
    return error;
}

void SamplerWorker::tick()
{
    if (m_stopping)
        return;
    if (!ensureConnected())
        return;
    const auto started = Clock::now();
    double readMs = 0;
    const PgError error = sample(&readMs);
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
    // Back off on our own when a read costs the server more than 1 % of the interval.
    double intervalMs = double(m_options.interval.count());
    if (m_options.adaptive)
        intervalMs = std::min(std::max(intervalMs, std::ceil(readMs) * 100.0), double(SamplerOptions::kMaxInterval.count()));
    if (m_status.state != SamplerStatus::State::Connected || m_status.attempt != 0
        || m_status.effectiveIntervalMs != intervalMs) {
        m_status.attempt = 0;
        m_status.retryInMs = 0;
        m_status.effectiveIntervalMs = intervalMs;
        report(SamplerStatus::State::Connected);
    }
    const double elapsedMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    m_timer->start(std::chrono::milliseconds(qint64(std::max(0.0, intervalMs - elapsedMs))));
}

} // namespace poolscope
