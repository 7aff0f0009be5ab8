#pragma once

#include "analysis/alerts.h"
#include "actions/auditreader.h"
#include "pgbouncer/bouncerreader.h"
#include "model/history.h"
#include "recording/leakrecords.h"
#include "recording/recordingformat.h"
#include "recording/snapshotcodec.h"

#include <QJsonObject>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

#include <functional>
#include <memory>

namespace poolscope {

// One target of a recording: its samples' places in the file, and its chart history.
struct RecordedTarget
{
    struct Sample
    {
        qint64 offset = 0;
        qint64 timeMs = 0;
        bool keyframe = false;
        bool decodable = true; // false: a sample before it (back to its keyframe) is missing
    };

    int id = 0;
    QString name;
    TargetKind kind = TargetKind::PostgreSQL;
    QList<Sample> samples; // in time order
    History history{1};    // what the charts draw, gaps included; sized to the samples on open
    QHash<int, QList<Finding>> trendFindings; // by sample index: findings that need earlier samples

    int sampleAtOrBefore(qint64 timeMs) const; // -1: before the first
};

// An opened recording: everything but the snapshots is read on open (one pass over the file);
// a snapshot is decoded on request from the keyframe before it. Damage is reported in
// problems() and skipped; only a file that is not a recording at all fails to open.
class Recording
{
public:
    // progress(done, total) in bytes; returning false cancels the open.
    using Progress = std::function<bool(qint64 done, qint64 total)>;

    static std::unique_ptr<Recording> open(const QString &path, QString *error, const Progress &progress = {});
    // The same from a device the recording keeps using (a QBuffer in tests and the fuzzer).
    static std::unique_ptr<Recording> open(std::unique_ptr<QIODevice> device, QString *error,
                                           const Progress &progress = {});

    ~Recording();

    const QList<RecordedTarget> &targets() const { return m_targets; }
    const QList<Alert> &alerts() const { return m_alerts; } // in firing order, clears merged in
    const QList<AuditEntry> &actions() const { return m_actions; }
    // Pools' leak reports, each in its last recorded state, in the order they were first read.
    const QList<recording::RecordedLeakReport> &leakReports() const { return m_leakReports; }
    const QStringList &problems() const { return m_problems; }
    const QJsonObject &start() const { return m_start; }
    const LeakRules &rules() const { return m_rules; }
    qint64 firstMs() const { return m_firstMs; }
    qint64 lastMs() const { return m_lastMs; }
    bool endedCleanly() const { return m_ended; }
    // Why the recorder stopped before it was asked to, from its End record: "disk_full" or
    // "write_error" (with the system's message), or empty.
    QString stoppedBecause() const { return m_stopped; }
    QString stopError() const { return m_stopError; }
    // The file is read from the thread that opened it unless moved (a replay opens it on a
    // worker thread and reads it on the GUI thread).
    void moveToThread(QThread *thread);
    QString path() const { return m_path; }

    // The snapshot of `target` at `sample` (an index into its samples), classified with the
    // recording's rules. False (with *error) when that sample's segment is damaged.
    bool snapshotAt(int target, int sample, Snapshot *snapshot, QString *error = nullptr);
    bool snapshotAt(int target, int sample, BouncerSnapshot *snapshot, QString *error = nullptr);

private:
    Recording() = default;
    bool load(QString *error, const Progress &progress);
    template<class S> bool decodeAt(int target, int sample, S *snapshot, QString *error);
    void addProblem(const QString &problem);

    struct Cursor
    {
        SnapshotDecoder decoder;
        int position = -1; // the last sample the decoder applied
    };

    std::unique_ptr<QIODevice> m_device;
    QString m_path;
    QList<RecordedTarget> m_targets;
    QList<std::shared_ptr<Cursor>> m_cursors;
    QList<Alert> m_alerts;
    QList<AuditEntry> m_actions;
    QList<recording::RecordedLeakReport> m_leakReports;
    QStringList m_problems;
    QJsonObject m_start;
    LeakRules m_rules;
    qint64 m_firstMs = 0;
    qint64 m_lastMs = 0;
    bool m_ended = false;
    QString m_stopped;
    QString m_stopError;
};

} // namespace poolscope
