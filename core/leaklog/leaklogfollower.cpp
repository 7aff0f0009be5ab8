#include "leaklog/leaklogfollower.h"

#include <QFileInfo>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif

namespace poolscope {

namespace {

// Which file a path names now: a rotation leaves the name to a new file (another inode).
quint64 identityOf(const QString &path)
{
#ifdef Q_OS_UNIX
    struct stat status {};
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return 0;
    return (quint64(status.st_dev) << 48) ^ quint64(status.st_ino);
#else
    return QFileInfo::exists(path) ? 1 : 0;
#endif
}

} // namespace

LeakLogFollower::LeakLogFollower(LeakLogSpec spec)
    : m_spec(std::move(spec))
    , m_parser(m_spec)
{
}

bool LeakLogFollower::open()
{
    m_file.setFileName(m_spec.file);
    if (QFileInfo(m_spec.file).isDir()) {
        m_problem = QStringLiteral("is a directory, not a log file");
        return false;
    }
    if (!m_file.open(QIODevice::ReadOnly)) {
        m_problem = QStringLiteral("cannot open: %1").arg(m_file.errorString());
        return false;
    }
    m_identity = identityOf(m_spec.file);
    m_offset = 0;
    m_polls = 0;
    m_caughtUp = false;
    m_parser.restart();
    m_problem.clear();
    const qint64 size = m_file.size();
    if (size > kFirstRead) {
        // Reports older than the last 32 MiB of a log are unlikely to explain a session still
        // open; the first line read may be cut, which the parser drops as a record's tail.
        m_offset = size - kFirstRead;
        m_startedLate = true;
    }
    return true;
}

void LeakLogFollower::readAvailable(QList<LeakReport> &out)
{
    const qint64 size = m_file.size();
    if (size < m_offset) { // truncated ("> app.log", copytruncate): from the start again
        out += m_parser.finish();
        m_offset = 0;
        m_parser.restart();
    }
    m_caughtUp = true;
    if (size == m_offset)
        return;
    m_caughtUp = false;
    if (!m_file.seek(m_offset)) {
        m_problem = QStringLiteral("cannot read: %1").arg(m_file.errorString());
        return;
    }
    const QByteArray bytes = m_file.read(qMin(size - m_offset, kReadPerPoll));
    if (bytes.isEmpty() && size > m_offset) {
        m_problem = QStringLiteral("cannot read: %1").arg(m_file.errorString());
        return;
    }
    m_offset += bytes.size();
    m_bytesRead += bytes.size();
    m_caughtUp = m_offset >= size;
    m_grewLastPoll = true;
    out += m_parser.feed(bytes);
}

QList<LeakReport> LeakLogFollower::poll()
{
    QList<LeakReport> out;
    if (!m_file.isOpen() && !open())
        return out;
    const quint64 identity = identityOf(m_spec.file);
    if (identity != m_identity) {
        // Rotated (or removed): what the old file gained is read to its end first.
        readAvailable(out);
        out += m_parser.finish();
        m_file.close();
        if (identity == 0) {
            m_problem = QStringLiteral("the file is gone (rotated?): waiting for it to come back");
            return out;
        }
        if (!open())
            return out;
    }
    const bool first = m_polls++ == 0;
    m_grewLastPoll = false;
    if (first) {
        // What the log held when it was opened is read whole (at most kFirstRead): the
        // reports so far may explain sessions open now, and a one-shot read needs them all.
        for (qint64 read = 0; m_problem.isEmpty() && !m_caughtUp && read <= kFirstRead; read += kReadPerPoll)
            readAvailable(out);
        out += m_parser.finish();
        return out;
    }
    readAvailable(out);
    // A stack may come in several writes: a record is complete once the file stops growing.
    if (!m_grewLastPoll)
        out += m_parser.finish();
    return out;
}

} // namespace poolscope
