#include "actions/auditreader.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

namespace poolscope {

AuditReadResult readAuditLog(const QString &path, int maxEntries)
{
    QFile file(path);
    if (!file.exists())
        return {};
    if (!file.open(QIODevice::ReadOnly)) {
        AuditReadResult result;
        result.error = QStringLiteral("cannot read the audit log %1: %2").arg(path, file.errorString());
        return result;
    }
    return parseAuditLog(file.readAll(), maxEntries);
}

AuditReadResult parseAuditLog(const QByteArray &bytes, int maxEntries)
{
    AuditReadResult result;
    int lineNumber = 0;
    qsizetype start = 0;
    while (start < bytes.size()) {
        qsizetype end = bytes.indexOf('\n', start);
        if (end < 0)
            end = bytes.size();
        const QByteArray line = bytes.mid(start, end - start).trimmed();
        start = end + 1;
        ++lineNumber;
        if (line.isEmpty())
            continue;
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
            // A line cut by a crash mid-write, or not ours: say so and go on.
            if (result.problems.size() < 100)
                result.problems.append(QStringLiteral("line %1: %2").arg(lineNumber).arg(
                    parseError.error != QJsonParseError::NoError ? parseError.errorString() : QStringLiteral("not a JSON object")));
            continue;
        }
        const QJsonObject object = document.object();
        AuditEntry entry;
        entry.time = QDateTime::fromString(object.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
        entry.target = object.value(QStringLiteral("target")).toString();
        entry.action = object.value(QStringLiteral("action")).toString();
        entry.arguments = object.value(QStringLiteral("arguments")).toObject();
        const QJsonObject outcome = object.value(QStringLiteral("result")).toObject();
        entry.status = outcome.value(QStringLiteral("status")).toString();
        entry.message = outcome.value(QStringLiteral("message")).toString();
        entry.sqlstate = outcome.value(QStringLiteral("sqlstate")).toString();
        if (entry.action.isEmpty() || !entry.time.isValid()) {
            if (result.problems.size() < 100)
                result.problems.append(QStringLiteral("line %1: no time or action").arg(lineNumber));
            continue;
        }
        result.entries.append(entry);
        if (maxEntries > 0 && result.entries.size() >= 2 * maxEntries) // trim in blocks, not per line
            result.entries.remove(0, result.entries.size() - maxEntries);
    }
    if (maxEntries > 0 && result.entries.size() > maxEntries)
        result.entries.remove(0, result.entries.size() - maxEntries);
    return result;
}

AuditTail::AuditTail(const QString &path)
    : m_path(path)
    , m_offset(QFileInfo(path).size())
{
}

QList<AuditEntry> AuditTail::poll()
{
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    if (file.size() < m_offset)
        m_offset = 0; // rotated or truncated: read it from the start
    if (!file.seek(m_offset))
        return {};
    const QByteArray added = file.read(qMin<qint64>(file.size() - m_offset, 16 << 20));
    const qsizetype complete = added.lastIndexOf('\n') + 1; // a line being written waits for the next poll
    m_offset += complete;
    return parseAuditLog(added.left(complete), 0).entries;
}

} // namespace poolscope
