#pragma once

#include "leaklog/logtime.h"
#include "model/leakreport.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace poolscope {

// What the operator says of one leak log: where it is, whose it is, and the pool's threshold
// when the pool's report does not carry the checkout time (HikariCP's leakDetectionThreshold,
// c3p0's unreturnedConnectionTimeout, Tomcat's removeAbandonedTimeout).
struct LeakLogSpec
{
    QString file;
    QString owner;          // application the log belongs to, or empty: any session may match
    qint64 thresholdMs = 0; // 0: unknown

    // "FILE", "OWNER=FILE", either followed by ",threshold=DURATION" (",2s" also). Empty
    // optional, with *error set, for what is not that.
    static std::optional<LeakLogSpec> parse(const QString &text, QString *error);
    QString toString() const;
    friend bool operator==(const LeakLogSpec &, const LeakLogSpec &) = default;
};

// Reads one pool log incrementally: bytes in, reports out once their text is complete. A
// record is a line that starts with a time (or a pool's own first line, as DBCP2 prints
// without one) and the lines after it up to the next such line: multi-line stacks, "… N more",
// "Caused by:" chains. Other threads' records between two reports are read and dropped.
// Bounded whatever the input: lines past 16 KiB and records past 400 lines are cut.
class LeakLogParser
{
public:
    explicit LeakLogParser(LeakLogSpec spec = {}) : m_spec(std::move(spec)) {}

    // New bytes of the log; the reports whose record ended in them. `line` counts from here.
    QList<LeakReport> feed(QByteArrayView bytes);
    // No more text for now (the end of the file, or a follow found nothing new): the record
    // read so far is complete. A last line without its newline stays pending.
    QList<LeakReport> finish();
    // The file was truncated or replaced: forget the partial record, count lines from 1.
    void restart();

    qint64 linesRead() const { return m_lineNumber; }

private:
    void takeLine(QByteArrayView line, QList<LeakReport> &out);
    void endRecord(QList<LeakReport> &out);

    LeakLogSpec m_spec;
    QByteArray m_partial; // the last line, until its newline comes
    QList<QByteArray> m_record;
    qint64 m_recordTimeMs = 0;
    qint64 m_lastTimeMs = 0; // of the last line that began with a time
    qint64 m_recordLine = 0;
    qint64 m_lineNumber = 0;
};

// One record (its lines, the first being the one that started it) read as a leak report, or
// nullopt when it is none. Exposed for the data-driven tests.
std::optional<LeakReport> readLeakRecord(const QList<QByteArray> &lines, qint64 loggedAtMs, const LeakLogSpec &spec);

} // namespace poolscope
