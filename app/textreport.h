#pragma once

#include "analysis/diagnosis.h"

#include "analysis/owners.h"
#include "leaklog/leaklogbook.h"
#include "model/snapshot.h"

#include <QHash>
#include <QTextStream>

namespace poolscope::cli {

struct TextReportOptions
{
    int width = 160;        // characters per line
    int maxSessions = 50;   // rows of the session table; leaked and suspected rows come first
    int maxOwners = 15;
    int maxFrames = 8;      // frames of each leaking stack
    QHash<int, QString> via; // backend pid -> the PgBouncer client holding it, when linked
};

// The readable report of `poolscope snapshot` and `poolscope watch`; `findings` are all of the
// sample's, the snapshot's own among them.
void printTextReport(QTextStream &stream, const Snapshot &snapshot, const QList<OwnerSummary> &owners,
                     OwnerKey ownerKey, const QList<Finding> &findings, const TextReportOptions &options);

// Orders sessions the way a DBA reads them: leaked, suspected, then longest in a state.
QList<const Session *> sessionsByUrgency(const Snapshot &snapshot);
// The leak logs read and their reports, each with the session it explains, after a snapshot's tables.
void printLeakLogSummary(QTextStream &stream, const LeakLogState &state, int maxReports = 20);
// The causes of a diagnosis, a line each, after a snapshot's tables.
void printDiagnosisSummary(QTextStream &stream, const Diagnosis &diagnosis);

// A fixed-width table: columns sized to their content, the last one takes what is left.
class TextTable
{
public:
    explicit TextTable(QStringList headers) : m_headers(std::move(headers)) {}
    void addRow(QStringList cells); // each cell becomes one safe line
    void print(QTextStream &stream, int width) const;

private:
    QStringList m_headers;
    QList<QStringList> m_rows;
};

} // namespace poolscope::cli
