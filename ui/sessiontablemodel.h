#pragma once

#include "analysis/owners.h"
#include "analysis/sessionfilter.h"
#include "model/snapshot.h"

#include <QAbstractTableModel>
#include <QHash>

#include <functional>

namespace poolscope::ui {

// The sessions of the latest sample that the filter lets through, one row each, keyed by pid +
// backend_start, in the chosen sort order. Durations are computed when asked, from the sample's
// time plus the time since it was taken on the source's clock (the replay's position for a
// recording), so they tick with a repaint and no signal (all grow alike: the order stays right).
//
// The model sorts and filters itself. Behind a QSortFilterProxyModel, 10,000 rows cost the GUI
// thread milliseconds every sample: each new or re-sorted row was placed by binary search
// through QModelIndex-based comparisons, and each run of rows inserted rebuilt the proxy's whole
// mapping (bench_gui). Here each sample is one std::sort on the sessions' own fields, then the
// changes reach the view as the signals it knows: rows that went are removed in runs, the rows
// that stay are put in their new order by one layout change (selection and current row follow
// their sessions), new rows are inserted in runs where they belong, and one dataChanged tells
// the view to repaint.
class SessionTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Pid, Class, Verdict, Application, User, Database, Client, InState, Transaction, Wait, BlockedBy,
        CodeLocation, Trace, Query, LastAction, ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, SessionKeyRole, PidRole };

    explicit SessionTableModel(QObject *parent = nullptr);

    // `sampleTimeMs`: when the sample was taken, on the clock setClock() reads.
    void merge(const SnapshotPtr &snapshot, qint64 sampleTimeMs);
    void setFilter(const SessionFilter &filter);
    const SessionFilter &filter() const { return m_filter; }
    // What time it is for the ages: the wall clock by default, a replay's position for a recording.
    void setClock(std::function<qint64()> now) { m_now = std::move(now); }
    // The outcome of an action on a session, shown in its row until the session goes.
    void setActionResult(quint64 sessionKey, const QString &text, bool ok);

    const Session &session(int row) const { return m_snapshot->sessions[m_rows[row]]; }
    int rowOfKey(quint64 key) const { return m_rowOfKey.value(key, -1); }
    int sessionCount() const { return m_snapshot ? int(m_snapshot->sessions.size()) : 0; } // before the filter
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    // By the sessions' raw values (pid as a number, ages as durations); -1: the sample's order.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    double ageSeconds(qint64 sinceMs) const; // on the server's clock, advanced by our own since the sample
    QVariant cell(const Session &s, int column, bool sort) const; // the display or sort value, raw
    // The rows `snapshot` should show, in order: indexes into its sessions.
    QList<int> wantedRows(const Snapshot *snapshot) const;
    // Brings the rows shown to `snapshot`'s wanted rows with the fewest signals (see above).
    void arrange(const SnapshotPtr &snapshot);

    SnapshotPtr m_snapshot; // the sample shown, which the rows point into
    QList<int> m_rows;      // per row: its session's index in m_snapshot
    QHash<quint64, int> m_rowOfKey;
    SessionFilter m_filter;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    struct Outcome { QString text; bool ok = false; };
    QHash<quint64, Outcome> m_outcomes;
    qint64 m_takenAtMs = 0;   // server clock
    qint64 m_sampleTimeMs = 0; // the clock of m_now
    std::function<qint64()> m_now;
};

} // namespace poolscope::ui
