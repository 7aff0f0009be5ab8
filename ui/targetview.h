#pragma once

#include "analysis/owners.h"
#include "analysis/analysedsample.h"
#include "model/snapshot.h"

#include <QElapsedTimer>
#include <QWidget>

#include <functional>

QT_BEGIN_NAMESPACE
class QComboBox;
class QPushButton;
class QTabWidget;
QT_END_NAMESPACE

namespace poolscope::ui {

class ActionRunner;
class AdvisorPanel;
class ChartPanel;
class DiagnosisPane;
class LeakLogPanel;
class LimitsPanel;
class OverviewStrip;
class SessionsPanel;
class TargetController;
class TreePanel;
struct ActionOutcome;

// Everything about one target: overview strip, charts, and the sessions, owners, blocking,
// pools and limits tabs, with the actions (unless read-only).
class TargetView : public QWidget
{
    Q_OBJECT
public:
    TargetView(TargetController &target, const QString &auditLogPath, QWidget *parent = nullptr);
    ~TargetView() override;

    TargetController &target() const { return m_target; }
    void setReadOnly(bool readOnly);
    bool isReadOnly() const { return m_readOnly; }

    // Keyboard actions of the window, applied to this view.
    void focusFind();
    void togglePause();
    void terminateSelected();
    void copySelection();

    OverviewStrip *overview() const { return m_overview; }
    DiagnosisPane *diagnosis() const { return m_diagnosis; }
    ChartPanel *charts() const { return m_charts; }
    SessionsPanel *sessions() const { return m_sessions; }
    TreePanel *owners() const { return m_owners; }
    TreePanel *blocking() const { return m_blocking; }
    TreePanel *pools() const { return m_pools; }
    LimitsPanel *limits() const { return m_limits; }
    AdvisorPanel *advisor() const { return m_advisor; }
    LeakLogPanel *leakLog() const { return m_leakLog; }
    QTabWidget *tabs() const { return m_tabs; }

Q_SIGNALS:
    void message(const QString &text); // for the status bar: action results and the like
    void leakLogsRequested();          // the window's leak log dialog

protected:
    void showEvent(QShowEvent *event) override;

private:
    void onSampled();
    void refreshPanels();
    void setTabTextOf(QWidget *panel, const QString &text);
    void arrangeTabs();
    void requestSessionAction(QList<Session> sessions, bool terminate);
    void terminateLeakedOfCurrentOwner();
    void onOutcome(const ActionOutcome &outcome);
    void runRemedy(const Remedy &remedy);

    TargetController &m_target;
    ActionRunner *m_runner;
    OverviewStrip *m_overview;
    DiagnosisPane *m_diagnosis;
    ChartPanel *m_charts;
    QTabWidget *m_tabs;
    SessionsPanel *m_sessions;
    TreePanel *m_owners;
    QComboBox *m_ownerKey;
    QPushButton *m_terminateLeaked;
    TreePanel *m_blocking;
    TreePanel *m_pools;
    LimitsPanel *m_limits;
    AdvisorPanel *m_advisor;
    LeakLogPanel *m_leakLog;
    bool m_readOnly = false;
    std::optional<bool> m_arrangedForBouncer;
    // The sample each panel shows: a panel behind another tab catches up when it is shown.
    AnalysedSamplePtr m_sessionsShows, m_ownersShows, m_blockingShows, m_poolsShows, m_advisorShows, m_leakLogShows,
        m_limitsShows;
    QElapsedTimer m_sinceSample; // the 1 s clock works only when no sample came in that second
    // A view behind another target's takes no sample: with twenty targets open, laying out
    // nineteen hidden overviews a second was most of the window's time. Shown, it catches up.
    bool m_behind = false;
};

} // namespace poolscope::ui
