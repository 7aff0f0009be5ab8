#pragma once

#include "recording/recordingwriter.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <memory>

namespace poolscope::ui {

class TargetController;

// Records the samples of every target the window has open into one file, with their alerts
// and the actions logged to the window's audit log meanwhile: on demand (one file), or always
// (a file per start in a directory, rotated so that the directory stays under a size cap).
// The file is written on a thread of its own (RecordingWriter): a slow disk never stalls the
// window. A file that cannot be created or written is reported by failed().
class WindowRecorder : public QObject
{
    Q_OBJECT
public:
    explicit WindowRecorder(QString auditLogPath, QObject *parent = nullptr);
    ~WindowRecorder() override;

    void watch(TargetController *target);

    // False (with *error) only for what is known at once; the rest arrives by failed().
    bool start(const QString &path, QString *error);
    // Always on: files in `directory`, the oldest removed beyond `capBytes` in all.
    bool startAlwaysOn(const QString &directory, qint64 capBytes, QString *error);
    void stop();
    bool isRecording() const { return m_writer != nullptr; }
    bool isAlwaysOn() const { return m_capBytes > 0; }
    QString path() const { return m_writer ? m_writer->path() : QString(); }
    qint64 bytesWritten() const { return m_writer ? m_writer->bytesWritten() : 0; }
    qint64 samplesWritten() const { return m_writer ? m_writer->samplesWritten() : 0; }

    // Recordings of an always-on directory, oldest first.
    static QStringList recordingsIn(const QString &directory);

Q_SIGNALS:
    void changed();                     // started, stopped, rotated, or a sample written
    void failed(const QString &message); // the file could not be written: recording stopped
    void stopped(const QString &path);   // after stop(): the file is closed, whole and synced

private:
    void begin(const QString &path, bool overwrite);
    void onProgress(qint64 bytes);
    void rotateIfFull();
    QString nextAlwaysOnPath() const;
    QList<ConnInfo> targets() const;

    QString m_auditLogPath;
    std::unique_ptr<RecordingWriter> m_writer;
    QList<QPointer<TargetController>> m_targets;
    QString m_directory;
    qint64 m_capBytes = 0;
    bool m_rotating = false; // from closing a full file until the next one is open
};

} // namespace poolscope::ui
