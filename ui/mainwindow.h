#pragma once

#include "analysis/alerts.h"
#include "sampling/sampler.h"

#include <QMainWindow>

QT_BEGIN_NAMESPACE
class QAction;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QStackedWidget;
class QSystemTrayIcon;
QT_END_NAMESPACE

namespace poolscope::ui {

class AlertBanner;
class FleetView;
class TargetController;
class TargetView;
class WindowRecorder;

struct WindowOptions
{
    bool forceReadOnly = false; // --read-only: no action can be switched on
    QString auditLogPath;
    SamplerOptions sampler;
    bool restoreTargets = true; // reopen the targets of the last run (not with --demo or targets given)
    bool serverBudgetGiven = false; // --server-budget: this run's, over the saved one
};

// The window: a sidebar of targets, each with its live status, and the view of the selected
// one. Targets are remembered without passwords.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const WindowOptions &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a target and selects it; `remember` keeps it for the next start.
    TargetView *openTarget(const ConnInfo &target, const QString &conninfoText, bool remember);
    QList<TargetView *> targetViews() const;
    TargetView *currentView() const;
    void selectTarget(int index);
    bool isReadOnly() const { return m_readOnly; }
    void setReadOnly(bool readOnly);
    // Every alert since start, of every target (also of targets removed since), oldest first.
    const QList<Alert> &alertLog() const { return m_alertLog; }
    AlertBanner *alertBanner() const { return m_banner; }
    WindowRecorder *recorder() const { return m_recorder; }
    FleetView *fleet() const { return m_fleet; }
    void showFleet(); // every open target in one table, worst first

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    struct Entry
    {
        TargetController *controller = nullptr;
        TargetView *view = nullptr;
        QListWidgetItem *item = nullptr;
        QString conninfoText; // as typed; a password in it never reaches the settings
        bool remember = false;
    };
    void createActions();
    void addTarget();
    void editTarget();
    void duplicateTarget();
    void removeTarget();
    void reconnectTarget();
    void updateItem(const Entry &entry);
    // The settings' list of targets changes only when a remembered target is added or closed:
    // a run given targets on the command line leaves the saved ones as they were.
    void rememberTarget(const QString &conninfoText);
    void forgetTarget(const QString &conninfoText);
    void saveTargets() const;
    void restoreTargets(const QStringList &targets);
    int currentEntry() const;
    void showMessage(const QString &text);
    void onAlerts(const AlertTracker::Changes &changes);
    void refreshBanner();
    void editAlertRules();
    void editServerBudget();
    void editIgnoreRules();
    void editLeakLogs();
    void editAppCallSites();
    void editTraceLinks();

    WindowOptions m_options;
    QStringList m_savedTargets; // as in the settings file, opened or not
    bool m_restoring = false;
    QList<Entry> m_entries;
    QListWidget *m_sidebar;
    QStackedWidget *m_stack;
    QWidget *m_welcome;
    FleetView *m_fleet;
    AlertBanner *m_banner;
    QSystemTrayIcon *m_tray = nullptr;
    AlertRules m_alertRules;
    std::shared_ptr<ServerDirectory> m_servers; // the latest sample of each open PostgreSQL target
    QList<Alert> m_alertLog;
    QAction *m_readOnlyAction = nullptr;
    QList<QAction *> m_targetActions; // enabled only with a target selected
    bool m_readOnly = false;
    WindowRecorder *m_recorder = nullptr;
};

} // namespace poolscope::ui
