#include "windowrecorder.h"

#include "output/privatefiles.h"
#include "targetcontroller.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace poolscope::ui {

namespace {

// An always-on file is closed and a new one begun at a quarter of the cap, so that removing
// the oldest file frees a quarter, never the recording in progress.
constexpr int kFilesPerCap = 4;

} // namespace

WindowRecorder::WindowRecorder(QString auditLogPath, QObject *parent)
    : QObject(parent)
    , m_auditLogPath(std::move(auditLogPath))
{
}

WindowRecorder::~WindowRecorder() { stop(); }

void WindowRecorder::watch(TargetController *target)
{
    m_targets.append(target);
    const quintptr key = quintptr(target);
    connect(target, &TargetController::sampled, this, [this, target, key] {
        if (m_writer && target->sample())
            m_writer->append(key, target->sample()); // only fresh samples are written
    });
    connect(target, &TargetController::statusChanged, this, [this, target, key] {
        const SamplerStatus &status = target->status();
        const bool lost = status.state == SamplerStatus::State::Reconnecting || status.state == SamplerStatus::State::Failing;
        if (lost && m_writer)
            m_writer->appendGap(key, QDateTime::currentMSecsSinceEpoch(), status.error.message);
    });
    connect(target, &QObject::destroyed, this, [this] {
        if (m_writer)
            m_writer->setAuditTargets(targets());
    });
    if (m_writer)
        m_writer->setAuditTargets(targets());
}

QList<ConnInfo> WindowRecorder::targets() const
{
    QList<ConnInfo> list;
    for (const QPointer<TargetController> &t : m_targets) {
        if (t && t->canAct())
            list.append(t->connInfo());
    }
    return list;
}

void WindowRecorder::begin(const QString &path, bool overwrite)
{
    m_writer = std::make_unique<RecordingWriter>();
    m_rotating = false;
    connect(m_writer.get(), &RecordingWriter::progress, this, [this](qint64, qint64 bytes) { onProgress(bytes); });
    connect(m_writer.get(), &RecordingWriter::opened, this, [this] { m_rotating = false; });
    connect(m_writer.get(), &RecordingWriter::failed, this, [this](const QString &message) {
        m_writer.reset();
        m_capBytes = 0;
        Q_EMIT failed(message);
        Q_EMIT changed();
    });
    // Actions logged from now on, also across an always-on rotation: the writer keeps its tail.
    m_writer->followAuditLog(m_auditLogPath, targets());
    m_writer->open(path, overwrite);
    Q_EMIT changed();
}

bool WindowRecorder::start(const QString &path, QString *)
{
    stop();
    begin(path, true); // the save dialog has asked about overwriting
    return true;
}

bool WindowRecorder::startAlwaysOn(const QString &directory, qint64 capBytes, QString *error)
{
    stop();
    // Recordings hold query texts: the directory is owner-only, as the files are.
    if (!makePrivateDirectory(directory, error))
        return false;
    m_directory = directory;
    m_capBytes = capBytes;
    begin(nextAlwaysOnPath(), false);
    rotateIfFull();
    return true;
}

void WindowRecorder::stop()
{
    if (!m_writer)
        return;
    // An always-on file rotated just before the stop holds nothing: removed once closed.
    const bool removeIfEmpty = isAlwaysOn();
    RecordingWriter *writer = m_writer.release();
    connect(writer, &RecordingWriter::closed, this, [this, writer, removeIfEmpty](qint64 samples, qint64) {
        if (removeIfEmpty && samples == 0)
            QFile::remove(writer->path());
        Q_EMIT stopped(writer->path());
        writer->deleteLater();
    });
    connect(writer, &RecordingWriter::failed, writer, &QObject::deleteLater);
    writer->close();
    m_capBytes = 0;
    Q_EMIT changed();
}

QStringList WindowRecorder::recordingsIn(const QString &directory)
{
    QStringList files;
    const QFileInfoList infos =
        QDir(directory).entryInfoList({QStringLiteral("poolscope-*.psrec")}, QDir::Files, QDir::Name);
    for (const QFileInfo &info : infos)
        files.append(info.absoluteFilePath());
    return files;
}

QString WindowRecorder::nextAlwaysOnPath() const
{
    return QDir(m_directory).filePath(QStringLiteral("poolscope-%1.psrec")
                                          .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz"))));
}

void WindowRecorder::onProgress(qint64 bytes)
{
    if (isAlwaysOn() && !m_rotating && bytes >= m_capBytes / kFilesPerCap) {
        // The same writer closes this file and opens the next, in that order, on its thread;
        // the figures of the old file that are still on their way do not rotate again.
        m_rotating = true;
        m_writer->close();
        m_writer->open(nextAlwaysOnPath(), false);
        rotateIfFull();
    }
    Q_EMIT changed();
}

void WindowRecorder::rotateIfFull()
{
    QStringList files = recordingsIn(m_directory);
    qint64 total = 0;
    for (const QString &file : std::as_const(files))
        total += QFileInfo(file).size();
    const QString current = QFileInfo(path()).absoluteFilePath();
    while (total > m_capBytes && !files.isEmpty() && files.first() != current) {
        total -= QFileInfo(files.first()).size();
        QFile::remove(files.takeFirst());
    }
}

} // namespace poolscope::ui
