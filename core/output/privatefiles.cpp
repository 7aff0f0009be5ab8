#include "output/privatefiles.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace poolscope {

QString dataDirectory()
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QStringLiteral("/.local/share");
    return QDir::cleanPath(dir + QStringLiteral("/poolscope"));
}

bool makePrivateDirectory(const QString &directory, QString *error)
{
    const QString path = QDir::cleanPath(QFileInfo(directory).absoluteFilePath());
    // Each missing component is created 0700 by mkdir itself, not loosened first by the umask
    // and tightened after.
    const QStringList parts = path.split(u'/', Qt::SkipEmptyParts);
    QString current;
    for (const QString &part : parts) {
        current += u'/' + part;
        const QByteArray native = QFile::encodeName(current);
        if (::mkdir(native.constData(), 0700) != 0 && errno != EEXIST) {
            if (error)
                *error = QStringLiteral("cannot create %1: %2").arg(current, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
    }
    const QString own = dataDirectory();
    if (path == own || path.startsWith(own + u'/')) {
        for (QString dir = path; dir.size() >= own.size(); dir = QFileInfo(dir).path())
            ::chmod(QFile::encodeName(dir).constData(), 0700);
    }
    if (!QFileInfo(path).isDir()) {
        if (error)
            *error = QStringLiteral("cannot create %1: a file of that name is in the way").arg(path);
        return false;
    }
    return true;
}

} // namespace poolscope
