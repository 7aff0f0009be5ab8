#include "leaklogdialog.h"

#include "plaintext.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace poolscope::ui {

LeakLogDialog::LeakLogDialog(const QList<LeakLogSpec> &specs, QWidget *parent)
    : QDialog(parent)
    , m_editor(new QPlainTextEdit(this))
    , m_problems(new QLabel(this))
    , m_specs(specs)
{
    setWindowTitle(tr("Leak logs"));
    auto *intro = new QLabel(
        tr("PoolScope reads the leak reports of HikariCP (leakDetectionThreshold), c3p0 "
           "(debugUnreturnedConnectionStackTraces), DBCP2 and Tomcat JDBC (logAbandoned) and SQLAlchemy, follows each "
           "log as it grows, and joins every report to the session holding the leaked connection, with the stack "
           "that checked it out.\n\nOne log a line:\n"
           "  /var/log/shop/app.log\n"
           "  billing=/var/log/billing/app.log             only sessions whose application_name is billing\n"
           "  billing=/var/log/billing/app.log,threshold=2s   the pool's threshold: the checkout time of HikariCP "
           "and c3p0 reports"),
        this);
    intro->setTextFormat(Qt::PlainText);
    intro->setWordWrap(true);
    QStringList lines;
    for (const LeakLogSpec &spec : specs)
        lines.append(spec.toString());
    m_editor->setPlainText(lines.join(u'\n'));
    m_editor->setObjectName(QStringLiteral("leakLogSpecs"));
    m_problems->setTextFormat(Qt::PlainText);
    m_problems->setStyleSheet(QStringLiteral("color: #c62828"));
    m_problems->setWordWrap(true);
    m_problems->hide();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    QPushButton *add = buttons->addButton(tr("&Add file…"), QDialogButtonBox::ActionRole);
    connect(add, &QPushButton::clicked, this, &LeakLogDialog::addFile);
    connect(buttons, &QDialogButtonBox::accepted, this, &LeakLogDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &LeakLogDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_editor, 1);
    layout->addWidget(m_problems);
    layout->addWidget(buttons);
    resize(760, 420);
}

QList<LeakLogSpec> LeakLogDialog::read(const QString &text, QStringList *problems)
{
    QList<LeakLogSpec> specs;
    for (const QString &line : text.split(u'\n')) {
        if (line.trimmed().isEmpty())
            continue;
        QString error;
        if (const std::optional<LeakLogSpec> spec = LeakLogSpec::parse(line, &error))
            specs.append(*spec);
        else
            problems->append(QStringLiteral("%1: %2").arg(line.trimmed(), error));
    }
    return specs;
}

void LeakLogDialog::accept()
{
    QStringList problems;
    const QList<LeakLogSpec> specs = read(m_editor->toPlainText(), &problems);
    if (!problems.isEmpty()) {
        setPlainLabel(m_problems, tr("Nothing was changed; these lines do not read:\n%1").arg(problems.join(u'\n')));
        m_problems->show();
        return;
    }
    m_specs = specs;
    QDialog::accept();
}

void LeakLogDialog::addFile()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("A connection pool's log"), QString(),
                                                      tr("Logs (*.log *.txt *.out);;All files (*)"));
    if (file.isEmpty())
        return;
    QString text = m_editor->toPlainText();
    if (!text.isEmpty() && !text.endsWith(u'\n'))
        text += u'\n';
    m_editor->setPlainText(text + file);
}

} // namespace poolscope::ui
