#pragma once

#include "recording/recordingreader.h"
#include "sampling/samplesource.h"

#include <QPointer>

#include <atomic>

#include <functional>
#include <memory>

namespace poolscope {

class PlayerWorker;
class RecordedSource;

// Replays a recording to views: one SampleSource per recorded target, fed with the samples at
// the replay's position. Decoding (a seek back to a keyframe can take hundreds of milliseconds
// on a large server) happens on a thread of its own; a seek overtaken by the next one is
// dropped there or on arrival (by generation), so the window never waits for one.
//
// What a Recording keeps after open (targets, histories, alerts, actions) is read-only and may
// be read from the caller's thread; everything that reads the file runs on the decoding thread.
class RecordingPlayer : public QObject
{
    Q_OBJECT
public:
    explicit RecordingPlayer(std::unique_ptr<Recording> recording, QObject *parent = nullptr);
    ~RecordingPlayer() override; // the decoding thread ends by itself

    const Recording &recording() const { return *m_recording; }
    int targetCount() const { return int(m_sources.size()); }
    SampleSource *source(int target) const;
    // Hands the source of `target` to its view (a TargetController owns it from then on).
    std::unique_ptr<SampleSource> takeSource(int target);

    // Shows every target as it was at `timeMs` (clamped to the recording): each target whose
    // sample changes reports it, then shown() follows. Never waits.
    void seek(qint64 timeMs);
    qint64 position() const { return m_positionMs; }
    bool isSeeking() const { return m_shownGeneration != m_generation; }

    // Runs `job` on the decoding thread with the recording (it may read the file there) and
    // hands its result to `done` on this thread, unless `context` is gone by then.
    void run(std::function<QString(Recording &)> job, QObject *context, std::function<void(const QString &)> done);

Q_SIGNALS:
    void shown(qint64 timeMs); // the samples at this position are in every source
    void problem(const QString &message); // a sample that could not be decoded

private:
    friend class RecordedSource;
    void regroup(int target, OwnerKey key);
    void deliver(quint64 generation, qint64 timeMs, const QList<AnalysedSamplePtr> &samples, const QStringList &problems);

    std::shared_ptr<Recording> m_recording;
    // The latest seek asked for, which the decoder reads too: a seek overtaken while queued is
    // skipped without decoding.
    std::shared_ptr<std::atomic<quint64>> m_latest;
    PlayerWorker *m_worker;
    QList<AnalysedSamplePtr> m_pending; // per target: decoded, not yet shown
    QList<QPointer<RecordedSource>> m_sources;
    std::vector<std::unique_ptr<RecordedSource>> m_owned; // until taken
    qint64 m_positionMs = 0;
    quint64 m_generation = 0;
    quint64 m_shownGeneration = 0;
};

// One recorded target as a SampleSource: read-only, its time the replay's position, its
// history the recording's.
class RecordedSource : public SampleSource
{
    Q_OBJECT
public:
    RecordedSource(RecordingPlayer *player, int target);

    void start() override;
    void stop() override {}
    void restart() override {}
    void setOwnerKey(OwnerKey key) override;
    void setAlertRules(const AlertRules &) override {} // the recording's alerts are what they were
    bool canAct() const override { return false; }
    qint64 nowMs() const override;
    History initialHistory() const override;
    int target() const { return m_target; }

private:
    friend class RecordingPlayer;
    QPointer<RecordingPlayer> m_player;
    int m_target;
    TargetKind m_kind;
};

} // namespace poolscope
