#pragma once

#include "leaklog/leaklogbook.h"

#include <QHash>
#include <QJsonObject>

namespace poolscope::recording {

// A leak report as a recording keeps it ('L' records, README "Recording format"): written when
// the report is first read and again whenever its join changes (joined, ended, withdrawn), so
// that a recording tells which pool reported which session, and `report` can cite it.
struct RecordedLeakReport
{
    QString target;
    qint64 firstSeenMs = 0; // client clock, when the report was first recorded
    qint64 timeMs = 0;      // …and when its last state was
    JoinedLeakReport joined;
};

QJsonObject leakReportToJson(int targetId, qint64 timeMs, const JoinedLeakReport &joined);
// nullopt when the object is not one (another version's, or damaged).
std::optional<RecordedLeakReport> leakReportFromJson(const QJsonObject &object, const QString &targetName);

// Which reports of one target were recorded in which state: what the next sample must add.
class LeakRecordTracker
{
public:
    // The reports of `state` new or changed since the last call.
    QList<JoinedLeakReport> changes(const LeakLogState &state);

private:
    struct Seen
    {
        LeakReportPtr report; // kept, so that its address is not reused while it is tracked
        QString signature;
    };
    QHash<const LeakReport *, Seen> m_seen;
};

} // namespace poolscope::recording
