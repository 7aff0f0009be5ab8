#pragma once

#include <QWidget>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
QT_END_NAMESPACE

namespace poolscope::ui {

class ActionRunner;
class TargetController;
struct ActionOutcome;

// The limits editor. PostgreSQL: role and database CONNECTION LIMITs and
// idle_in_transaction_session_timeout. PgBouncer: every setting with its value, default and
// whether it can change at run time; SET, verified by reading SHOW CONFIG back.
class LimitsPanel : public QWidget
{
    Q_OBJECT
public:
    LimitsPanel(const TargetController &target, ActionRunner &runner, QWidget *parent = nullptr);

    void refresh();
    void setReadOnly(bool readOnly);
    // Checked, confirmed, SET and read back, audited: what Apply does for the selected setting.
    void setBouncerSetting(const QString &key, const QString &value);
    void showOutcome(const ActionOutcome &outcome);

private:
    void refreshPostgres();
    void refreshBouncer();
    void applyConnectionLimit();
    void applyIdleTimeout();
    void applySetting();

    const TargetController &m_target;
    ActionRunner &m_runner;
    QTableWidget *m_table;
    QWidget *m_postgresForm;
    QComboBox *m_objectKind;
    QComboBox *m_objectName;
    QSpinBox *m_limit;
    QLineEdit *m_idleTimeout;
    QWidget *m_bouncerForm;
    QLineEdit *m_settingValue;
    QLabel *m_outcome;
    bool m_readOnly = false;
};

} // namespace poolscope::ui
