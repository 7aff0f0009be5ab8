#pragma once

#include "leaklog/leaklogbook.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;
QT_END_NAMESPACE

namespace poolscope::ui {

// The Leak log tab of a PostgreSQL target: the pools' leak logs followed (and what is wrong
// with them), every report read with the session it explains and how sure that join is, or
// that it explains none; the selected report's stack and text below, to copy.
class LeakLogPanel : public QWidget
{
    Q_OBJECT
public:
    explicit LeakLogPanel(QWidget *parent = nullptr);

    void setState(const LeakLogStatePtr &state);

    QLabel *summary() const { return m_summary; }
    QTableWidget *table() const { return m_table; }
    QPlainTextEdit *details() const { return m_details; }

    enum Column { Logged, Pool, Thread, Session, Join, CheckedOutAt, Log, ColumnCount };

Q_SIGNALS:
    void editLogsRequested();      // the window's leak log dialog
    void showSessionRequested(int pid); // a joined report, double-clicked

private:
    void showDetails();

    QLabel *m_summary;
    QTableWidget *m_table;
    QPlainTextEdit *m_details;
    QPushButton *m_edit;
    LeakLogStatePtr m_state;
};

} // namespace poolscope::ui
