#pragma once

#include "analysis/alerts.h"

#include <QDialog>
#include <QFrame>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;
QT_END_NAMESPACE

namespace poolscope::ui {

// The red strip over the target view while any alert is active, naming each.
class AlertBanner : public QFrame
{
    Q_OBJECT
public:
    explicit AlertBanner(QWidget *parent = nullptr);
    void setAlerts(const QList<Alert> &active); // hides itself when there are none
    QString text() const;

Q_SIGNALS:
    void historyRequested();

private:
    QLabel *m_text;
};

// Every alert of every open target, newest first, with when it fired and cleared.
class AlertHistoryDialog : public QDialog
{
    Q_OBJECT
public:
    AlertHistoryDialog(const QList<Alert> &alerts, QWidget *parent = nullptr);
};

// The thresholds, kept in the settings file.
class AlertRulesDialog : public QDialog
{
    Q_OBJECT
public:
    AlertRulesDialog(const AlertRules &rules, QWidget *parent = nullptr);
    AlertRules rules() const;

private:
    QDoubleSpinBox *m_slots;
    QDoubleSpinBox *m_waiting;
    QCheckBox *m_leaked;
    QSpinBox *m_rising;
};

AlertRules loadAlertRules();
void saveAlertRules(const AlertRules &rules);

} // namespace poolscope::ui
