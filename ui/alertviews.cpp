#include "alertviews.h"

#include "plaintext.h"
#include "settings/storedsettings.h"

#include <QCheckBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

constexpr int kBannerLines = 3;

QString timeText(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

} // namespace

AlertBanner::AlertBanner(QWidget *parent)
    : QFrame(parent)
    , m_text(new QLabel(this))
{
    setObjectName(QStringLiteral("alertBanner"));
    setAutoFillBackground(true);
    QPalette pal = palette();
    pal.setColor(QPalette::Window, QColor(0xb7, 0x1c, 0x1c));
    pal.setColor(QPalette::WindowText, Qt::white);
    pal.setColor(QPalette::ButtonText, Qt::black);
    setPalette(pal);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *history = new QPushButton(tr("Alert &history…"), this);
    connect(history, &QPushButton::clicked, this, &AlertBanner::historyRequested);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_text, 1);
    layout->addWidget(history, 0, Qt::AlignTop);
    hide();
}

void AlertBanner::setAlerts(const QList<Alert> &active)
{
    QStringList lines;
    for (int i = 0; i < active.size() && i < kBannerLines; ++i) {
        const Alert &a = active[active.size() - 1 - i]; // newest first
        lines.append(QStringLiteral("⚠ %1 — %2 (since %3)")
                         .arg(safeLine(a.target), safeLine(a.message), QDateTime::fromMSecsSinceEpoch(a.firedAtMs).toString(QStringLiteral("HH:mm:ss"))));
    }
    if (active.size() > kBannerLines)
        lines.append(tr("and %n more", nullptr, int(active.size() - kBannerLines)));
    setPlainLabel(m_text, lines.join(u'\n'));
    setVisible(!active.isEmpty());
}

QString AlertBanner::text() const
{
    return m_text->text();
}

AlertHistoryDialog::AlertHistoryDialog(const QList<Alert> &alerts, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Alert history"));
    auto *table = new QTableWidget(int(alerts.size()), 5, this);
    table->setObjectName(QStringLiteral("alertHistory"));
    table->setHorizontalHeaderLabels({tr("Fired"), tr("Cleared"), tr("Target"), tr("Alert"), tr("What")});
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->verticalHeader()->hide();
    for (int r = 0; r < alerts.size(); ++r) {
        const Alert &a = alerts[alerts.size() - 1 - r];
        const QStringList cells{timeText(a.firedAtMs), a.isActive() ? tr("active") : timeText(a.clearedAtMs), a.target,
                                a.code, a.message};
        for (int c = 0; c < cells.size(); ++c)
            table->setItem(r, c, new QTableWidgetItem(safeLine(cells[c])));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    table->setSortingEnabled(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    if (alerts.isEmpty())
        layout->addWidget(new QLabel(tr("No alert has fired since PoolScope started."), this));
    layout->addWidget(table);
    layout->addWidget(buttons);
    resize(1000, 420);
}

AlertRulesDialog::AlertRulesDialog(const AlertRules &rules, QWidget *parent)
    : QDialog(parent)
    , m_slots(new QDoubleSpinBox(this))
    , m_waiting(new QDoubleSpinBox(this))
    , m_leaked(new QCheckBox(tr("any leaked session"), this))
    , m_rising(new QSpinBox(this))
{
    setWindowTitle(tr("Alert thresholds"));
    m_slots->setRange(1, 100);
    m_slots->setSuffix(QStringLiteral(" %"));
    m_slots->setValue(rules.slotsUsedPercent);
    m_waiting->setRange(0, 3600);
    m_waiting->setSuffix(QStringLiteral(" s"));
    m_waiting->setValue(rules.waitingLongerThanSeconds);
    m_leaked->setChecked(rules.leakedSessions);
    m_rising->setRange(0, 100);
    m_rising->setSpecialValueText(tr("off"));
    m_rising->setSuffix(tr(" samples"));
    m_rising->setValue(rules.risingSamples);
    auto *form = new QFormLayout;
    form->addRow(tr("Slots used (sessions of usable slots; PgBouncer servers of pool size) at"), m_slots);
    form->addRow(tr("PgBouncer clients waiting for longer than"), m_waiting);
    form->addRow(tr("Leaks"), m_leaked);
    form->addRow(tr("Leak count rising over"), m_rising);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
}

AlertRules AlertRulesDialog::rules() const
{
    AlertRules rules;
    rules.slotsUsedPercent = m_slots->value();
    rules.waitingLongerThanSeconds = m_waiting->value();
    rules.leakedSessions = m_leaked->isChecked();
    rules.risingSamples = m_rising->value() == 1 ? 2 : m_rising->value(); // a trend needs two samples
    return rules;
}

AlertRules loadAlertRules()
{
    QSettings settings;
    return readStoredSettings(settings).alertRules;
}

void saveAlertRules(const AlertRules &rules)
{
    QSettings settings;
    writeAlertRules(settings, rules);
}

} // namespace poolscope::ui
