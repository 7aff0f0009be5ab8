#include "recording/recordingplayer.h"

#include "analysis/pipeline.h"
#include "sampling/workerthreads.h"

#include <QDateTime>
#include <QThread>

#include <atomic>

namespace poolscope {

// What decodes, on the player's thread. Per target it keeps the sample on screen, so that a
// seek decodes only the targets whose sample changes (forward play is one delta per target).
class PlayerWorker : public QObject
{
    Q_OBJECT
public:
    PlayerWorker(std::shared_ptr<Recording> recording, std::shared_ptr<std::atomic<quint64>> latest)
        : m_recording(std::move(recording)), m_latest(std::move(latest))
    {
        const qsizetype targets = m_recording->targets().size();
        m_shown.fill(-1, targets);
        m_keys.fill(OwnerKey::Application, targets);
        m_last.resize(targets);
    }

    void seek(quint64 generation, qint64 timeMs)
    {
        if (generation != *m_latest)
            return; // overtaken by a later seek before it began
        QList<AnalysedSamplePtr> samples(m_recording->targets().size());
        QStringList problems;
        // PostgreSQL targets first: the consoles link their clients to those servers' samples.
        SnapshotPtr server;
        for (const bool consoles : {false, true}) {
            for (int t = 0; t < m_recording->targets().size(); ++t) {
                const RecordedTarget &target = m_recording->targets()[t];
                if ((target.kind == TargetKind::PgBouncer) != consoles)
                    continue;
                const int sample = target.sampleAtOrBefore(timeMs);
                if (sample >= 0 && (sample != m_shown[t] || (consoles && server && m_last[t] && m_last[t]->server != server))) {
                    QString error;
                    samples[t] = decode(t, sample, server, &error);
                    if (!error.isEmpty())
                        problems.append(QStringLiteral("%1 at %2: %3")
                                            .arg(target.name,
                                                 QDateTime::fromMSecsSinceEpoch(target.samples[sample].timeMs)
                                                     .toString(QStringLiteral("HH:mm:ss")),
                                                 error));
                    m_shown[t] = sample;
                    if (samples[t])
                        m_last[t] = samples[t];
                }
                if (!consoles && m_last[t] && m_last[t]->postgres && !server)
                    server = m_last[t]->postgres;
            }
        }
        Q_EMIT delivered(generation, timeMs, samples, problems);
    }

    void regroup(int target, OwnerKey key)
    {
        m_keys[target] = key;
        const AnalysedSamplePtr last = m_last.value(target);
        if (!last || !last->postgres)
            return;
        m_last[target] = describeRecorded(last->target, last->postgres, last->trendFindings, last->timeMs, key,
                                          m_recording->rules());
        Q_EMIT regrouped(target, m_last[target]);
    }

    void run(quint64 job, const std::function<QString(Recording &)> &work) { Q_EMIT finished(job, work(*m_recording)); }

Q_SIGNALS:
    void delivered(quint64 generation, qint64 timeMs, const QList<poolscope::AnalysedSamplePtr> &samples,
                   const QStringList &problems);
    void regrouped(int target, const poolscope::AnalysedSamplePtr &sample);
    void finished(quint64 job, const QString &result);

private:
    AnalysedSamplePtr decode(int t, int sample, const SnapshotPtr &server, QString *error)
    {
        const RecordedTarget &target = m_recording->targets()[t];
        const qint64 timeMs = target.samples[sample].timeMs;
        if (target.kind == TargetKind::PostgreSQL) {
            auto snapshot = std::make_shared<Snapshot>();
            if (!m_recording->snapshotAt(t, sample, snapshot.get(), error))
                return {};
            return describeRecorded(target.name, snapshot, target.trendFindings.value(sample), timeMs, m_keys[t],
                                    m_recording->rules());
        }
        auto snapshot = std::make_shared<BouncerSnapshot>();
        if (!m_recording->snapshotAt(t, sample, snapshot.get(), error))
            return {};
        return describeRecorded(target.name, snapshot, server, timeMs);
    }

    std::shared_ptr<Recording> m_recording;
    std::shared_ptr<std::atomic<quint64>> m_latest;
    QList<int> m_shown;
    QList<OwnerKey> m_keys;
    QList<AnalysedSamplePtr> m_last;
};

RecordingPlayer::RecordingPlayer(std::unique_ptr<Recording> recording, QObject *parent)
    : QObject(parent)
    , m_recording(std::move(recording))
    , m_latest(std::make_shared<std::atomic<quint64>>(0))
{
    qRegisterMetaType<poolscope::AnalysedSamplePtr>();
    m_worker = new PlayerWorker(m_recording, m_latest);
    connect(m_worker, &PlayerWorker::delivered, this, &RecordingPlayer::deliver);
    connect(m_worker, &PlayerWorker::regrouped, this, [this](int target, const AnalysedSamplePtr &sample) {
        if (RecordedSource *source = m_sources.value(target))
            Q_EMIT source->sampled(sample);
    });
    QThread *thread = workerthreads::start(m_worker, QStringLiteral("replay decoder"));
    m_recording->moveToThread(thread); // from now on, only the decoder reads the file
    for (int t = 0; t < m_recording->targets().size(); ++t) {
        m_owned.push_back(std::make_unique<RecordedSource>(this, t));
        m_sources.append(m_owned.back().get());
    }
    m_positionMs = m_recording->firstMs();
}

RecordingPlayer::~RecordingPlayer()
{
    disconnect(m_worker, nullptr, this, nullptr);
    *m_latest = ~quint64(0); // whatever is queued is stale
    workerthreads::finish(m_worker);
}

SampleSource *RecordingPlayer::source(int target) const { return m_sources.value(target); }

std::unique_ptr<SampleSource> RecordingPlayer::takeSource(int target)
{
    for (auto &owned : m_owned) {
        if (owned && owned->target() == target)
            return std::move(owned);
    }
    return {};
}

void RecordingPlayer::seek(qint64 timeMs)
{
    m_positionMs = std::clamp(timeMs, m_recording->firstMs(), m_recording->lastMs());
    const quint64 generation = ++m_generation;
    *m_latest = generation;
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, generation, at = m_positionMs] { worker->seek(generation, at); },
                              Qt::QueuedConnection);
}

void RecordingPlayer::deliver(quint64 generation, qint64 timeMs, const QList<AnalysedSamplePtr> &samples,
                              const QStringList &problems)
{
    // The decoder sends only the targets whose sample changed since its previous delivery, so
    // a delivery overtaken by a later seek is not shown but kept: what it changed stands for
    // the later one unless that changes it again.
    m_pending.resize(samples.size());
    for (int t = 0; t < samples.size(); ++t) {
        if (samples[t])
            m_pending[t] = samples[t];
    }
    if (generation != m_generation)
        return;
    m_shownGeneration = generation;
    for (int t = 0; t < m_pending.size(); ++t) {
        RecordedSource *source = m_sources.value(t);
        if (source && m_pending[t])
            Q_EMIT source->sampled(m_pending[t]);
    }
    m_pending.clear();
    for (const QString &message : problems)
        Q_EMIT problem(message);
    Q_EMIT shown(timeMs);
}

void RecordingPlayer::regroup(int target, OwnerKey key)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, target, key] { worker->regroup(target, key); },
                              Qt::QueuedConnection);
}

void RecordingPlayer::run(std::function<QString(Recording &)> job, QObject *context,
                          std::function<void(const QString &)> done)
{
    static std::atomic<quint64> jobs{0};
    const quint64 id = ++jobs;
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_worker, &PlayerWorker::finished, context,
                          [id, connection, done = std::move(done)](quint64 job, const QString &result) {
                              if (job != id)
                                  return;
                              QObject::disconnect(*connection);
                              done(result);
                          });
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, id, job = std::move(job)] { worker->run(id, job); },
                              Qt::QueuedConnection);
}

// ---- RecordedSource ------------------------------------------------------------------------

RecordedSource::RecordedSource(RecordingPlayer *player, int target)
    : m_player(player)
    , m_target(target)
    , m_kind(player->recording().targets()[target].kind)
{
}

void RecordedSource::start()
{
    SamplerStatus status;
    status.state = SamplerStatus::State::Replaying;
    status.kind = m_kind;
    Q_EMIT statusChanged(status);
}

void RecordedSource::setOwnerKey(OwnerKey key)
{
    if (m_player)
        m_player->regroup(m_target, key);
}

qint64 RecordedSource::nowMs() const { return m_player ? m_player->position() : 0; }

History RecordedSource::initialHistory() const
{
    return m_player ? m_player->recording().targets()[m_target].history : History(1);
}

} // namespace poolscope

#include "recordingplayer.moc"
