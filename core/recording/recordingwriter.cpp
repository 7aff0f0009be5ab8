#include "recording/recordingwriter.h"

#include "sampling/workerthreads.h"

#include <QHash>

namespace poolscope {

// The Recorder and everything it does, on the writer thread.
class RecorderWorker : public QObject
{
    Q_OBJECT
public:
    RecorderWorker(const RecorderOptions &options, std::shared_ptr<RecordingWriter::State> state)
        : m_recorder(options), m_state(std::move(state))
    {
    }

    void open(const QString &path, bool overwrite)
    {
        close();
        QString error;
        if (!m_recorder.open(path, overwrite, &error)) {
            Q_EMIT failed(error);
            return;
        }
        m_ids.clear();
        m_state->open = true;
        published();
        Q_EMIT opened();
    }

    void append(quintptr key, const AnalysedSamplePtr &sample)
    {
        if (!m_recorder.isOpen() || !sample->fresh)
            return;
        auto id = m_ids.constFind(key);
        if (id == m_ids.cend())
            id = m_ids.insert(key, m_recorder.addTarget(sample->target, sample->kind));
        check(m_recorder.append(*id, *sample));
        appendActions();
    }

    void appendGap(quintptr key, qint64 timeMs, const QString &why)
    {
        if (m_recorder.isOpen() && m_ids.contains(key))
            check(m_recorder.appendGap(m_ids.value(key), timeMs, why));
    }

    void followAuditLog(const QString &path, const QList<ConnInfo> &targets)
    {
        m_audit = std::make_unique<AuditTail>(path);
        m_auditTargets = targets;
    }

    void setAuditTargets(const QList<ConnInfo> &targets) { m_auditTargets = targets; }

    void close()
    {
        if (!m_recorder.isOpen())
            return;
        appendActions();
        m_recorder.close();
        m_state->open = false;
        Q_EMIT closed(m_recorder.samplesWritten(), m_recorder.bytesWritten());
    }

Q_SIGNALS:
    void opened();
    void progress(qint64 samples, qint64 bytes);
    void failed(const QString &message);
    void closed(qint64 samples, qint64 bytes);

private:
    void appendActions()
    {
        if (m_audit && m_recorder.isOpen())
            check(m_recorder.appendActions(m_audit->poll(), m_auditTargets));
    }

    void published()
    {
        m_state->bytes = m_recorder.bytesWritten();
        m_state->samples = m_recorder.samplesWritten();
    }

    void check(bool written)
    {
        published();
        if (written) {
            Q_EMIT progress(m_recorder.samplesWritten(), m_recorder.bytesWritten());
            return;
        }
        m_state->open = false; // the recorder closed the file itself
        Q_EMIT failed(m_recorder.error());
    }

    Recorder m_recorder;
    std::shared_ptr<RecordingWriter::State> m_state;
    QHash<quintptr, int> m_ids;
    std::unique_ptr<AuditTail> m_audit;
    QList<ConnInfo> m_auditTargets;
};

RecordingWriter::RecordingWriter(const RecorderOptions &options, QObject *parent)
    : QObject(parent)
    , m_state(std::make_shared<State>())
    , m_worker(new RecorderWorker(options, m_state))
{
    qRegisterMetaType<poolscope::AnalysedSamplePtr>();
    connect(m_worker, &RecorderWorker::opened, this, &RecordingWriter::opened);
    connect(m_worker, &RecorderWorker::progress, this, &RecordingWriter::progress);
    connect(m_worker, &RecorderWorker::failed, this, &RecordingWriter::failed);
    connect(m_worker, &RecorderWorker::closed, this, &RecordingWriter::closed);
    workerthreads::start(m_worker, QStringLiteral("recording writer"));
}

RecordingWriter::~RecordingWriter()
{
    disconnect(m_worker, nullptr, this, nullptr);
    close();
    workerthreads::finish(m_worker);
}

void RecordingWriter::open(const QString &path, bool overwrite)
{
    m_path = path;
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, path, overwrite] { worker->open(path, overwrite); },
                              Qt::QueuedConnection);
}

void RecordingWriter::append(quintptr key, const AnalysedSamplePtr &sample)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, key, sample] { worker->append(key, sample); },
                              Qt::QueuedConnection);
}

void RecordingWriter::appendGap(quintptr key, qint64 timeMs, const QString &why)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, key, timeMs, why] { worker->appendGap(key, timeMs, why); },
                              Qt::QueuedConnection);
}

void RecordingWriter::followAuditLog(const QString &path, const QList<ConnInfo> &targets)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, path, targets] { worker->followAuditLog(path, targets); },
                              Qt::QueuedConnection);
}

void RecordingWriter::setAuditTargets(const QList<ConnInfo> &targets)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, targets] { worker->setAuditTargets(targets); },
                              Qt::QueuedConnection);
}

void RecordingWriter::close()
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker] { worker->close(); }, Qt::QueuedConnection);
}

} // namespace poolscope

#include "recordingwriter.moc"
