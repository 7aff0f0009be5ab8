#include "targetview.h"

#include "actionrunner.h"
#include "advisorpanel.h"
#include "chartpanel.h"
#include "confirmdialog.h"
#include "diagnosispane.h"
#include "leaklogpanel.h"
#include "limitspanel.h"
#include "overviewstrip.h"
#include "sessionspanel.h"
#include "targetcontroller.h"
#include "treepanel.h"
#include "treerows.h"
#include "utilisationdelegate.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace poolscope::ui {

TargetView::TargetView(TargetController &target, const QString &auditLogPath, QWidget *parent)
    : QWidget(parent)
    , m_target(target)
    , m_runner(new ActionRunner(target.connInfo(), auditLogPath, &target.source(), this))
    , m_overview(new OverviewStrip(target, this))
    , m_diagnosis(new DiagnosisPane(this))
    , m_charts(new ChartPanel(target, this))
    , m_tabs(new QTabWidget(this))
    , m_sessions(new SessionsPanel(this))
    , m_owners(new TreePanel(ownerColumns(), true, this))
    , m_ownerKey(new QComboBox(this))
    , m_terminateLeaked(new QPushButton(tr("Terminate &leaked sessions here…"), this))
    , m_blocking(new TreePanel(blockingColumns(), true, this))
    , m_pools(new TreePanel(poolColumns(), false, this))
    , m_limits(new LimitsPanel(target, *m_runner, this))
    , m_advisor(new AdvisorPanel(this))
    , m_leakLog(new LeakLogPanel(this))
{
    m_tabs->setObjectName(QStringLiteral("targetTabs"));
    m_owners->setObjectName(QStringLiteral("ownersPanel"));
    m_blocking->setObjectName(QStringLiteral("blockingPanel"));
    m_pools->setObjectName(QStringLiteral("poolsPanel"));

    for (OwnerKey key : {OwnerKey::Application, OwnerKey::CodeLocation, OwnerKey::User, OwnerKey::Client, OwnerKey::Database})
        m_ownerKey->addItem(tr("by %1").arg(ownerKeyName(key)), int(key));
    m_terminateLeaked->setObjectName(QStringLiteral("terminateLeaked"));
    m_terminateLeaked->setToolTip(tr("End every leaked session of the selected owner or stack, after a confirmation"));
    m_owners->toolBar()->addWidget(new QLabel(tr("Group"), this));
    m_owners->toolBar()->addWidget(m_ownerKey);
    m_owners->toolBar()->addStretch();
    m_owners->toolBar()->addWidget(m_terminateLeaked);
    m_owners->view()->sortByColumn(2, Qt::DescendingOrder); // top leak sites first
    m_owners->setPlaceholder(tr("No client sessions."));
    m_blocking->view()->sortByColumn(4, Qt::DescendingOrder);
    m_blocking->setPlaceholder(tr("No session is waiting on a lock held by another."));
    m_pools->view()->sortByColumn(PoolClientsWaiting, Qt::DescendingOrder);
    m_pools->setPlaceholder(tr("No pools yet."));
    m_pools->view()->setColumnWidth(0, m_pools->view()->fontMetrics().horizontalAdvance(u'M') * 46);
    m_pools->view()->setColumnWidth(PoolUtilisation, m_pools->view()->fontMetrics().horizontalAdvance(u'M') * 12);
    m_pools->view()->setItemDelegateForColumn(PoolUtilisation, new UtilisationDelegate(m_pools->view()));

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_charts);
    splitter->addWidget(m_tabs);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(m_overview);
    layout->addWidget(m_diagnosis); // as high as its causes need: a line when there are none
    layout->addWidget(splitter, 1);
    // Until the target says what it is, no tab is shown; the panels wait hidden.
    for (QWidget *panel : {static_cast<QWidget *>(m_sessions), static_cast<QWidget *>(m_owners),
                           static_cast<QWidget *>(m_blocking), static_cast<QWidget *>(m_pools), static_cast<QWidget *>(m_limits),
                           static_cast<QWidget *>(m_advisor), static_cast<QWidget *>(m_leakLog)})
        panel->hide();
    arrangeTabs();
    // Ages tick on the source's clock: the wall clock live, the replay's position for a recording.
    m_sessions->model()->setClock([this] { return m_target.nowMs(); });
    if (!m_target.canAct()) {
        m_runner->setDisabled(true);
        setReadOnly(true);
    }

    connect(&m_target, &TargetController::sampled, this, &TargetView::onSampled);
    connect(&m_target, &TargetController::statusChanged, this, [this] {
        if (!isVisible()) {
            m_behind = true;
            return;
        }
        m_overview->refresh();
        arrangeTabs();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, &TargetView::refreshPanels);
    connect(m_ownerKey, &QComboBox::currentIndexChanged, this, [this] {
        m_owners->merge({}); // other keys, other rows: nothing carries over
        m_target.setOwnerKey(OwnerKey(m_ownerKey->currentData().toInt()));
    });
    connect(m_sessions, &SessionsPanel::actionRequested, this, &TargetView::requestSessionAction);
    connect(m_terminateLeaked, &QPushButton::clicked, this, &TargetView::terminateLeakedOfCurrentOwner);
    connect(m_runner, &ActionRunner::outcome, this, &TargetView::onOutcome);
    connect(m_diagnosis, &DiagnosisPane::remedyRequested, this, &TargetView::runRemedy);
    connect(m_advisor, &AdvisorPanel::applyRequested, m_limits, &LimitsPanel::setBouncerSetting);
    connect(m_leakLog, &LeakLogPanel::editLogsRequested, this, &TargetView::leakLogsRequested);
    connect(m_leakLog, &LeakLogPanel::showSessionRequested, this, [this](int pid) {
        m_tabs->setCurrentWidget(m_sessions);
        if (!m_sessions->selectPid(pid))
            Q_EMIT message(tr("pid %1 is not in the table: it has ended, or the filter hides it.").arg(pid));
    });
    connect(m_runner, &ActionRunner::busyChanged, this, [this](bool busy) {
        m_sessions->setActionsBusy(busy);
        m_terminateLeaked->setEnabled(!busy);
        if (busy)
            Q_EMIT message(tr("Working on %1…").arg(m_target.displayName()));
    });
    connect(m_runner, &ActionRunner::finished, this, [this](int done, int failed) {
        Q_EMIT message(failed == 0 ? tr("%n action(s) done on %1", nullptr, done).arg(m_target.displayName())
                                   : tr("%1 done, %2 failed on %3 (see the Last action column and the audit log)")
                                         .arg(done).arg(failed).arg(m_target.displayName()));
    });
    // Durations tick and the sample age counts up between samples.
    auto *clock = new QTimer(this);
    clock->setInterval(1000);
    connect(clock, &QTimer::timeout, this, [this] {
        if (!isVisible() || (m_sinceSample.isValid() && m_sinceSample.elapsed() < 900))
            return; // the sample of this second did it
        m_sessions->tick();
        m_overview->refresh();
    });
    clock->start();
}

TargetView::~TargetView() = default;

void TargetView::arrangeTabs()
{
    m_tabs->setVisible(m_target.kind().has_value());
    if (!m_target.kind())
        return;
    const bool bouncer = *m_target.kind() == TargetKind::PgBouncer;
    if (m_arrangedForBouncer == bouncer)
        return;
    m_arrangedForBouncer = bouncer;
    m_tabs->clear();
    if (bouncer) {
        m_tabs->addTab(m_pools, tr("&Pools"));
    } else {
        m_tabs->addTab(m_sessions, tr("&Sessions"));
        m_tabs->addTab(m_owners, tr("&Owners"));
        m_tabs->addTab(m_blocking, tr("&Blocking"));
        m_tabs->addTab(m_leakLog, tr("Leak lo&g"));
    }
    m_tabs->addTab(m_limits, tr("Li&mits"));
    m_tabs->addTab(m_advisor, tr("Pool si&zing"));
    // The panels of the other kind stay hidden children of this view.
    for (QWidget *panel : {static_cast<QWidget *>(m_sessions), static_cast<QWidget *>(m_owners),
                           static_cast<QWidget *>(m_blocking), static_cast<QWidget *>(m_pools),
                           static_cast<QWidget *>(m_leakLog)}) {
        if (m_tabs->indexOf(panel) < 0)
            panel->hide();
    }
}

void TargetView::onSampled()
{
    if (!isVisible()) {
        m_behind = true;
        return;
    }
    m_behind = false;
    m_sinceSample.start();
    arrangeTabs();
    m_overview->refresh();
    m_diagnosis->setDiagnosis(m_target.sample() ? m_target.sample()->diagnosis : nullptr);
    m_charts->refresh(); // draws only when shown
    if (const SnapshotPtr p = m_target.postgres()) {
        const auto blocked = std::count_if(p->sessions.cbegin(), p->sessions.cend(),
                                           [](const Session &s) { return !s.blockedBy.isEmpty(); });
        setTabTextOf(m_blocking, blocked > 0 ? tr("&Blocking (%1)").arg(blocked) : tr("&Blocking"));
        const LeakLogStatePtr leakLog = m_target.sample() ? m_target.sample()->leakLog : nullptr;
        const int joined = leakLog ? leakLog->joined() : 0;
        setTabTextOf(m_leakLog, joined > 0 ? tr("Leak lo&g (%1)").arg(joined) : tr("Leak lo&g"));
    }
    refreshPanels();
}

void TargetView::setTabTextOf(QWidget *panel, const QString &text)
{
    // QTabBar lays itself out again and repaints the tab widget, with every control on the page
    // in front, whenever a tab's text is set, even to the same text: once a sample otherwise.
    const int index = m_tabs->indexOf(panel);
    if (index >= 0 && m_tabs->tabText(index) != text)
        m_tabs->setTabText(index, text);
}

void TargetView::refreshPanels()
{
    const AnalysedSamplePtr sample = m_target.sample();
    if (!sample)
        return;
    // Only the panel in front takes each sample: merging 10,000 sessions into a table, tree or
    // pool list nobody sees costs the window as much as one it shows. The others take the
    // latest one when they come to the front (or the view does, switching targets).
    const auto due = [&sample](QWidget *panel, AnalysedSamplePtr &shown) {
        if (!panel->isVisible() || shown == sample)
            return false;
        shown = sample;
        return true;
    };
    if (due(m_advisor, m_advisorShows))
        m_advisor->setAdvice(sample->advice);
    if (due(m_limits, m_limitsShows))
        m_limits->refresh();
    if (sample->bouncer) {
        // Linked on the sampler's thread to the PostgreSQL server behind, when that is open too.
        if (due(m_pools, m_poolsShows))
            m_pools->merge(poolRows(*sample->bouncer, sample->server.get(), sample->server ? &sample->linked : nullptr));
    } else if (const SnapshotPtr p = sample->postgres) {
        if (due(m_sessions, m_sessionsShows))
            m_sessions->merge(p, sample->timeMs);
        if (due(m_owners, m_ownersShows))
            m_owners->merge(ownerRows(p, sample->owners));
        if (due(m_blocking, m_blockingShows))
            m_blocking->merge(blockingRows(*p));
        if (due(m_leakLog, m_leakLogShows))
            m_leakLog->setState(sample->leakLog);
    }
}

void TargetView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_behind)
        onSampled(); // the overview, diagnosis, charts and the panel in front, as of now
    else
        refreshPanels();
}

void TargetView::setReadOnly(bool readOnly)
{
    m_readOnly = readOnly || !m_target.canAct(); // nothing in a replay reaches a server
    m_sessions->setActionsVisible(!readOnly);
    m_terminateLeaked->setVisible(!readOnly);
    m_diagnosis->setActionsVisible(!readOnly);
    m_advisor->setReadOnly(readOnly);
    m_limits->setReadOnly(readOnly);
}

void TargetView::focusFind()
{
    if (m_tabs->indexOf(m_sessions) >= 0) {
        m_tabs->setCurrentWidget(m_sessions);
        m_sessions->focusFilter();
    }
}

void TargetView::togglePause()
{
    m_charts->setLive(!m_charts->isLive());
}

void TargetView::terminateSelected()
{
    if (m_readOnly)
        return;
    if (m_tabs->currentWidget() == m_sessions) {
        if (const QList<Session> sessions = m_sessions->selectedSessions(); !sessions.isEmpty())
            requestSessionAction(sessions, true);
    } else if (m_tabs->currentWidget() == m_owners) {
        terminateLeakedOfCurrentOwner();
    }
}

void TargetView::copySelection()
{
    QWidget *current = m_tabs->currentWidget();
    if (current == m_sessions)
        m_sessions->copySelection();
    else if (auto *tree = qobject_cast<TreePanel *>(current))
        tree->copySelection();
}

void TargetView::requestSessionAction(QList<Session> sessions, bool terminate)
{
    if (m_readOnly || m_runner->isBusy())
        return;
    sessions.erase(std::remove_if(sessions.begin(), sessions.end(), [](const Session &s) { return s.own; }),
                   sessions.end());
    if (sessions.isEmpty()) {
        Q_EMIT message(tr("Nothing to do: PoolScope does not end its own session."));
        return;
    }
    ConfirmSessionsDialog dialog(m_target.displayName(), sessions, terminate, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_runner->signalSessions(sessions, terminate);
}

void TargetView::terminateLeakedOfCurrentOwner()
{
    const SnapshotPtr snapshot = m_target.postgres();
    const QModelIndex index = m_owners->currentIndex();
    if (!snapshot || !index.isValid()) {
        Q_EMIT message(tr("Select an owner or a stack first."));
        return;
    }
    const QList<int> pids = index.data(KeyedTreeModel::PidsRole).value<QList<int>>();
    QList<Session> leaked;
    for (const Session &s : snapshot->sessions) {
        if (s.leak == LeakVerdict::Leaked && pids.contains(s.pid))
            leaked.append(s);
    }
    if (leaked.isEmpty()) {
        Q_EMIT message(tr("%1 has no leaked session.").arg(index.siblingAtColumn(0).data().toString()));
        return;
    }
    requestSessionAction(leaked, true);
}

void TargetView::runRemedy(const Remedy &remedy)
{
    const SnapshotPtr snapshot = m_target.postgres();
    QList<Session> sessions;
    if (snapshot) {
        for (const Session &s : snapshot->sessions) {
            if (remedy.pids.contains(s.pid))
                sessions.append(s);
        }
    }
    if (sessions.isEmpty()) {
        Q_EMIT message(tr("Those sessions have ended already."));
        return;
    }
    requestSessionAction(sessions, remedy.kind == Remedy::Kind::Terminate);
}

void TargetView::onOutcome(const ActionOutcome &outcome)
{
    const QString text = outcome.result.ok() ? actionStatusName(outcome.result.status)
                                             : actionStatusName(outcome.result.status) + QStringLiteral(": ")
                                                   + outcome.result.message;
    if (outcome.sessionKey != 0)
        m_sessions->model()->setActionResult(outcome.sessionKey, text, outcome.result.ok());
    else
        m_limits->showOutcome(outcome);
    Q_EMIT message(outcome.subject + QStringLiteral(": ") + text);
}

} // namespace poolscope::ui
