#pragma once

#include <QDialog>

QT_BEGIN_NAMESPACE
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace poolscope::ui {

// Every action taken from this machine, newest first, read from the audit log.
class AuditLogDialog : public QDialog
{
    Q_OBJECT
public:
    AuditLogDialog(const QString &path, QWidget *parent = nullptr);
    void reload();

private:
    QString m_path;
    QTableWidget *m_table;
    QLabel *m_problems;
};

} // namespace poolscope::ui
