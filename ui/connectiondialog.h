#pragma once

#include "postgres/conninfo.h"

#include <QDialog>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
QT_END_NAMESPACE

namespace poolscope::ui {

// Add or edit a target: host, port, database, user and SSL mode, or a whole conninfo/URI.
// A password typed here stays in memory for this run only; ~/.pgpass or a service file is
// the way to keep one. "Test connection" connects off the GUI thread and says what it found.
class ConnectionDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectionDialog(QWidget *parent = nullptr);
    ~ConnectionDialog() override;

    void setConnInfo(const QString &conninfo);
    // The conninfo the user built, or nullopt with *error set.
    std::optional<ConnInfo> connInfo(QString *error) const;
    QString conninfoText() const; // with the password if one was typed

    void accept() override;

private:
    void testConnection();
    void syncFieldsFromText();
    QString fieldsConninfo() const;

    QTabWidget *m_tabs;
    QLineEdit *m_host;
    QSpinBox *m_port;
    QLineEdit *m_database;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QComboBox *m_sslMode;
    QLineEdit *m_text;
    QPushButton *m_test;
    QLabel *m_result;
    std::shared_ptr<int> m_testGeneration; // a newer test makes an older answer stale
};

} // namespace poolscope::ui
