#include "limitspanel.h"

#include "plaintext.h"
#include "actionrunner.h"
#include "analysis/classifier.h"
#include "confirmdialog.h"
#include "model/duration.h"
#include "pgbouncer/bouncersettings.h"
#include "targetcontroller.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSet>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <limits>

namespace poolscope::ui {

namespace {

QString timeoutShown(qint64 ms)
{
    return ms <= 0 ? QObject::tr("off") : formatDuration(ms / 1000.0);
}

void setRow(QTableWidget *table, int row, const QStringList &cells)
{
    for (int c = 0; c < cells.size(); ++c) {
        QTableWidgetItem *item = table->item(row, c);
        if (!item) {
            item = new QTableWidgetItem;
            item->setFlags(item->flags() & ~Qt::ItemIsEditable);
            table->setItem(row, c, item);
        }
        // Role, database and setting names come from the servers: shown safe, acted on raw.
        if (item->data(Qt::UserRole).toString() != cells[c]) {
            item->setText(safeLine(cells[c]));
            item->setData(Qt::UserRole, cells[c]);
        }
    }
}

} // namespace

LimitsPanel::LimitsPanel(const TargetController &target, ActionRunner &runner, QWidget *parent)
    : QWidget(parent)
    , m_target(target)
    , m_runner(runner)
    , m_table(new QTableWidget(this))
    , m_postgresForm(new QWidget(this))
    , m_objectKind(new QComboBox(this))
    , m_objectName(new QComboBox(this))
    , m_limit(new QSpinBox(this))
    , m_idleTimeout(new QLineEdit(this))
    , m_bouncerForm(new QWidget(this))
    , m_settingValue(new QLineEdit(this))
    , m_outcome(new QLabel(this))
{
    m_table->setObjectName(QStringLiteral("limitsTable"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSortingEnabled(false);

    m_objectKind->addItems({tr("Role"), tr("Database")});
    m_objectName->setEditable(true);
    m_objectName->setMinimumContentsLength(20);
    m_limit->setRange(-1, 1000000);
    m_limit->setSpecialValueText(tr("no limit"));
    m_limit->setValue(-1);
    m_idleTimeout->setPlaceholderText(tr("e.g. 60s or 5min (a bare number is seconds); empty resets to the server default"));
    auto *applyLimit = new QPushButton(tr("Apply connection limit…"), m_postgresForm);
    auto *applyTimeout = new QPushButton(tr("Apply idle-in-transaction timeout…"), m_postgresForm);
    auto *form = new QFormLayout(m_postgresForm);
    auto *objectRow = new QHBoxLayout;
    objectRow->addWidget(m_objectKind);
    objectRow->addWidget(m_objectName, 1);
    form->addRow(tr("For"), objectRow);
    auto *limitRow = new QHBoxLayout;
    limitRow->addWidget(m_limit);
    limitRow->addWidget(applyLimit);
    limitRow->addStretch();
    form->addRow(tr("CONNECTION LIMIT"), limitRow);
    auto *timeoutRow = new QHBoxLayout;
    timeoutRow->addWidget(m_idleTimeout, 1);
    timeoutRow->addWidget(applyTimeout);
    form->addRow(tr("idle_in_transaction_session_timeout"), timeoutRow);

    auto *applySetting = new QPushButton(tr("Apply setting…"), m_bouncerForm);
    applySetting->setObjectName(QStringLiteral("applySetting"));
    applyLimit->setObjectName(QStringLiteral("applyConnectionLimit"));
    applyTimeout->setObjectName(QStringLiteral("applyIdleTimeout"));
    m_idleTimeout->setObjectName(QStringLiteral("idleTimeout"));
    m_settingValue->setObjectName(QStringLiteral("settingValue"));
    m_objectName->setObjectName(QStringLiteral("limitObjectName"));
    m_limit->setObjectName(QStringLiteral("connectionLimit"));
    m_outcome->setObjectName(QStringLiteral("limitsOutcome"));
    m_settingValue->setPlaceholderText(tr("new value of the selected setting"));
    auto *bouncerRow = new QHBoxLayout(m_bouncerForm);
    bouncerRow->addWidget(m_settingValue, 1);
    bouncerRow->addWidget(applySetting);

    m_outcome->setWordWrap(true);
    m_outcome->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_postgresForm);
    layout->addWidget(m_bouncerForm);
    layout->addWidget(m_outcome);

    connect(applyLimit, &QPushButton::clicked, this, &LimitsPanel::applyConnectionLimit);
    connect(applyTimeout, &QPushButton::clicked, this, &LimitsPanel::applyIdleTimeout);
    connect(applySetting, &QPushButton::clicked, this, &LimitsPanel::applySetting);
    connect(m_settingValue, &QLineEdit::returnPressed, this, &LimitsPanel::applySetting);
    connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row < 0 || !m_table->item(row, 0))
            return;
        if (m_target.kind() == TargetKind::PgBouncer) {
            m_settingValue->setText(m_table->item(row, 1)->data(Qt::UserRole).toString());
        } else {
            m_objectKind->setCurrentIndex(m_table->item(row, 0)->data(Qt::UserRole).toString() == tr("database") ? 1 : 0);
            m_objectName->setCurrentText(m_table->item(row, 1)->data(Qt::UserRole).toString());
        }
    });
    m_bouncerForm->hide();
}

void LimitsPanel::setReadOnly(bool readOnly)
{
    m_readOnly = readOnly;
    refresh();
}

void LimitsPanel::refresh()
{
    const bool bouncer = m_target.kind() == TargetKind::PgBouncer;
    m_postgresForm->setVisible(!bouncer && !m_readOnly);
    m_bouncerForm->setVisible(bouncer && !m_readOnly);
    if (bouncer)
        refreshBouncer();
    else
        refreshPostgres();
}

void LimitsPanel::refreshPostgres()
{
    const SnapshotPtr snapshot = m_target.postgres();
    if (!snapshot)
        return;
    const Limits &limits = snapshot->limits;
    struct Line { QString kind, name, limit, current; };
    QList<Line> lines{{tr("server"), QStringLiteral("max_connections"), QString::number(limits.maxConnections),
                       QString::number(snapshot->totals.total)},
                      {tr("server"), QStringLiteral("superuser_reserved_connections"),
                       QString::number(limits.superuserReserved), QString()},
                      {tr("server"), QStringLiteral("idle_in_transaction_session_timeout"),
                       timeoutShown(limits.idleInTransactionTimeoutMs), QString()}};
    if (limits.hasIdleSessionTimeout)
        lines.append({tr("server"), QStringLiteral("idle_session_timeout"), timeoutShown(limits.idleSessionTimeoutMs), QString()});
    for (const ConnectionLimit &role : limits.roles)
        lines.append({tr("role"), role.name, QString::number(role.limit), QString::number(role.current)});
    for (const ConnectionLimit &database : limits.databases)
        lines.append({tr("database"), database.name, QString::number(database.limit), QString::number(database.current)});
    if (m_table->columnCount() != 4) {
        m_table->setColumnCount(4);
        m_table->setHorizontalHeaderLabels({tr("Kind"), tr("Name"), tr("Limit / value"), tr("Sessions now")});
    }
    m_table->setRowCount(int(lines.size()));
    for (int r = 0; r < lines.size(); ++r)
        setRow(m_table, r, {lines[r].kind, lines[r].name, lines[r].limit, lines[r].current});

    // Offer the roles and databases this sample saw.
    QSet<QString> names;
    const bool role = m_objectKind->currentIndex() == 0;
    for (const Session &s : snapshot->sessions) {
        if (!s.own && s.visible)
            names.insert(role ? s.user : s.database);
    }
    QStringList sorted(names.cbegin(), names.cend());
    sorted.sort();
    QStringList current;
    for (int i = 0; i < m_objectName->count(); ++i)
        current.append(m_objectName->itemText(i));
    if (current != sorted) {
        const QString text = m_objectName->currentText();
        m_objectName->clear();
        m_objectName->addItems(sorted);
        m_objectName->setCurrentText(text);
    }
}

void LimitsPanel::refreshBouncer()
{
    const BouncerSnapshotPtr snapshot = m_target.bouncer();
    if (!snapshot)
        return;
    if (m_table->columnCount() != 4 || m_table->horizontalHeaderItem(3)->text() != tr("Changeable")) {
        m_table->setColumnCount(4);
        m_table->setHorizontalHeaderLabels({tr("Setting"), tr("Value"), tr("Default"), tr("Changeable")});
    }
    m_table->setRowCount(int(snapshot->settings.size()));
    for (int r = 0; r < snapshot->settings.size(); ++r) {
        const BouncerSetting &s = snapshot->settings[r];
        setRow(m_table, r, {s.key, s.value, s.defaultValue, s.changeable ? tr("yes") : tr("restart needed")});
    }
}

void LimitsPanel::applyConnectionLimit()
{
    const QString name = m_objectName->currentText().trimmed();
    if (name.isEmpty() || m_readOnly) {
        m_outcome->setText(tr("Name a role or a database first."));
        return;
    }
    const bool role = m_objectKind->currentIndex() == 0;
    const int limit = m_limit->value();
    const QString change = tr("ALTER %1 %2 CONNECTION LIMIT %3").arg(role ? QStringLiteral("ROLE") : QStringLiteral("DATABASE"), name)
                               .arg(limit);
    if (!confirmChange(this, m_target.displayName(), change))
        return;
    const QJsonObject arguments{{role ? QStringLiteral("role") : QStringLiteral("database"), name},
                                {QStringLiteral("limit"), limit}};
    m_runner.runPostgres(QStringLiteral("limit"), change, arguments, [role, name, limit](PgActions &actions) {
        return role ? actions.setRoleConnectionLimit(name, limit) : actions.setDatabaseConnectionLimit(name, limit);
    });
}

void LimitsPanel::applyIdleTimeout()
{
    const QString name = m_objectName->currentText().trimmed();
    if (name.isEmpty() || m_readOnly) {
        m_outcome->setText(tr("Name a role or a database first."));
        return;
    }
    const bool role = m_objectKind->currentIndex() == 0;
    // The command line's reader: a bare number is seconds here too (PostgreSQL would take a
    // bare 60 as 60 ms).
    const QString text = m_idleTimeout->text().trimmed();
    std::optional<std::chrono::milliseconds> timeout;
    if (!text.isEmpty()) {
        timeout = parseDuration(text);
        if (!timeout || timeout->count() > std::numeric_limits<int>::max()) {
            setPlainLabel(m_outcome, tr("'%1' is not a timeout: give a duration from 0 (off) to 24 days, such as 60s, "
                                        "5min or 1500ms (a bare number is seconds), or leave it empty to reset it.")
                                         .arg(text));
            return;
        }
    }
    const QString value = timeout ? durationSetting(*timeout) : QString();
    const QString change = !timeout
        ? tr("ALTER %1 %2 RESET idle_in_transaction_session_timeout").arg(role ? QStringLiteral("ROLE") : QStringLiteral("DATABASE"), name)
        : tr("ALTER %1 %2 SET idle_in_transaction_session_timeout = '%3' (%4)")
              .arg(role ? QStringLiteral("ROLE") : QStringLiteral("DATABASE"), name, value,
                   formatDuration(timeout->count() / 1000.0));
    if (!confirmChange(this, m_target.displayName(), change))
        return;
    const QJsonObject arguments{{role ? QStringLiteral("role") : QStringLiteral("database"), name},
                                {QStringLiteral("idle_in_transaction_session_timeout"),
                                 timeout ? value : QStringLiteral("default")}};
    m_runner.runPostgres(QStringLiteral("limit"), change, arguments, [role, name, timeout](PgActions &actions) {
        return role ? actions.setRoleIdleInTransactionTimeout(name, timeout)
                    : actions.setDatabaseIdleInTransactionTimeout(name, timeout);
    });
}

void LimitsPanel::applySetting()
{
    const int row = m_table->currentRow();
    if (m_readOnly || row < 0 || !m_table->item(row, 0)) {
        m_outcome->setText(tr("Select a setting first."));
        return;
    }
    setBouncerSetting(m_table->item(row, 0)->data(Qt::UserRole).toString(), m_settingValue->text().trimmed());
}

void LimitsPanel::setBouncerSetting(const QString &key, const QString &text)
{
    if (m_readOnly)
        return;
    // The same check as `poolscope set`: PgBouncer would wrap an out-of-range size silently.
    const CheckedSetting checked = checkBouncerSetting(key, text);
    if (!checked.ok()) {
        setPlainLabel(m_outcome, checked.error);
        return;
    }
    const QString value = checked.value;
    const QString change = QStringLiteral("SET %1 = '%2'").arg(key, value);
    if (!confirmChange(this, m_target.displayName(), change))
        return;
    m_runner.runBouncer(QStringLiteral("set"), change, QJsonObject{{QStringLiteral("key"), key}, {QStringLiteral("value"), value}},
                        [key, value](BouncerActions &actions) { return actions.set(key, value); });
}

void LimitsPanel::showOutcome(const ActionOutcome &outcome)
{
    QPalette pal = palette();
    pal.setColor(QPalette::WindowText, outcome.result.ok() ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
    m_outcome->setPalette(pal);
    setPlainLabel(m_outcome, QStringLiteral("%1 → %2%3").arg(outcome.subject, actionStatusName(outcome.result.status),
                                                     outcome.result.message.isEmpty() ? QString()
                                                                                      : QStringLiteral(": ") + outcome.result.message));
}

} // namespace poolscope::ui
