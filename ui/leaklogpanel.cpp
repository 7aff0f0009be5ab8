#include "leaklogpanel.h"

#include "output/snapshotjson.h"
#include "plaintext.h"

#include <QDateTime>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

// A cell whose sort follows a number (a time, a pid, a join's strength), not its text.
class SortedItem : public QTableWidgetItem
{
public:
    SortedItem(const QString &text, double order) : QTableWidgetItem(safeLine(text)) { setData(Qt::UserRole, order); }
    bool operator<(const QTableWidgetItem &other) const override
    {
        return data(Qt::UserRole).toDouble() < other.data(Qt::UserRole).toDouble();
    }
};

QString localTime(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

// The time alone when it is today's: the column stays narrow during an incident.
QString shortTime(qint64 ms)
{
    if (ms <= 0)
        return {};
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(ms);
    return at.date() == QDate::currentDate() ? at.toString(QStringLiteral("HH:mm:ss")) : at.toString(QStringLiteral("MM-dd HH:mm:ss"));
}

QString sessionText(const JoinedLeakReport &r)
{
    if (r.withdrawn)
        return QObject::tr("returned to the pool");
    if (r.pid == 0)
        return QObject::tr("none");
    if (r.sessionEnded)
        return QObject::tr("pid %1, ended").arg(r.pid);
    return QObject::tr("pid %1, %2").arg(r.pid).arg(r.sessionState);
}

} // namespace

LeakLogPanel::LeakLogPanel(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_table(new QTableWidget(0, ColumnCount, this))
    , m_details(new QPlainTextEdit(this))
    , m_edit(new QPushButton(tr("Leak &logs…"), this))
{
    setObjectName(QStringLiteral("leakLogPanel"));
    m_summary->setWordWrap(true);
    m_table->setHorizontalHeaderLabels(
        {tr("Logged"), tr("Pool"), tr("Thread"), tr("Session"), tr("Join"), tr("Checked out at"), tr("Log")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(CheckedOutAt, QHeaderView::Stretch);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(Logged, Qt::DescendingOrder);
    m_table->setToolTip(tr("Double-click a joined report to find its session in the Sessions tab"));
    m_details->setReadOnly(true);
    m_details->setPlaceholderText(tr("Select a report to see its stack."));
    m_details->setObjectName(QStringLiteral("leakReportDetails"));
    m_edit->setToolTip(tr("Follow other logs, set whose each is and the pool's threshold (Ctrl+Shift+L)"));

    auto *top = new QHBoxLayout;
    top->addWidget(m_summary, 1);
    top->addWidget(m_edit, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table, 2);
    layout->addWidget(m_details, 1);

    connect(m_edit, &QPushButton::clicked, this, &LeakLogPanel::editLogsRequested);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &LeakLogPanel::showDetails);
    connect(m_table, &QTableWidget::itemDoubleClicked, this, [this](QTableWidgetItem *item) {
        const int pid = m_table->item(item->row(), Session)->data(Qt::UserRole).toInt();
        if (pid > 0)
            Q_EMIT showSessionRequested(pid);
    });
    setState(nullptr);
}

void LeakLogPanel::setState(const LeakLogStatePtr &state)
{
    m_state = state;
    if (!state) {
        setPlainLabel(m_summary, tr("No leak log is followed. Leak logs… (or File ▸ Open leak log…) reads the log of a "
                                    "HikariCP, c3p0, DBCP2, Tomcat JDBC or SQLAlchemy pool and joins each leak it "
                                    "reports to the session holding the connection, with the stack that checked it out."));
        m_table->setRowCount(0);
        m_details->clear();
        return;
    }
    QStringList lines{tr("%n report(s) joined to open sessions", nullptr, state->joined())
                      + tr(", %n matching none", nullptr, state->unmatched())};
    for (const LeakLogFileStatus &file : state->files) {
        lines.append(file.problem.isEmpty()
                         ? tr("%1: %n report(s)", nullptr, file.reports).arg(file.spec.toString())
                               + (file.startedLate ? tr(" (read from its last 32 MiB)") : QString())
                         : tr("%1: %2").arg(file.spec.toString(), file.problem));
    }
    setPlainLabel(m_summary, lines.join(u'\n'));

    // The selection follows its report across samples: rows are keyed by the report.
    const int selectedRow = m_table->currentRow();
    const QTableWidgetItem *selected = selectedRow >= 0 ? m_table->item(selectedRow, Logged) : nullptr;
    const QString selectedKey = selected ? selected->data(Qt::UserRole + 1).toString() : QString();
    m_table->setSortingEnabled(false);
    m_table->setRowCount(int(state->reports.size()));
    int reselect = -1;
    for (int row = 0; row < state->reports.size(); ++row) {
        const JoinedLeakReport &r = state->reports[row];
        const LeakReport &report = *r.report;
        const QString key = QStringLiteral("%1:%2").arg(report.file).arg(report.line);
        // Lines restart after a rotation: the time tells two reports of one line apart.
        const QString identity = key + u'@' + QString::number(report.loggedAtMs);
        auto *logged = new SortedItem(shortTime(report.loggedAtMs), double(report.loggedAtMs));
        logged->setData(Qt::UserRole + 1, identity);
        logged->setToolTip(localTime(report.loggedAtMs));
        if (identity == selectedKey)
            reselect = row;
        m_table->setItem(row, Logged, logged);
        m_table->setItem(row, Pool, new SortedItem(leakLogPoolName(report.pool), double(int(report.pool))));
        m_table->setItem(row, Thread, new QTableWidgetItem(safeLine(report.thread)));
        auto *session = new SortedItem(sessionText(r), r.pid);
        session->setData(Qt::UserRole, r.withdrawn || r.sessionEnded ? 0 : r.pid);
        m_table->setItem(row, Session, session);
        m_table->setItem(row, Join, new SortedItem(r.pid > 0 ? leakJoinName(r.join) : QString(), double(int(r.join))));
        m_table->setItem(row, CheckedOutAt,
                         new QTableWidgetItem(safeLine(report.stack.isEmpty() ? tr("(no stack in the report)")
                                                                              : report.stack.first())));
        auto *log = new QTableWidgetItem(safeLine(QStringLiteral("%1:%2").arg(QFileInfo(report.file).fileName()).arg(report.line)));
        log->setToolTip(safeLine(key));
        log->setData(Qt::UserRole, row); // the report's index in the state
        m_table->setItem(row, Log, log);
    }
    m_table->setSortingEnabled(true);
    m_table->clearSelection(); // the selected report, where sorting put it, or none
    if (reselect >= 0) {
        for (int row = 0; row < m_table->rowCount(); ++row) {
            if (m_table->item(row, Logged)->data(Qt::UserRole + 1).toString() == selectedKey)
                m_table->selectRow(row);
        }
    }
    showDetails();
}

void LeakLogPanel::showDetails()
{
    const int row = m_table->currentRow();
    if (!m_state || row < 0 || !m_table->item(row, Log) || m_table->selectedItems().isEmpty()) {
        m_details->clear();
        return;
    }
    const int index = m_table->item(row, Log)->data(Qt::UserRole).toInt();
    if (index < 0 || index >= m_state->reports.size()) {
        m_details->clear();
        return;
    }
    const JoinedLeakReport &r = m_state->reports[index];
    const LeakReport &report = *r.report;
    QStringList text{safeLine(report.message)};
    text.append(tr("%1, %2 line %3, logged %4").arg(leakLogPoolName(report.pool), report.file).arg(report.line)
                    .arg(localTime(report.loggedAtMs)));
    if (report.checkoutAtMs > 0)
        text.append(tr("checked out %1 (%2)")
                        .arg(localTime(report.checkoutAtMs),
                             report.checkoutExact ? tr("the report's own time") : tr("logged time less the threshold")));
    if (!report.connection.isEmpty())
        text.append(tr("connection %1").arg(safeLine(report.connection)));
    if (r.pid > 0) {
        QString how = leakJoinName(r.join);
        if (r.join >= LeakJoin::TimeWindow)
            how += r.gapSeconds >= -0.05 ? tr(": its transaction began %1 s after the checkout").arg(qMax(0.0, r.gapSeconds), 0, 'f', 1)
                                         : tr(": its transaction began %1 s before the checkout the log implies")
                                               .arg(-r.gapSeconds, 0, 'f', 1);
        text.append(tr("joined to pid %1 by %2").arg(r.pid).arg(how));
    }
    text.append(QString());
    for (const QString &frame : report.stack)
        text.append(QStringLiteral("    at ") + safeLine(frame));
    if (report.framesDropped > 0)
        text.append(tr("    (%n pool, driver or JDK frame(s) above these not shown)", nullptr, report.framesDropped));
    m_details->setPlainText(text.join(u'\n'));
}

} // namespace poolscope::ui
