#pragma once

#include "recording/recorder.h"

#include <QObject>

#include <atomic>

namespace poolscope {

class RecorderWorker;

// A Recorder on a thread of its own: encoding, compression, writes and fsync never happen on
// the caller's thread (the window's GUI thread, or `record`'s sampling loop). Calls are queued
// in order and answered by signals; the figures below are the writer thread's latest.
//
// Targets are named by a key of the caller's (one per open target), so that two targets with
// one display name stay two targets in the file.
class RecordingWriter : public QObject
{
    Q_OBJECT
public:
    explicit RecordingWriter(const RecorderOptions &options = {}, QObject *parent = nullptr);
    ~RecordingWriter() override; // closes the file on its thread; not waited for

    // Creates `path`; opened() or failed() follows. An existing file is an error unless `overwrite`.
    void open(const QString &path, bool overwrite);
    // A fresh sample of the target `key`; samples that are not fresh are not this file's.
    void append(quintptr key, const AnalysedSamplePtr &sample);
    void appendGap(quintptr key, qint64 timeMs, const QString &why);
    // Records the actions anyone appends to the audit log at `path` from now on, about these
    // targets (matched by their connection strings); read on the writer thread at each sample
    // and at the end. Kept across open() (an always-on rotation loses no action between files).
    void followAuditLog(const QString &path, const QList<ConnInfo> &targets);
    void setAuditTargets(const QList<ConnInfo> &targets);
    // Ends the file (with an End record and an fsync); closed() follows.
    void close();

    QString path() const { return m_path; }
    bool isOpen() const { return m_state->open; }
    qint64 bytesWritten() const { return m_state->bytes; }
    qint64 samplesWritten() const { return m_state->samples; }

    // The writer thread's figures, shared with it: it may outlive this object by a moment.
    struct State
    {
        std::atomic<bool> open{false};
        std::atomic<qint64> bytes{0};
        std::atomic<qint64> samples{0};
    };

Q_SIGNALS:
    void opened();
    void progress(qint64 samples, qint64 bytes);
    void failed(const QString &message); // could not open, or could not write: the file is closed
    void closed(qint64 samples, qint64 bytes);

private:
    std::shared_ptr<State> m_state;
    RecorderWorker *m_worker;
    QString m_path;
};

} // namespace poolscope
