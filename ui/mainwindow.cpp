#include "mainwindow.h"

#include "alertviews.h"
#include "fleetview.h"
#include "auditlogdialog.h"
#include "chartpanel.h"
#include "connectiondialog.h"
#include "leaklogdialog.h"
#include "plaintext.h"
#include "recordingmenu.h"
#include "sessionspanel.h"
#include "settings/storedsettings.h"
#include "targetcontroller.h"
#include "targetview.h"
#include "tracedialogs.h"
#include "windowrecorder.h"

#include <algorithm>
#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

QIcon dot(const QColor &color)
{
    QPixmap pixmap(14, 14);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(color.darker(140));
    painter.setBrush(color);
    painter.drawEllipse(QRectF(1.5, 1.5, 11, 11));
    return QIcon(pixmap);
}

// What is written to the settings: the conninfo without its password.
QString storable(const QString &conninfoText)
{
    QString error;
    const auto info = ConnInfo::parse(conninfoText, &error);
    return info ? info->redacted() : QString();
}

} // namespace

MainWindow::MainWindow(const WindowOptions &options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(options)
    , m_sidebar(new QListWidget(this))
    , m_stack(new QStackedWidget(this))
    , m_welcome(new QWidget(this))
    , m_fleet(new FleetView(this))
    , m_banner(new AlertBanner(this))
    , m_alertRules(loadAlertRules())
    , m_servers(std::make_shared<ServerDirectory>())
{
    setWindowTitle(QStringLiteral("PoolScope"));
    m_sidebar->setObjectName(QStringLiteral("targetList"));
    m_sidebar->setWordWrap(true);
    m_sidebar->setTextElideMode(Qt::ElideRight);
    m_sidebar->setMinimumWidth(200);

    auto *welcomeLayout = new QVBoxLayout(m_welcome);
    auto *welcomeText = new QLabel(tr("<h2>No target open</h2><p>Add a PostgreSQL server or a PgBouncer admin console "
                                      "(File ▸ Add target, Ctrl+N), or start PoolScope with connection strings: "
                                      "<code>poolscope \"host=db1 dbname=postgres\"</code>.</p>"
                                      "<p>Reading needs <b>pg_monitor</b>; ending sessions needs "
                                      "<b>pg_signal_backend</b>.</p>"),
                                   m_welcome);
    welcomeText->setWordWrap(true);
    welcomeText->setAlignment(Qt::AlignCenter);
    auto *addButton = new QPushButton(tr("Add a target…"), m_welcome);
    connect(addButton, &QPushButton::clicked, this, &MainWindow::addTarget);
    welcomeLayout->addStretch();
    welcomeLayout->addWidget(welcomeText);
    welcomeLayout->addWidget(addButton, 0, Qt::AlignCenter);
    welcomeLayout->addStretch();
    m_stack->addWidget(m_welcome);
    m_stack->addWidget(m_fleet);
    connect(m_fleet, &FleetView::targetActivated, this, [this](TargetController *controller) {
        for (int i = 0; i < m_entries.size(); ++i) {
            if (m_entries[i].controller == controller)
                selectTarget(i);
        }
    });

    auto *splitter = new QSplitter(this);
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->setSpacing(0);
    rightLayout->addWidget(m_banner);
    rightLayout->addWidget(m_stack, 1);
    splitter->addWidget(m_sidebar);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({230, 1050});
    setCentralWidget(splitter);
    createActions();
    connect(m_banner, &AlertBanner::historyRequested, this, [this] {
        AlertHistoryDialog dialog(m_alertLog, this);
        dialog.exec();
    });
    // Alerts reach a desktop notification when the desktop has a tray to put it in.
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(dot(QColor(0x1e, 0x88, 0xe5)), this);
        m_tray->setToolTip(QStringLiteral("PoolScope"));
        connect(m_tray, &QSystemTrayIcon::activated, this, [this] {
            showNormal();
            raise();
            activateWindow();
        });
        m_tray->show();
    }

    connect(m_sidebar, &QListWidget::currentRowChanged, this, [this](int row) {
        m_stack->setCurrentWidget(row >= 0 && row < m_entries.size() ? static_cast<QWidget *>(m_entries[row].view) : m_welcome);
        for (QAction *action : std::as_const(m_targetActions))
            action->setEnabled(row >= 0);
    });
    // Sample ages in the sidebar count up between samples.
    auto *clock = new QTimer(this);
    clock->setInterval(1000);
    connect(clock, &QTimer::timeout, this, [this] {
        for (const Entry &entry : std::as_const(m_entries))
            updateItem(entry);
    });
    clock->start();

    QSettings settings;
    resize(1280, 800);
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
    const StoredSettings stored = readStoredSettings(settings);
    setReadOnly(options.forceReadOnly || stored.readOnly);
    m_savedTargets = stored.targets;
    if (stored.serverBudgetPercent && !options.serverBudgetGiven)
        m_options.sampler.serverBudgetPercent = *stored.serverBudgetPercent;
    m_options.sampler.rules.ignore = stored.ignoreRules;
    m_options.sampler.leakLogs = stored.leakLogs;
    m_options.sampler.rules.callSites = stored.appCallSites;
    if (options.restoreTargets)
        restoreTargets(stored.targets);
    if (!stored.problems.isEmpty()) {
        for (const QString &problem : stored.problems)
            qWarning("settings file %s: %s", qPrintable(settings.fileName()), qPrintable(problem));
        showMessage(tr("Settings file: %n value(s) ignored — %1", nullptr, int(stored.problems.size()))
                        .arg(stored.problems.first()));
    }
    for (QAction *action : std::as_const(m_targetActions))
        action->setEnabled(!m_entries.isEmpty());
}

MainWindow::~MainWindow()
{
    for (Entry &entry : m_entries)
        entry.controller->stop();
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *add = file->addAction(tr("&Add target…"), this, &MainWindow::addTarget);
    add->setShortcut(QKeySequence::New);
    QAction *edit = file->addAction(tr("&Edit target…"), this, &MainWindow::editTarget);
    QAction *duplicate = file->addAction(tr("D&uplicate target"), this, &MainWindow::duplicateTarget);
    QAction *remove = file->addAction(tr("&Remove target"), this, &MainWindow::removeTarget);
    remove->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_W));
    file->addSeparator();
    QAction *leakLogs = file->addAction(tr("Open &leak logs…"), this, &MainWindow::editLeakLogs);
    leakLogs->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    leakLogs->setToolTip(tr("Pools' leak logs to join to the sessions: stacks for applications that send none"));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *refresh = view->addAction(tr("&Reconnect and refresh"), this, &MainWindow::reconnectTarget);
    refresh->setShortcut(QKeySequence::Refresh);
    QAction *pause = view->addAction(tr("&Pause or resume charts"), this, [this] {
        if (TargetView *v = currentView())
            v->togglePause();
    });
    pause->setShortcut(QKeySequence(Qt::Key_Space));
    QAction *find = view->addAction(tr("&Find sessions"), this, [this] {
        if (TargetView *v = currentView())
            v->focusFind();
    });
    find->setShortcut(QKeySequence::Find);
    QAction *copy = view->addAction(tr("&Copy selection"), this, [this] {
        if (m_stack->currentWidget() == m_fleet)
            m_fleet->copySelection();
        else if (TargetView *v = currentView())
            v->copySelection();
    });
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_stack->addAction(copy);
    QAction *fleet = view->addAction(tr("F&leet overview"), this, &MainWindow::showFleet);
    fleet->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    fleet->setToolTip(tr("Every open target in one table, worst first (Ctrl+Shift+F)"));
    view->addSeparator();
    view->addAction(tr("Server &budget…"), this, &MainWindow::editServerBudget);
    view->addAction(tr("&Ignore rules…"), this, &MainWindow::editIgnoreRules);
    view->addAction(tr("Application &call sites…"), this, &MainWindow::editAppCallSites);
    view->addAction(tr("&Trace links…"), this, &MainWindow::editTraceLinks);

    QMenu *actions = menuBar()->addMenu(tr("&Actions"));
    QAction *terminate = actions->addAction(tr("&Terminate selected sessions…"), this, [this] {
        if (TargetView *v = currentView())
            v->terminateSelected();
    });
    terminate->setShortcut(QKeySequence::Delete);
    m_readOnlyAction = actions->addAction(tr("&Read-only mode"));
    m_readOnlyAction->setCheckable(true);
    m_readOnlyAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    connect(m_readOnlyAction, &QAction::toggled, this, &MainWindow::setReadOnly);
    actions->addSeparator();
    actions->addAction(tr("&Audit log…"), this, [this] {
        AuditLogDialog dialog(m_options.auditLogPath, this);
        dialog.exec();
    });

    QMenu *alerts = menuBar()->addMenu(tr("A&lerts"));
    QAction *history = alerts->addAction(tr("Alert &history…"), this, [this] {
        AlertHistoryDialog dialog(m_alertLog, this);
        dialog.exec();
    });
    history->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_H));
    alerts->addAction(tr("Alert &thresholds…"), this, &MainWindow::editAlertRules);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About PoolScope"), this, [this] {
        QMessageBox::about(this, tr("About PoolScope"),
                           tr("<h3>PoolScope %1</h3><p>Inspector for PostgreSQL and PgBouncer connection pools.</p>"
                              "<p>Audit log: %2</p>")
                               .arg(QStringLiteral(POOLSCOPE_VERSION), m_options.auditLogPath.toHtmlEscaped()));
    });

    auto *toolBar = addToolBar(tr("Main"));
    toolBar->setObjectName(QStringLiteral("mainToolBar"));
    toolBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    toolBar->addAction(add);
    toolBar->addAction(refresh);
    toolBar->addAction(fleet);
    toolBar->addAction(pause);
    toolBar->addAction(m_readOnlyAction);
    m_targetActions = {edit, duplicate, remove, refresh, pause, terminate};
    m_recorder = new WindowRecorder(m_options.auditLogPath, this);
    addRecordingCommands(this, file, m_recorder);
}

TargetView *MainWindow::openTarget(const ConnInfo &target, const QString &conninfoText, bool remember)
{
    Entry entry;
    SamplerOptions sampling = m_options.sampler;
    sampling.servers = m_servers; // a console links to the server behind it when both are open
    sampling.alertRules = m_alertRules;
    entry.controller = new TargetController(std::make_unique<Sampler>(target, sampling), target.displayName(), target, this);
    entry.controller->setAlertRules(m_alertRules);
    m_recorder->watch(entry.controller);
    m_fleet->addTarget(entry.controller);
    entry.view = new TargetView(*entry.controller, m_options.auditLogPath, m_stack);
    entry.view->setReadOnly(m_readOnly);
    entry.conninfoText = conninfoText;
    entry.remember = remember;
    entry.item = new QListWidgetItem(m_sidebar);
    m_stack->addWidget(entry.view);
    m_entries.append(entry);
    TargetController *controller = entry.controller;
    const auto refreshItem = [this, controller] {
        for (const Entry &e : std::as_const(m_entries)) {
            if (e.controller == controller)
                updateItem(e);
        }
    };
    connect(controller, &TargetController::statusChanged, this, refreshItem);
    connect(controller, &TargetController::sampled, this, refreshItem);
    connect(entry.view, &TargetView::message, this, &MainWindow::showMessage);
    connect(entry.view, &TargetView::leakLogsRequested, this, &MainWindow::editLeakLogs);
    connect(controller, &TargetController::alertsChanged, this, &MainWindow::onAlerts);
    updateItem(entry);
    m_sidebar->setCurrentItem(entry.item);
    controller->start();
    if (remember && !m_restoring)
        rememberTarget(conninfoText);
    return entry.view;
}

void MainWindow::updateItem(const Entry &entry)
{
    const TargetController &c = *entry.controller;
    const SamplerStatus &status = c.status();
    QString detail = samplerStateName(status.state);
    QColor color(0x9e, 0x9e, 0x9e);
    switch (status.state) {
    case SamplerStatus::State::Connected: {
        color = QColor(0x43, 0xa0, 0x47);
        if (const SnapshotPtr p = c.postgres(); p && c.kind() == TargetKind::PostgreSQL) {
            detail = p->totals.total == 1 ? tr("1 session") : tr("%1 sessions").arg(p->totals.total);
            if (p->totals.leaked > 0) {
                detail += tr(", %1 leaked").arg(p->totals.leaked);
                color = QColor(0xe5, 0x39, 0x35);
            }
        } else if (const BouncerSnapshotPtr b = c.bouncer()) {
            // Counted as the overview counts them: the console's own pool is not one.
            const BouncerTotals totals = b->totals();
            detail = tr("%n pool(s)", nullptr, totals.pools);
            if (totals.clientsWaiting > 0) {
                detail += tr(", %1 waiting").arg(totals.clientsWaiting);
                color = QColor(0xe5, 0x39, 0x35);
            }
        }
        break;
    }
    case SamplerStatus::State::Connecting: color = QColor(0x90, 0xca, 0xf9); break;
    case SamplerStatus::State::Reconnecting: color = QColor(0xfb, 0x8c, 0x00); break;
    case SamplerStatus::State::Failing: color = QColor(0xc6, 0x28, 0x28); break;
    case SamplerStatus::State::Stopped:
    case SamplerStatus::State::Replaying: break;
    }
    if (c.lastSampleAtMs() > 0 && status.state != SamplerStatus::State::Connected) {
        const qint64 age = (QDateTime::currentMSecsSinceEpoch() - c.lastSampleAtMs()) / 1000;
        detail += tr(" · last sample %1 s ago").arg(age);
    }
    // Set only what changed: each change of a word-wrapped item lays out the whole list again,
    // and with twenty targets this runs forty times a second.
    const QString text = safeLine(c.displayName()) + u'\n' + detail;
    if (entry.item->text() != text)
        entry.item->setText(text);
    constexpr int kDotColorRole = Qt::UserRole + 7;
    if (entry.item->data(kDotColorRole).value<QColor>() != color) {
        entry.item->setIcon(dot(color));
        entry.item->setData(kDotColorRole, color);
    }
    QString tip = c.connInfo().redacted();
    if (!status.error.message.isEmpty())
        tip += u'\n' + status.error.message;
    tip = richFromPlain(tip);
    if (entry.item->toolTip() != tip)
        entry.item->setToolTip(tip);
}

void MainWindow::addTarget()
{
    ConnectionDialog dialog(this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    if (const auto info = dialog.connInfo(&error))
        openTarget(*info, dialog.conninfoText(), true);
}

void MainWindow::editTarget()
{
    const int row = currentEntry();
    if (row < 0)
        return;
    ConnectionDialog dialog(this);
    dialog.setConnInfo(m_entries[row].conninfoText);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    const auto info = dialog.connInfo(&error);
    if (!info)
        return;
    const bool remember = m_entries[row].remember;
    removeTarget();
    openTarget(*info, dialog.conninfoText(), remember);
}

void MainWindow::duplicateTarget()
{
    const int row = currentEntry();
    if (row >= 0)
        openTarget(m_entries[row].controller->connInfo(), m_entries[row].conninfoText, m_entries[row].remember);
}

void MainWindow::showFleet()
{
    m_sidebar->setCurrentRow(-1);
    m_stack->setCurrentWidget(m_fleet);
    m_fleet->table()->setFocus();
}

void MainWindow::removeTarget()
{
    const int row = currentEntry();
    if (row < 0)
        return;
    Entry entry = m_entries.takeAt(row);
    const QString name = entry.controller->displayName();
    entry.controller->stop(); // the sampling connection closes on its own thread
    m_fleet->removeTarget(entry.controller);
    m_stack->removeWidget(entry.view);
    delete entry.item;
    delete entry.view;
    delete entry.controller;
    if (entry.remember)
        forgetTarget(entry.conninfoText);
    // Its alerts can no longer clear by themselves: close them in the log now.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (Alert &alert : m_alertLog) {
        if (alert.isActive() && alert.target == name)
            alert.clearedAtMs = now;
    }
    refreshBanner();
}

void MainWindow::reconnectTarget()
{
    const int row = currentEntry();
    if (row < 0)
        return;
    TargetController *controller = m_entries[row].controller;
    controller->restart(); // the old connection closes on its own thread, then a new one opens
    showMessage(tr("Reconnecting to %1…").arg(controller->displayName()));
}

int MainWindow::currentEntry() const
{
    const int row = m_sidebar->currentRow();
    return row >= 0 && row < m_entries.size() ? row : -1;
}

TargetView *MainWindow::currentView() const
{
    const int row = currentEntry();
    return row >= 0 ? m_entries[row].view : nullptr;
}

QList<TargetView *> MainWindow::targetViews() const
{
    QList<TargetView *> views;
    for (const Entry &entry : m_entries)
        views.append(entry.view);
    return views;
}

void MainWindow::selectTarget(int index)
{
    if (index >= 0 && index < m_entries.size())
        m_sidebar->setCurrentItem(m_entries[index].item);
}

void MainWindow::setReadOnly(bool readOnly)
{
    if (m_options.forceReadOnly)
        readOnly = true;
    m_readOnly = readOnly;
    {
        QSignalBlocker block(m_readOnlyAction);
        m_readOnlyAction->setChecked(readOnly);
    }
    m_readOnlyAction->setEnabled(!m_options.forceReadOnly);
    for (const Entry &entry : std::as_const(m_entries))
        entry.view->setReadOnly(readOnly);
    if (!m_options.forceReadOnly)
        QSettings().setValue(QStringLiteral("readOnly"), readOnly);
    setWindowTitle(readOnly ? tr("PoolScope (read-only)") : QStringLiteral("PoolScope"));
}

void MainWindow::onAlerts(const AlertTracker::Changes &changes)
{
    for (const Alert &cleared : changes.cleared) {
        for (Alert &alert : m_alertLog) {
            if (alert.isActive() && alert.target == cleared.target && alert.code == cleared.code
                && alert.firedAtMs == cleared.firedAtMs)
                alert.clearedAtMs = cleared.clearedAtMs;
        }
    }
    for (const Alert &fired : changes.fired) {
        m_alertLog.append(fired);
        if (m_tray && m_tray->isVisible())
            m_tray->showMessage(tr("PoolScope: %1").arg(safeLine(fired.target)), safeText(fired.message).toHtmlEscaped(), QSystemTrayIcon::Warning, 10000); // some desktops read markup
    }
    if (m_alertLog.size() > 5000) // a flapping threshold must not grow this without bound
        m_alertLog.remove(0, m_alertLog.size() - 5000);
    refreshBanner();
}

void MainWindow::refreshBanner()
{
    QList<Alert> active;
    for (const Alert &alert : std::as_const(m_alertLog)) {
        if (alert.isActive())
            active.append(alert);
    }
    m_banner->setAlerts(active);
    if (m_tray)
        m_tray->setIcon(dot(active.isEmpty() ? QColor(0x1e, 0x88, 0xe5) : QColor(0xc6, 0x28, 0x28)));
}

void MainWindow::editAlertRules()
{
    AlertRulesDialog dialog(m_alertRules, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_alertRules = dialog.rules();
    saveAlertRules(m_alertRules);
    for (const Entry &entry : std::as_const(m_entries))
        entry.controller->setAlertRules(m_alertRules);
    showMessage(tr("Alert thresholds saved; they apply from the next sample."));
}

void MainWindow::editServerBudget()
{
    bool ok = false;
    const double percent = QInputDialog::getDouble(
        this, tr("Server budget"),
        tr("Keep the interval asked for while one read costs the server at most this share of it; beyond, "
           "sample less often and say why in the status line.\n0 keeps the interval asked for whatever a read "
           "costs.\n\nShare of the interval (%):"),
        m_options.sampler.serverBudgetPercent, 0, 100, 1, &ok);
    if (!ok)
        return;
    m_options.sampler.serverBudgetPercent = percent;
    QSettings().setValue(QStringLiteral("sampling/serverBudgetPercent"), percent);
    for (const Entry &entry : std::as_const(m_entries))
        entry.controller->setServerBudget(percent);
    showMessage(percent > 0 ? tr("Server budget %1 % of the interval; it applies from the next sample.").arg(percent)
                            : tr("The interval asked for is kept whatever a read costs the server."));
}

void MainWindow::editIgnoreRules()
{
    QString shown = m_options.sampler.rules.ignore.toStrings().join(u'\n');
    for (;;) {
        bool ok = false;
        const QString text = QInputDialog::getMultiLineText(
            this, tr("Ignore rules"),
            tr("Sessions that legitimately hold transactions (dumps, replication, batch jobs) are shown as ignored "
               "and never judged leaked, alerted on or diagnosed.\nOne rule a line: application=NAME, user=NAME or "
               "database=NAME. A query commented /* poolscope:ignore */ is always ignored.\n\nRules:"),
            shown, &ok);
        if (!ok)
            return;
        IgnoreRules rules{{}, {}, {}};
        QStringList wrong;
        for (const QString &line : text.split(u'\n')) {
            if (!line.trimmed().isEmpty() && !rules.add(line))
                wrong.append(line.trimmed());
        }
        if (!wrong.isEmpty()) {
            QMessageBox::warning(this, tr("Ignore rules"),
                                 richFromPlain(tr("These lines are not application=, user= or database=NAME; nothing "
                                                  "was changed:\n\n%1").arg(wrong.join(u'\n'))));
            shown = text; // the dialog again, with what the operator typed, to correct
            continue;
        }
        m_options.sampler.rules.ignore = rules;
        QSettings().setValue(QStringLiteral("analysis/ignore"), rules.toStrings());
        for (const Entry &entry : std::as_const(m_entries))
            entry.controller->setIgnoreRules(rules);
        showMessage(tr("%n ignore rule(s) saved; they apply from the next sample.", nullptr, int(rules.toStrings().size())));
        return;
    }
}

void MainWindow::editLeakLogs()
{
    LeakLogDialog dialog(m_options.sampler.leakLogs, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const QList<LeakLogSpec> specs = dialog.specs();
    m_options.sampler.leakLogs = specs;
    QStringList texts;
    for (const LeakLogSpec &spec : specs)
        texts.append(spec.toString());
    QSettings().setValue(QStringLiteral("leaklogs/files"), texts);
    for (const Entry &entry : std::as_const(m_entries))
        entry.controller->setLeakLogs(specs);
    showMessage(tr("%n leak log(s) followed; their reports join the sessions from the next sample.", nullptr,
                   int(specs.size())));
}

void MainWindow::editAppCallSites()
{
    CallSitesDialog dialog(m_options.sampler.rules.callSites, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const AppCallSites callSites = dialog.callSites();
    m_options.sampler.rules.callSites = callSites;
    QSettings().setValue(QStringLiteral("analysis/appCallSites"), callSites.patterns);
    for (const Entry &entry : std::as_const(m_entries))
        entry.controller->setAppCallSites(callSites);
    showMessage(tr("%n call-site pattern(s) saved; they apply from the next sample.", nullptr,
                   int(callSites.patterns.size())));
}

void MainWindow::editTraceLinks()
{
    QSettings settings;
    TraceLinksDialog dialog(readTraceUrlTemplate(settings), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const QString urlTemplate = dialog.urlTemplate();
    settings.setValue(QStringLiteral("traces/urlTemplate"), urlTemplate);
    for (const Entry &entry : std::as_const(m_entries))
        entry.view->sessions()->setTraceUrlTemplate(urlTemplate);
    showMessage(urlTemplate.isEmpty() ? tr("No trace links.") : tr("Traces open at %1").arg(urlTemplate));
}

void MainWindow::showMessage(const QString &text)
{
    statusBar()->showMessage(safeText(text), 15000);
}

void MainWindow::rememberTarget(const QString &conninfoText)
{
    if (const QString text = storable(conninfoText); !text.isEmpty()) {
        m_savedTargets.append(text);
        saveTargets();
    }
}

void MainWindow::forgetTarget(const QString &conninfoText)
{
    // Saved by hand or by an older version, the entry may be spelled differently: compare the
    // stored forms.
    const QString text = storable(conninfoText);
    const auto saved = std::find_if(m_savedTargets.begin(), m_savedTargets.end(),
                                    [&text](const QString &entry) { return storable(entry) == text; });
    if (saved != m_savedTargets.end()) {
        m_savedTargets.erase(saved);
        saveTargets();
    }
}

void MainWindow::saveTargets() const
{
    QSettings settings;
    if (m_savedTargets.isEmpty())
        settings.remove(QStringLiteral("targets")); // not an empty list, which QSettings writes as @Invalid()
    else
        settings.setValue(QStringLiteral("targets"), m_savedTargets);
}

void MainWindow::restoreTargets(const QStringList &targets)
{
    const QScopedValueRollback restoring(m_restoring, true); // already in the list
    for (const QString &text : targets) {
        QString error;
        if (const auto info = ConnInfo::parse(text, &error))
            openTarget(*info, text, true);
    }
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    if (auto *splitter = findChild<QSplitter *>(QStringLiteral("mainSplitter")))
        settings.setValue(QStringLiteral("window/splitter"), splitter->saveState());
    QMainWindow::closeEvent(event);
}

} // namespace poolscope::ui
