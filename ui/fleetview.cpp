#include "fleetview.h"

#include "plaintext.h"
#include "targetcontroller.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QColor>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

int severityRank(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Critical: return 2;
    case Finding::Severity::Warning: return 1;
    case Finding::Severity::Info: return 0;
    }
    return 0;
}

QString number(int n) { return QLocale().toString(n); }

} // namespace

FleetModel::FleetModel(QObject *parent) : QAbstractTableModel(parent) {}

FleetModel::Row FleetModel::rowFor(TargetController *controller)
{
    Row row;
    row.controller = controller;
    row.target = controller->displayName();
    const SamplerStatus &status = controller->status();
    row.unreachable = status.state == SamplerStatus::State::Reconnecting || status.state == SamplerStatus::State::Failing;
    row.state = samplerStateName(status.state);
    if (row.unreachable && status.error.isError())
        row.state += QStringLiteral(": ") + safeLine(status.error.message.section(u'\n', 0, 0));
    const AnalysedSamplePtr sample = controller->sample();
    if (const SnapshotPtr p = sample ? sample->postgres : nullptr) {
        row.kind = QStringLiteral("PostgreSQL ") + p->serverVersion.section(u' ', 0, 0); // "15.18", not its build
        const int usable = p->limits.usableSlots();
        row.slots = QObject::tr("%1 of %2").arg(number(p->totals.slotsUsed), number(usable));
        row.slotsShare = usable > 0 ? double(p->totals.slotsUsed) / usable : 0;
        row.leakedCount = p->totals.leaked;
        row.leaked = number(p->totals.leaked);
        row.waitingCount = int(std::count_if(p->sessions.cbegin(), p->sessions.cend(),
                                             [](const Session &s) { return !s.blockedBy.isEmpty(); }));
        row.waiting = QObject::tr("%1 on locks").arg(row.waitingCount);
    } else if (const BouncerSnapshotPtr b = sample ? sample->bouncer : nullptr) {
        row.kind = QStringLiteral("PgBouncer ") + b->version;
        const BouncerTotals totals = b->totals();
        row.slots = QObject::tr("%1 of %2 servers").arg(number(totals.servers()), number(totals.poolSize));
        row.slotsShare = totals.poolSize > 0 ? double(totals.servers()) / totals.poolSize : 0;
        row.leakedCount = int(std::count_if(sample->linked.clients.cbegin(), sample->linked.clients.cend(),
                                            [](const ClientLink &l) { return l.leak == LeakVerdict::Leaked; }));
        row.leaked = sample->server ? number(row.leakedCount) : QStringLiteral("–");
        row.waitingCount = totals.clientsWaiting;
        row.waiting = QObject::tr("%1 clients").arg(totals.clientsWaiting);
    }
    if (sample && sample->diagnosis) {
        const Diagnosis &d = *sample->diagnosis;
        row.connectsRate = d.connectsPerSecond;
        row.connects = d.connectsPerSecond >= 0 ? QLocale().toString(d.connectsPerSecond, 'f', 1) : QStringLiteral("–");
        if (!d.causes.isEmpty()) {
            const Cause &worst = d.causes.first();
            row.severity = severityRank(worst.severity);
            row.worst = causeTitle(worst.kind) + (worst.owner.isEmpty() ? QString() : QStringLiteral(" · ") + safeLine(worst.owner));
            if (d.causes.size() > 1)
                row.worst += QObject::tr(" (+%1 more)").arg(d.causes.size() - 1);
            row.worstDetail = safeLine(worst.summary);
            row.urgency = worst.score;
        } else {
            row.worst = QObject::tr("nothing wrong found");
        }
    }
    // Unreachable is worse than any cause: nothing about it is known any more.
    if (row.unreachable) {
        row.urgency = 1e6;
        row.worst = QObject::tr("unreachable");
        row.worstDetail = row.state;
    }
    row.urgency += qMax(0.0, row.slotsShare); // equal causes: the fuller first
    return row;
}

void FleetModel::addTarget(TargetController *controller)
{
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
    m_rows.append(rowFor(controller));
    endInsertRows();
}

void FleetModel::removeTarget(TargetController *controller)
{
    const int row = rowOf(controller);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

void FleetModel::refresh(TargetController *controller)
{
    const int row = rowOf(controller);
    if (row < 0)
        return;
    m_rows[row] = rowFor(controller);
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

TargetController *FleetModel::controllerAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].controller.data() : nullptr;
}

int FleetModel::rowOf(const TargetController *controller) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].controller == controller)
            return i;
    }
    return -1;
}

int FleetModel::targetsOnFire() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &r) { return r.unreachable || r.severity == 2; }));
}

int FleetModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int FleetModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant FleetModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows[index.row()];
    if (role == SortRole) {
        switch (index.column()) {
        case Target: return r.target;
        case Kind: return r.kind;
        case Slots: return r.slotsShare;
        case Leaked: return r.leakedCount;
        case Waiting: return r.waitingCount;
        case Connects: return r.connectsRate;
        case Worst: return r.urgency;
        case State: return r.state;
        }
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Target: return safeLine(r.target);
        case Kind: return r.kind.isEmpty() ? QStringLiteral("…") : safeLine(r.kind);
        case Slots: return r.slots;
        case Leaked: return r.leaked;
        case Waiting: return r.waiting;
        case Connects: return r.connects;
        case Worst: return r.worst;
        case State: return r.state;
        }
        return {};
    }
    if (role == Qt::ToolTipRole && index.column() == Worst && !r.worstDetail.isEmpty())
        return richFromPlain(r.worstDetail);
    if (role == Qt::ToolTipRole && index.column() == State)
        return richFromPlain(r.state);
    if (role == Qt::ForegroundRole && index.column() == Worst) {
        if (r.unreachable || r.severity == 2)
            return QColor(0xc6, 0x28, 0x28);
        if (r.severity == 1)
            return QColor(0xe6, 0x51, 0x00);
    }
    if (role == Qt::ForegroundRole && index.column() == Leaked && r.leakedCount > 0)
        return QColor(0xc6, 0x28, 0x28);
    if (role == Qt::TextAlignmentRole && (index.column() == Leaked || index.column() == Connects))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant FleetModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Target", "Kind", "In use", "Leaked", "Waiting", "New/s", "State",
                                        "Worst diagnosis"};
    return tr(names[section]);
}

FleetView::FleetView(QWidget *parent)
    : QWidget(parent)
    , m_model(new FleetModel(this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_table(new QTableView(this))
    , m_headline(new QLabel(this))
{
    setObjectName(QStringLiteral("fleetView"));
    m_table->setObjectName(QStringLiteral("fleetTable"));
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(FleetModel::SortRole);
    m_sorted->setDynamicSortFilter(true); // a target that catches fire moves to the top by itself
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(FleetModel::Worst, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    const int em = fontMetrics().horizontalAdvance(u'M');
    const int widths[] = {25, 14, 10, 5, 8, 5, 14}; // the worst diagnosis takes the rest
    for (int c = 0; c < int(std::size(widths)); ++c)
        m_table->setColumnWidth(c, widths[c] * em);
    m_table->setToolTip(tr("Every open target, worst first; double-click or Enter opens it"));
    m_headline->setTextFormat(Qt::PlainText);
    QFont bigger = m_headline->font();
    bigger.setPointSizeF(bigger.pointSizeF() * 1.3);
    bigger.setBold(true);
    m_headline->setFont(bigger);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(m_headline);
    layout->addWidget(m_table, 1);

    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        if (TargetController *controller = m_model->controllerAt(m_sorted->mapToSource(index).row()))
            Q_EMIT targetActivated(controller);
    });
    updateHeadline();
}

void FleetView::copySelection() const
{
    // The selected rows as tab-separated text, header first: for a chat or a ticket.
    QStringList lines;
    QStringList header;
    for (int c = 0; c < FleetModel::ColumnCount; ++c)
        header.append(m_model->headerData(c, Qt::Horizontal).toString());
    lines.append(header.join(u'\t'));
    for (const QModelIndex &row : m_table->selectionModel()->selectedRows()) {
        QStringList cells;
        for (int c = 0; c < FleetModel::ColumnCount; ++c)
            cells.append(m_sorted->index(row.row(), c).data().toString());
        lines.append(cells.join(u'\t'));
    }
    QApplication::clipboard()->setText(lines.join(u'\n') + u'\n');
}

void FleetView::addTarget(TargetController *controller)
{
    m_model->addTarget(controller);
    const auto refresh = [this, controller] {
        m_model->refresh(controller);
        updateHeadline();
    };
    connect(controller, &TargetController::sampled, this, refresh);
    connect(controller, &TargetController::statusChanged, this, refresh);
    updateHeadline();
}

void FleetView::removeTarget(TargetController *controller)
{
    disconnect(controller, nullptr, this, nullptr);
    m_model->removeTarget(controller);
    updateHeadline();
}

void FleetView::updateHeadline()
{
    const int targets = m_model->rowCount();
    const int fire = m_model->targetsOnFire();
    const QString counted = targets == 1 ? tr("1 target") : tr("%1 targets").arg(targets);
    m_headline->setText(targets == 0 ? tr("No target open")
                        : fire == 0  ? tr("%1, none critical or unreachable").arg(counted)
                                     : tr("%1 of %2 critical or unreachable").arg(fire).arg(counted));
}

} // namespace poolscope::ui
