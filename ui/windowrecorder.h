#pragma once

#include "actions/auditreader.h"
#include "recording/recorder.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <memory>

namespace poolscope::ui {

class TargetController;

// Records the samples of every target the window has open into one file, with their alerts
// and the actions logged to the window's audit log meanwhile: on demand (one file), or always
// (a file per start in a directory, rotated so that the directory stays under a size cap).
class WindowRecorder : public QObject
{
    Q_OBJECT
public:
    explicit WindowRecorder(QString auditLogPath, QObject *parent = nullptr);
    ~WindowRecorder() override;

    void watch(TargetController *target);

    bool start(const QString &path, QString *error);
    // Always on: files in `directory`, the oldest removed beyond `capBytes` in all.
    bool startAlwaysOn(const QString &directory, qint64 capBytes, QString *error);
    void stop();
    bool isRecording() const { return m_recorder && m_recorder->isOpen(); }
    bool isAlwaysOn() const { return m_capBytes > 0; }
    QString path() const { return m_recorder ? m_recorder->path() : QString(); }
    qint64 bytesWritten() const { return m_recorder ? m_recorder->bytesWritten() : 0; }

    // Recordings of an always-on directory, oldest first.
    static QStringList recordingsIn(const QString &directory);

Q_SIGNALS:
    void changed();                     // started, stopped, rotated, or a sample written
    void failed(const QString &message); // the file could not be written: recording stopped

private:
    bool openFile(const QString &path, bool overwrite, QString *error);
    void onSampled(TargetController *target);
    void rotateIfFull();
    QString nextAlwaysOnPath() const;

    QString m_auditLogPath;
    std::unique_ptr<Recorder> m_recorder;
    std::unique_ptr<AuditTail> m_audit;
    QHash<TargetController *, int> m_ids; // per target, once its first sample is recorded
    QList<QPointer<TargetController>> m_targets;
    QString m_directory;
    qint64 m_capBytes = 0;
};

} // namespace poolscope::ui
