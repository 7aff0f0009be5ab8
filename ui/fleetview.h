#pragma once

#include <QAbstractTableModel>
#include <QPointer>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
class QSortFilterProxyModel;
class QTableView;
QT_END_NAMESPACE

namespace poolscope::ui {

class TargetController;

// Every open target in one row: what an on-call engineer with twenty servers open reads to see
// which one is on fire. Each row is made again only when its target reports.
class FleetModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Target, Kind, Slots, Leaked, Waiting, Connects, State, Worst, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit FleetModel(QObject *parent = nullptr);

    void addTarget(TargetController *controller);
    void removeTarget(TargetController *controller);
    void refresh(TargetController *controller);
    TargetController *controllerAt(int row) const;
    int rowOf(const TargetController *controller) const;
    int targetsOnFire() const; // with a critical cause, or unreachable

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        QPointer<TargetController> controller;
        QString target, kind, slots, leaked, waiting, connects, worst, worstDetail, state;
        double slotsShare = -1, connectsRate = -1;
        int leakedCount = -1, waitingCount = -1;
        double urgency = 0; // worst first: unreachable and critical causes on top
        int severity = -1;  // of the worst cause: 2 critical, 1 warning, 0 info, -1 none
        bool unreachable = false;
    };
    static Row rowFor(TargetController *controller);
    QList<Row> m_rows;
};

class FleetView : public QWidget
{
    Q_OBJECT
public:
    explicit FleetView(QWidget *parent = nullptr);

    FleetModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    void addTarget(TargetController *controller);
    void removeTarget(TargetController *controller);
    void copySelection() const;

Q_SIGNALS:
    void targetActivated(poolscope::ui::TargetController *controller); // double-click or Enter

private:
    void updateHeadline();

    FleetModel *m_model;
    QSortFilterProxyModel *m_sorted;
    QTableView *m_table;
    QLabel *m_headline;
};

} // namespace poolscope::ui
