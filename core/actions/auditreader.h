#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace poolscope {

// One line of the audit log that AuditLog::append wrote.
struct AuditEntry
{
    QDateTime time;
    QString target;
    QString action;
    QJsonObject arguments;
    QString status;  // "done", "no_such_session", …
    QString message;
    QString sqlstate;
};

struct AuditReadResult
{
    QList<AuditEntry> entries;  // in file order
    QStringList problems;       // "line 7: not a JSON object" — skipped, never fatal
    QString error;              // the file could not be read at all
};

// Reads an audit log, at most the last `maxEntries` entries. A missing file is an empty log.
AuditReadResult readAuditLog(const QString &path, int maxEntries = 10000);
// The same from bytes, for tests and the fuzzer.
AuditReadResult parseAuditLog(const QByteArray &bytes, int maxEntries = 10000);

// Follows an audit log as other processes append to it: each poll() returns the entries of
// the complete lines added since the previous one (entries before the first poll are old news).
class AuditTail
{
public:
    explicit AuditTail(const QString &path);
    QList<AuditEntry> poll();

private:
    QString m_path;
    qint64 m_offset = 0;
};

} // namespace poolscope
