#include "connectiondialog.h"

#include "backgroundwork.h"
#include "plaintext.h"

#include "pgbouncer/bouncerreader.h"
#include "postgres/pgconnection.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QThreadPool>
#include <QVBoxLayout>

namespace poolscope::ui {


ConnectionDialog::ConnectionDialog(QWidget *parent)
    : QDialog(parent)
    , m_tabs(new QTabWidget(this))
    , m_host(new QLineEdit(this))
    , m_port(new QSpinBox(this))
    , m_database(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_password(new QLineEdit(this))
    , m_sslMode(new QComboBox(this))
    , m_text(new QLineEdit(this))
    , m_test(new QPushButton(tr("&Test connection"), this))
    , m_result(new QLabel(this))
    , m_testGeneration(std::make_shared<int>(0))
{
    setWindowTitle(tr("Target"));
    m_host->setPlaceholderText(tr("localhost, an address, or a socket directory"));
    m_port->setRange(1, 65535);
    m_port->setValue(5432);
    m_database->setPlaceholderText(tr("postgres, or pgbouncer for a PgBouncer console"));
    m_user->setPlaceholderText(tr("defaults to your login name"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(tr("optional: kept for this run only; use ~/.pgpass to keep it"));
    for (const char *mode : {"prefer", "disable", "allow", "require", "verify-ca", "verify-full"})
        m_sslMode->addItem(QString::fromLatin1(mode));
    m_text->setPlaceholderText(QStringLiteral("host=db1 port=5432 dbname=postgres  or  postgresql://user@db1/postgres"));

    auto *fields = new QWidget(this);
    auto *form = new QFormLayout(fields);
    form->addRow(tr("&Host"), m_host);
    form->addRow(tr("&Port"), m_port);
    form->addRow(tr("&Database"), m_database);
    form->addRow(tr("&User"), m_user);
    form->addRow(tr("Pass&word"), m_password);
    form->addRow(tr("&SSL mode"), m_sslMode);
    auto *textPage = new QWidget(this);
    auto *textLayout = new QVBoxLayout(textPage);
    auto *hint = new QLabel(tr("Any libpq connection string or URI, service=… included. Timeouts and keepalives "
                               "get PoolScope's defaults unless given here."),
                            textPage);
    hint->setWordWrap(true);
    textLayout->addWidget(m_text);
    textLayout->addWidget(hint);
    textLayout->addStretch();
    m_tabs->addTab(fields, tr("&Fields"));
    m_tabs->addTab(textPage, tr("&Connection string"));

    m_result->setObjectName(QStringLiteral("testResult"));
    m_test->setObjectName(QStringLiteral("testConnection"));
    m_text->setObjectName(QStringLiteral("conninfoText"));
    m_password->setObjectName(QStringLiteral("password"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->setMinimumHeight(m_result->fontMetrics().height() * 3);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->addButton(m_test, QDialogButtonBox::ActionRole);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs);
    layout->addWidget(m_result);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectionDialog::reject);
    connect(m_test, &QPushButton::clicked, this, &ConnectionDialog::testConnection);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int page) {
        if (page == 1 && m_text->text().isEmpty()) {
            QString error;
            if (const auto info = ConnInfo::parse(fieldsConninfo(), &error))
                m_text->setText(info->redacted()); // the password stays in its masked field
        }
        if (page == 0)
            syncFieldsFromText();
    });
    resize(560, sizeHint().height());
}

ConnectionDialog::~ConnectionDialog()
{
    ++*m_testGeneration; // a test still running answers nobody
}

void ConnectionDialog::setConnInfo(const QString &conninfo)
{
    m_text->setText(conninfo);
    syncFieldsFromText();
}

void ConnectionDialog::syncFieldsFromText()
{
    QString error;
    const auto info = ConnInfo::parse(m_text->text(), &error);
    if (!info)
        return;
    m_host->setText(info->value("host"));
    if (const int port = info->value("port").toInt(); port > 0)
        m_port->setValue(port);
    m_database->setText(info->value("dbname"));
    m_user->setText(info->value("user"));
    if (info->has("password")) {
        // Into the masked field, and out of the visible text.
        m_password->setText(info->value("password"));
        m_text->setText(info->redacted());
    }
    const int ssl = m_sslMode->findText(info->value("sslmode"));
    m_sslMode->setCurrentIndex(ssl >= 0 ? ssl : 0);
}

QString ConnectionDialog::conninfoText() const
{
    if (m_tabs->currentIndex() == 0)
        return fieldsConninfo();
    QString text = m_text->text().trimmed();
    QString error;
    const auto info = ConnInfo::parse(text, &error);
    if (info && !info->has("password") && !m_password->text().isEmpty() && !text.contains(u"://"))
        text += u' ' + conninfoPair(QStringLiteral("password"), m_password->text());
    return text;
}

QString ConnectionDialog::fieldsConninfo() const
{
    QStringList parts;
    const auto add = [&](const char *key, const QString &value) {
        if (!value.trimmed().isEmpty())
            parts.append(conninfoPair(QString::fromLatin1(key), value.trimmed()));
    };
    add("host", m_host->text());
    add("port", QString::number(m_port->value()));
    add("dbname", m_database->text());
    add("user", m_user->text());
    add("password", m_password->text());
    if (m_sslMode->currentIndex() > 0)
        add("sslmode", m_sslMode->currentText());
    return parts.join(u' ');
}

std::optional<ConnInfo> ConnectionDialog::connInfo(QString *error) const
{
    return ConnInfo::parse(conninfoText(), error);
}

void ConnectionDialog::accept()
{
    QString error;
    if (!connInfo(&error)) {
        m_result->setText(tr("Not a valid connection string: %1").arg(error));
        return;
    }
    QDialog::accept();
}

void ConnectionDialog::testConnection()
{
    QString error;
    const auto info = connInfo(&error);
    if (!info) {
        m_result->setText(tr("Not a valid connection string: %1").arg(error));
        return;
    }
    m_result->setText(tr("Connecting to %1…").arg(info->displayName()));
    m_test->setEnabled(false);
    const int generation = ++*m_testGeneration;
    QPointer<ConnectionDialog> self(this);
    std::weak_ptr<int> token = m_testGeneration;
    connectionTestThreads().start([info = *info, self, token, generation] {
        PgConnection connection;
        QString answer;
        bool ok = false;
        PgError failure = connection.open(info, QByteArrayLiteral("poolscope-test"));
        if (!failure.isError()) {
            TargetKind kind = TargetKind::PostgreSQL;
            failure = detectTargetKind(connection, std::chrono::seconds(5), &kind);
            if (!failure.isError()) {
                ok = true;
                answer = kind == TargetKind::PgBouncer
                    ? QObject::tr("Connected: a PgBouncer admin console (%1).").arg(connection.parameter("server_version"))
                    : QObject::tr("Connected: PostgreSQL %1, backend pid %2.")
                          .arg(connection.parameter("server_version"))
                          .arg(connection.backendPid());
            }
        }
        if (!ok)
            answer = QObject::tr("Failed: %1").arg(failure.message);
        connection.close();
        QMetaObject::invokeMethod(qApp, [self, token, generation, answer] {
            const auto current = token.lock();
            if (!self || !current || *current != generation)
                return; // the dialog is gone, or a newer test is running
            setPlainLabel(self->m_result, answer); // the server's version or error, as text
            self->m_test->setEnabled(true);
        }, Qt::QueuedConnection);
    });
}

} // namespace poolscope::ui
