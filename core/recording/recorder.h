#pragma once

#include "analysis/analysedsample.h"
#include "actions/auditreader.h"
#include "pgbouncer/bouncerreader.h"
#include "analysis/classifier.h"
#include "recording/leakrecords.h"
#include "recording/recordingformat.h"
#include "recording/snapshotcodec.h"


#include <memory>
#include <vector>

namespace poolscope {

struct RecorderOptions
{
    LeakRules rules;
    AlertRules alertRules;
    int keyframeEvery = 300;            // samples between keyframes: what a seek decodes at most
    qint64 keyframeStringBytes = 32 << 20; // …or sooner when a target's string table grows this big
    qint64 syncEveryMs = 5000;          // fdatasync at most this often: what a power cut can lose
};

// Appends samples of any number of targets to one recording file (recordingformat.h), with
// the alerts they raise and the actions taken. Memory stays bounded: per target the previous
// sample and the string table since the last keyframe. Each record is written whole, and the
// file is flushed to the system after every record and synced to disk every few seconds.
// Not thread-safe: one thread appends.
class Recorder
{
public:
    explicit Recorder(const RecorderOptions &options = {});
    ~Recorder(); // close()s

    // Creates `path` (an existing file is kept, and an error returned, unless `overwrite`),
    // owner-only (0600), and locks it (flock) for as long as it is open: a second recorder
    // onto the same file, in this process or another, is refused with the pid that holds it
    // instead of both writing over each other.
    bool open(const QString &path, bool overwrite, QString *error);
    bool isOpen() const { return m_fd >= 0; }
    QString path() const { return m_path; }

    int addTarget(const QString &name, TargetKind kind);
    // A sample as the analysis made it, with its chart point, trend findings and alerts. False
    // when the file could not be written (disk full…): error() says why, in the system's words
    // ("No space left on device"); the recording is closed with an End record that says why
    // when there is room for it, and what was written stays readable.
    bool append(int target, const AnalysedSample &sample);
    bool appendGap(int target, qint64 timeMs, const QString &why);
    bool appendAction(const AuditEntry &entry);
    // The entries about `targets`, renamed from the connection string the audit log names them
    // by to the display name the recording uses; the others are not this recording's.
    bool appendActions(const QList<AuditEntry> &entries, const QList<ConnInfo> &targets);
    void close(qint64 timeMs = 0);

    QString error() const { return m_error; }
    qint64 bytesWritten() const { return m_bytes; }
    qint64 samplesWritten() const { return m_samples; }
    qint64 memoryBytes() const;
    const QList<Alert> &alertsFired() const { return m_alerts; }

private:
    struct Target
    {
        QString name;
        TargetKind kind{};
        SnapshotEncoder encoder;
        int sinceKeyframe = -1; // -1: the next sample is the first
        quint64 sequence = 0;   // per target, so that a reader notices a lost delta
        recording::LeakRecordTracker leakReports;
    };
    bool write(recording::RecordType type, const QByteArray &body);
    bool writeAll(const QByteArray &bytes, int *error);
    bool reserve(qint64 bytes, int *error);
    void stopOnWriteError(int error);
    void closeFile();
    bool writeJson(recording::RecordType type, const QJsonObject &object);
    bool writeAlerts(const AlertTracker::Changes &changes);
    bool writeLeakReports(int id, Target &target, const AnalysedSample &sample);
    Target *targetAt(int id);

    RecorderOptions m_options;
    int m_fd = -1; // written with write(2): errno says what went wrong, and flock holds on it
    bool m_canReserve = true;
    QString m_path;
    std::vector<std::unique_ptr<Target>> m_targets;
    QString m_error;
    qint64 m_bytes = 0;
    qint64 m_samples = 0;
    qint64 m_lastSyncMs = 0;
    QList<Alert> m_alerts;
};

QJsonObject leakRulesToJson(const LeakRules &rules);
LeakRules leakRulesFromJson(const QJsonObject &object);

} // namespace poolscope
