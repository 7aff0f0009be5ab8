#pragma once

#include "sessiontablemodel.h"

#include <QUrl>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
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

    // Trace links: the operator's URL template (View ▸ Trace links…; empty: none), and the link
    // of the current session, which "Open trace in browser" opens (invalid: no trace id, or no
    // template).
    void setTraceUrlTemplate(const QString &urlTemplate);
    QUrl currentTraceUrl() const;
    QAction *openTraceAction() const { return m_openTrace; }
    QMenu *contextMenu() const { return m_menu; } // right click or the Menu key on a row

Q_SIGNALS:
    void actionRequested(const QList<poolscope::Session> &sessions, bool terminate);

private:
    void applyFilter();
    void updateCount();
    void updateTraceActions();

    SessionTableModel *m_model;
    QTableView *m_view;
    QLineEdit *m_text;
    QComboBox *m_class;
    QCheckBox *m_leakedOnly;
    QLabel *m_count;
    QPushButton *m_cancel;
    QPushButton *m_terminate;
    QMenu *m_menu;
    QAction *m_openTrace;
    QAction *m_copyTrace;
    QString m_traceUrlTemplate;
    bool m_actionsVisible = true;
};

} // namespace poolscope::ui
