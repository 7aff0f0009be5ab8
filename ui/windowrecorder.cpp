#include "windowrecorder.h"

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
    connect(target, &TargetController::sampled, this, [this, target] { onSampled(target); });
    connect(target, &TargetController::statusChanged, this, [this, target] {
        const SamplerStatus &status = target->status();
        const bool lost = status.state == SamplerStatus::State::Reconnecting || status.state == SamplerStatus::State::Failing;
        if (lost && isRecording() && m_ids.contains(target))
            m_recorder->appendGap(m_ids.value(target), QDateTime::currentMSecsSinceEpoch(), status.error.message);
    });
    connect(target, &QObject::destroyed, this, [this, target] { m_ids.remove(target); });
}

bool WindowRecorder::openFile(const QString &path, bool overwrite, QString *error)
{
    m_recorder = std::make_unique<Recorder>();
    m_ids.clear();
    if (!m_recorder->open(path, overwrite, error)) {
        m_recorder.reset();
        return false;
    }
    if (!m_audit) // kept across an always-on rotation, so no action falls between two files
        m_audit = std::make_unique<AuditTail>(m_auditLogPath);
    Q_EMIT changed();
    return true;
}

bool WindowRecorder::start(const QString &path, QString *error)
{
    stop();
    m_audit.reset(); // actions logged while not recording are not this recording's
    m_capBytes = 0;
    return openFile(path, true, error); // the save dialog has asked about overwriting
}

bool WindowRecorder::startAlwaysOn(const QString &directory, qint64 capBytes, QString *error)
{
    stop();
    m_audit.reset();
    if (!QDir().mkpath(directory)) {
        *error = tr("cannot create %1").arg(directory);
        return false;
    }
    m_directory = directory;
    m_capBytes = capBytes;
    if (!openFile(nextAlwaysOnPath(), false, error)) {
        m_capBytes = 0;
        return false;
    }
    rotateIfFull();
    return true;
}

void WindowRecorder::stop()
{
    if (!m_recorder)
        return;
    const bool empty = m_recorder->samplesWritten() == 0;
    const QString file = m_recorder->path();
    m_recorder->close();
    m_recorder.reset();
    if (empty && isAlwaysOn())
        QFile::remove(file); // a rotation just before the stop: nothing in it

    m_audit.reset();
    m_ids.clear();
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

void WindowRecorder::onSampled(TargetController *target)
{
    if (!isRecording() || target->isReplay())
        return;
    int id = m_ids.value(target, -1);
    if (id < 0) {
        if (!target->kind())
            return;
        id = m_recorder->addTarget(target->displayName(), *target->kind());
        m_ids.insert(target, id);
    }
    const qint64 time = target->lastSampleAtMs();
    bool written = true;
    if (*target->kind() == TargetKind::PostgreSQL && target->postgres())
        written = m_recorder->append(id, *target->postgres(), time);
    else if (*target->kind() == TargetKind::PgBouncer && target->bouncer())
        written = m_recorder->append(id, *target->bouncer(), time);
    // The window's actions on the targets it has open.
    QList<ConnInfo> targets;
    for (const QPointer<TargetController> &t : std::as_const(m_targets)) {
        if (t)
            targets.append(t->connInfo());
    }
    written = written && m_recorder->appendActions(m_audit->poll(), targets);
    if (!written) {
        const QString message = m_recorder->error();
        m_recorder.reset();
        m_capBytes = 0;
        Q_EMIT failed(message);
        Q_EMIT changed();
        return;
    }
    if (isAlwaysOn() && m_recorder->bytesWritten() >= m_capBytes / kFilesPerCap) {
        QString error;
        m_recorder->close();
        if (!openFile(nextAlwaysOnPath(), false, &error)) {
            m_capBytes = 0;
            Q_EMIT failed(error);
            return;
        }
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
