#include "sessionspanel.h"

#include "analysis/tracecontext.h"
#include "cachedtextdelegate.h"
#include "plaintext.h"
#include "settings/storedsettings.h"
#include "steadylabels.h"
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDesktopServices>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace poolscope::ui {

SessionsPanel::SessionsPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new SessionTableModel(this))
    , m_view(new QTableView(this))
    , m_text(new QLineEdit(this))
    , m_class(new QComboBox(this))
    , m_leakedOnly(new QCheckBox(tr("&Leaked or suspected only"), this))
    , m_count(new QLabel(this))
    , m_cancel(new QPushButton(tr("Cancel &query"), this))
    , m_terminate(new QPushButton(tr("&Terminate…"), this))
    , m_menu(new QMenu(this))
    , m_openTrace(new QAction(tr("Open &trace in browser"), this))
    , m_copyTrace(new QAction(tr("Copy trace &id"), this))
{
    m_view->setObjectName(QStringLiteral("sessionsTable"));
    m_view->setModel(m_model);
    m_view->setItemDelegate(new CachedTextDelegate(m_view));
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(SessionTableModel::InState, Qt::DescendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionsMovable(true);
    const int em = m_view->fontMetrics().horizontalAdvance(u'M');
    const int widths[SessionTableModel::ColumnCount] = {6, 14, 22, 14, 10, 10, 14, 9, 9, 14, 9, 24, 18, 40, 16};
    for (int c = 0; c < SessionTableModel::ColumnCount; ++c)
        m_view->setColumnWidth(c, widths[c] * em);
    // Column widths, order and sort as the user left them last time.
    m_view->horizontalHeader()->restoreState(QSettings().value(QStringLiteral("sessions/header")).toByteArray());

    m_text->setPlaceholderText(tr("Filter: pid, user, database, application, address, query or stack (Ctrl+F)"));
    m_text->setClearButtonEnabled(true);
    m_class->addItem(tr("All classes"), ~0u);
    for (int c = 0; c < kSessionClassCount; ++c)
        m_class->addItem(sessionClassName(SessionClass(c)), SessionFilter::classBit(SessionClass(c)));
    m_class->addItem(tr("idle in transaction (both)"), SessionFilter::classBit(SessionClass::IdleInTransaction)
                                                           | SessionFilter::classBit(SessionClass::IdleInTransactionAborted));
    m_terminate->setObjectName(QStringLiteral("terminateSessions"));
    m_terminate->setToolTip(tr("End the selected sessions (pg_terminate_backend), after a confirmation (Del)"));
    m_cancel->setToolTip(tr("Cancel the running query of the selected sessions (pg_cancel_backend)"));
    m_terminate->setEnabled(false);
    m_cancel->setEnabled(false);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_text, 3);
    bar->addWidget(m_class, 1);
    bar->addWidget(m_leakedOnly);
    bar->addWidget(m_count);
    bar->addStretch();
    bar->addWidget(m_cancel);
    bar->addWidget(m_terminate);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_view);

    // Typing filters after a short pause, so a 10,000-row table is not refiltered per key.
    auto *debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(150);
    connect(m_text, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, &SessionsPanel::applyFilter);
    connect(m_class, &QComboBox::currentIndexChanged, this, &SessionsPanel::applyFilter);
    connect(m_leakedOnly, &QCheckBox::toggled, this, &SessionsPanel::applyFilter);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const bool any = m_view->selectionModel()->hasSelection();
        m_terminate->setEnabled(any);
        m_cancel->setEnabled(any);
    });
    connect(m_terminate, &QPushButton::clicked, this, [this] {
        if (const QList<Session> sessions = selectedSessions(); !sessions.isEmpty())
            Q_EMIT actionRequested(sessions, true);
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (const QList<Session> sessions = selectedSessions(); !sessions.isEmpty())
            Q_EMIT actionRequested(sessions, false);
    });

    // The current session's trace, from its context menu (right click, the Menu key) or its
    // shortcut. Only a well-formed trace id and the operator's template make the address.
    m_openTrace->setObjectName(QStringLiteral("openTrace"));
    m_openTrace->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T));
    m_openTrace->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_openTrace, &QAction::triggered, this, [this] {
        if (const QUrl url = currentTraceUrl(); url.isValid())
            QDesktopServices::openUrl(url);
    });
    connect(m_copyTrace, &QAction::triggered, this, [this] {
        const QModelIndex current = m_view->currentIndex();
        if (current.isValid())
            QApplication::clipboard()->setText(traceIdOf(m_model->session(current.row())));
    });
    m_view->addAction(m_openTrace);
    m_menu->addAction(m_openTrace);
    m_menu->addAction(m_copyTrace);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, [this](const QPoint &position) {
        updateTraceActions();
        m_menu->popup(m_view->viewport()->mapToGlobal(position));
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, &SessionsPanel::updateTraceActions);
    QSettings settings;
    setTraceUrlTemplate(readTraceUrlTemplate(settings));
    updateCount();
}

SessionsPanel::~SessionsPanel()
{
    QSettings().setValue(QStringLiteral("sessions/header"), m_view->horizontalHeader()->saveState());
}

void SessionsPanel::merge(const SnapshotPtr &snapshot, qint64 sampleTimeMs)
{
    m_model->merge(snapshot, sampleTimeMs);
    updateCount();
    updateTraceActions(); // the current session's trace may have changed with its query
}

void SessionsPanel::setTraceUrlTemplate(const QString &urlTemplate)
{
    m_traceUrlTemplate = urlTemplate;
    updateTraceActions();
}

QUrl SessionsPanel::currentTraceUrl() const
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid() || m_traceUrlTemplate.isEmpty())
        return {};
    return traceUrl(m_traceUrlTemplate, traceIdOf(m_model->session(current.row())));
}

void SessionsPanel::updateTraceActions()
{
    const QModelIndex current = m_view->currentIndex();
    const bool hasTrace = current.isValid() && !traceIdOf(m_model->session(current.row())).isEmpty();
    m_copyTrace->setEnabled(hasTrace);
    m_openTrace->setEnabled(currentTraceUrl().isValid());
    m_openTrace->setToolTip(m_traceUrlTemplate.isEmpty() ? tr("Set a trace URL template first (View ▸ Trace links…)")
                            : hasTrace                   ? currentTraceUrl().toString()
                                                         : tr("This session's queries carry no traceparent"));
}

void SessionsPanel::tick()
{
    m_view->viewport()->update();
}

void SessionsPanel::setActionsVisible(bool visible)
{
    m_actionsVisible = visible;
    m_terminate->setVisible(visible);
    m_cancel->setVisible(visible);
}

void SessionsPanel::setActionsBusy(bool busy)
{
    const bool any = m_view->selectionModel()->hasSelection();
    m_terminate->setEnabled(!busy && any);
    m_cancel->setEnabled(!busy && any);
}

void SessionsPanel::focusFilter()
{
    m_text->setFocus();
    m_text->selectAll();
}

void SessionsPanel::applyFilter()
{
    SessionFilter filter;
    filter.text = m_text->text().trimmed();
    filter.classes = m_class->currentData().toUInt();
    filter.leakedOnly = m_leakedOnly->isChecked();
    m_model->setFilter(filter);
    updateCount();
}

void SessionsPanel::updateCount()
{
    setSteadyText(m_count, tr("%1 of %2 sessions").arg(m_model->rowCount()).arg(m_model->sessionCount()));
}

QList<Session> SessionsPanel::selectedSessions() const
{
    QList<Session> sessions;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &index : rows)
        sessions.append(m_model->session(index.row()));
    return sessions;
}

void SessionsPanel::copySelection() const
{
    // Tab-separated with a header: pastes into a spreadsheet or a ticket as a table.
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    QStringList lines;
    QStringList header;
    const auto *h = m_view->horizontalHeader();
    QList<int> columns;
    for (int visual = 0; visual < h->count(); ++visual) {
        const int logical = h->logicalIndex(visual);
        if (!h->isSectionHidden(logical)) {
            columns.append(logical);
            header.append(m_model->headerData(logical, Qt::Horizontal, Qt::DisplayRole).toString());
        }
    }
    lines.append(header.join(u'\t'));
    QModelIndexList sorted = rows;
    std::sort(sorted.begin(), sorted.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    for (const QModelIndex &row : std::as_const(sorted)) {
        QStringList cells;
        for (int column : std::as_const(columns)) {
            // The query in full, not its one-line display form.
            const QVariant value = column == SessionTableModel::Query ? m_model->session(row.row()).query
                                                                       : m_model->index(row.row(), column).data(Qt::DisplayRole);
            cells.append(safeLine(value.toString().simplified())); // pasted into terminals too
        }
        lines.append(cells.join(u'\t'));
    }
    QApplication::clipboard()->setText(lines.join(u'\n') + u'\n');
}

bool SessionsPanel::selectPid(int pid)
{
    for (int row = 0; row < m_model->rowCount(); ++row) {
        if (m_model->session(row).pid == pid) {
            m_view->selectRow(row);
            m_view->scrollTo(m_model->index(row, 0), QAbstractItemView::PositionAtCenter);
            m_view->setFocus();
            return true;
        }
    }
    return false;
}

} // namespace poolscope::ui
