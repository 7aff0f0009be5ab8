#include "advisorpanel.h"

#include "plaintext.h"

#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

// A cell that sorts by its number, not its text ("10" after "9", "–" first).
class NumberItem : public QTableWidgetItem
{
public:
    using QTableWidgetItem::QTableWidgetItem;
    bool operator<(const QTableWidgetItem &other) const override
    {
        return data(Qt::UserRole).toDouble() < other.data(Qt::UserRole).toDouble();
    }
};

QTableWidgetItem *numberItem(double value, const QString &text)
{
    auto *item = new NumberItem(text);
    item->setData(Qt::UserRole, value);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

AdvisorPanel::AdvisorPanel(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_table(new QTableWidget(this))
    , m_formula(new QPlainTextEdit(this))
    , m_apply(new QPushButton(this))
{
    setObjectName(QStringLiteral("advisorPanel"));
    m_apply->setObjectName(QStringLiteral("applyAdvice"));
    m_summary->setWordWrap(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_formula->setReadOnly(true);
    m_formula->setToolTip(tr("The inputs and the arithmetic behind the recommendation (select and copy)"));
    m_apply->setVisible(false);
    m_apply->setToolTip(tr("SET on the console after a confirmation, read back from SHOW CONFIG, audited"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 2);
    layout->addWidget(m_formula, 1);
    layout->addWidget(m_apply, 0, Qt::AlignRight);
    connect(m_apply, &QPushButton::clicked, this, [this] {
        if (m_advice && m_advice->recommendedDefaultPoolSize > 0)
            Q_EMIT applyRequested(QStringLiteral("default_pool_size"), QString::number(m_advice->recommendedDefaultPoolSize));
    });
    setAdvice(nullptr);
}

void AdvisorPanel::setReadOnly(bool readOnly)
{
    m_readOnly = readOnly;
    setAdvice(m_advice);
}

void AdvisorPanel::setAdvice(const PoolAdvicePtr &advice)
{
    m_advice = advice;
    if (!advice || !advice->enough) {
        setPlainLabel(m_summary, advice ? tr("No recommendation yet: %1.").arg(advice->tooShort)
                                        : tr("No recommendation yet: waiting for samples."));
        m_table->setRowCount(0);
        m_formula->setPlainText(advice ? advice->formula.join(u'\n') : QString());
        m_apply->setVisible(false);
        return;
    }
    setPlainLabel(m_summary, advice->summary);
    const int scroll = m_table->verticalScrollBar() ? m_table->verticalScrollBar()->value() : 0;
    m_table->setSortingEnabled(false); // filled row by row, sorted once after
    if (!advice->pools.isEmpty()) {
        m_table->setColumnCount(6);
        m_table->setHorizontalHeaderLabels({tr("Pool"), tr("Transactions/s"), tr("Mean transaction"), tr("Busy servers"),
                                            tr("Size now"), tr("Recommended")});
        m_table->setRowCount(int(advice->pools.size()));
        for (int r = 0; r < advice->pools.size(); ++r) {
            const PoolAdvice::Pool &p = advice->pools[r];
            m_table->setItem(r, 0, new QTableWidgetItem(safeLine(p.database + u'/' + p.user)));
            m_table->setItem(r, 1, numberItem(p.peakXactsPerSecond, QString::number(p.peakXactsPerSecond, 'f', 1)));
            m_table->setItem(r, 2, numberItem(p.avgXactMs, p.peakXactsPerSecond > 0 ? QString::number(p.avgXactMs, 'f', 2) + tr(" ms")
                                                                                     : QStringLiteral("–")));
            m_table->setItem(r, 3, numberItem(p.peakBusyServers, QString::number(p.peakBusyServers, 'f', 2)));
            m_table->setItem(r, 4, new QTableWidgetItem(QStringLiteral("%1 (%2)").arg(p.size).arg(p.sizeSource)));
            m_table->setItem(r, 5, numberItem(p.recommended, p.recommended > 0 ? QString::number(p.recommended) : tr("as it is")));
        }
    } else {
        m_table->setColumnCount(4);
        m_table->setHorizontalHeaderLabels({tr("Application"), tr("Peak sessions"), tr("Peak busy"), tr("Recommended pool")});
        m_table->setRowCount(int(advice->owners.size()));
        for (int r = 0; r < advice->owners.size(); ++r) {
            const PoolAdvice::Owner &o = advice->owners[r];
            m_table->setItem(r, 0, new QTableWidgetItem(safeLine(o.owner)));
            m_table->setItem(r, 1, numberItem(o.peakSessions, QString::number(o.peakSessions)));
            m_table->setItem(r, 2, numberItem(o.peakBusy, QString::number(o.peakBusy)));
            m_table->setItem(r, 3, numberItem(o.recommended, QString::number(o.recommended)));
        }
    }
    m_table->setSortingEnabled(true);
    m_table->resizeColumnsToContents(); // a handful of rows: cheap, and nothing is cut short
    m_table->verticalScrollBar()->setValue(scroll);
    const QString formula = [&] {
        QStringList lines;
        for (const QString &line : advice->formula)
            lines.append(safeLine(line));
        return lines.join(u'\n');
    }();
    if (m_formula->toPlainText() != formula)
        m_formula->setPlainText(formula);
    m_apply->setVisible(advice->recommendedDefaultPoolSize > 0 && !m_readOnly);
    m_apply->setText(tr("Set default_pool_size = %1…").arg(advice->recommendedDefaultPoolSize));
}

} // namespace poolscope::ui
