#pragma once

#include "analysis/owners.h"
#include "analysis/sessionfilter.h"
#include "model/snapshot.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSortFilterProxyModel>

#include <functional>

namespace poolscope::ui {

// Every session of the latest sample, one row each, keyed by pid + backend_start. Durations
// are computed when asked, from the sample's time plus the time since it was taken on the
// source's clock (the replay's position for a recording), so they tick with a repaint and no
// signal (all grow alike: the sort order stays right). Each sample
// is merged in: rows that stay keep their place (and the view its selection and scroll
// position), rows that went are removed in runs, new ones appended, and the rest announced
// by one ranged dataChanged, which costs less than many small ones at 10,000 rows.
class SessionTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Pid, Class, Verdict, Application, User, Database, Client, InState, Transaction, Wait, BlockedBy,
        CodeLocation, Query, LastAction, ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, SessionKeyRole, PidRole };

    explicit SessionTableModel(QObject *parent = nullptr);

    // `sampleTimeMs`: when the sample was taken, on the clock setClock() reads.
    void merge(const SnapshotPtr &snapshot, qint64 sampleTimeMs);
    // What time it is for the ages: the wall clock by default, a replay's position for a recording.
    void setClock(std::function<qint64()> now) { m_now = std::move(now); }
    // The outcome of an action on a session, shown in its row until the session goes.
    void setActionResult(quint64 sessionKey, const QString &text, bool ok);

    const Session &session(int row) const { return m_rows[row]; }
    int rowOfKey(quint64 key) const { return m_rowOfKey.value(key, -1); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    double ageSeconds(qint64 sinceMs) const; // on the server's clock, advanced by our own since the sample
    QVariant cell(const Session &s, int column, bool sort) const; // the display or sort value, raw
    void reindex();

    QList<Session> m_rows;
    QHash<quint64, int> m_rowOfKey;
    struct Outcome { QString text; bool ok = false; };
    QHash<quint64, Outcome> m_outcomes;
    qint64 m_takenAtMs = 0;   // server clock
    qint64 m_sampleTimeMs = 0; // the clock of m_now
    std::function<qint64()> m_now;
};

// Sorts by raw values and filters with the core's SessionFilter.
class SessionFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit SessionFilterProxy(QObject *parent = nullptr);
    void setFilter(const SessionFilter &filter);
    const SessionFilter &filter() const { return m_filter; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    // Compares the sessions' own fields: the proxy compares often (every changed row is placed
    // again by binary search) and a QVariant per side per comparison is what made it slow.
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    SessionFilter m_filter;
};

} // namespace poolscope::ui
