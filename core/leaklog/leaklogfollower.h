#pragma once

#include "leaklog/leaklogparser.h"

#include <QFile>

namespace poolscope {

// Follows one leak log as the application writes it, like `tail -F`: each poll reads what
// the file gained; a file replaced under its name (rotation) is finished and the new one read
// from its start; a file that shrank (truncation) is read again from its start. A log that is
// missing or unreadable is a problem to show, retried at the next poll, never a failure.
// Plain file reads, on the thread that samples: bounded per poll so a huge log never delays a
// sample by more than a few milliseconds.
class LeakLogFollower
{
public:
    explicit LeakLogFollower(LeakLogSpec spec);

    // The reports completed since the last poll; a record the file stopped growing after
    // counts as complete. The first poll reads what the file holds to its end.
    QList<LeakReport> poll();

    const LeakLogSpec &spec() const { return m_spec; }
    QString problem() const { return m_problem; } // "cannot open: No such file or directory", or empty
    qint64 bytesRead() const { return m_bytesRead; }
    qint64 linesRead() const { return m_parser.linesRead(); }
    bool caughtUp() const { return m_caughtUp; }       // read to the end at the last poll
    bool startedLate() const { return m_startedLate; } // the file was larger than kFirstRead

    static constexpr qint64 kFirstRead = 32 * 1024 * 1024; // the tail read of a log found large
    static constexpr qint64 kReadPerPoll = 4 * 1024 * 1024;

private:
    bool open();
    void readAvailable(QList<LeakReport> &out);

    LeakLogSpec m_spec;
    LeakLogParser m_parser;
    QFile m_file;
    quint64 m_identity = 0; // device and inode of the open file: tells a rotation
    qint64 m_offset = 0;
    qint64 m_bytesRead = 0;
    QString m_problem;
    bool m_caughtUp = false;
    bool m_startedLate = false;
    bool m_grewLastPoll = false;
    int m_polls = 0;
};

} // namespace poolscope
