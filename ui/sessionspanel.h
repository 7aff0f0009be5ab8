#pragma once

#include "sessiontablemodel.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
QT_END_NAMESPACE

namespace poolscope::ui {

// Every session of a PostgreSQL target: filter bar, sortable table, copy, and the session
// actions (hidden in read-only mode).
class SessionsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SessionsPanel(QWidget *parent = nullptr);
    ~SessionsPanel() override;

    void merge(const SnapshotPtr &snapshot, qint64 sampleTimeMs);
    // Durations count up between samples: a repaint of the visible rows is all it takes.
    void tick();
    void setActionsVisible(bool visible);
    void setActionsBusy(bool busy);
    void focusFilter();
    void copySelection() const;
    QList<Session> selectedSessions() const;
    // Selects and shows the session with that pid; false when it is not in the table (gone, or
    // filtered out).
    bool selectPid(int pid);
    SessionTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }

Q_SIGNALS:
    void actionRequested(const QList<poolscope::Session> &sessions, bool terminate);

private:
    void applyFilter();
    void updateCount();

    SessionTableModel *m_model;
    QTableView *m_view;
    QLineEdit *m_text;
    QComboBox *m_class;
    QCheckBox *m_leakedOnly;
    QLabel *m_count;
    QPushButton *m_cancel;
    QPushButton *m_terminate;
    bool m_actionsVisible = true;
};

} // namespace poolscope::ui
