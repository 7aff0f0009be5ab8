#include "auditlogdialog.h"

#include "plaintext.h"
#include "actions/auditreader.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace poolscope::ui {

AuditLogDialog::AuditLogDialog(const QString &path, QWidget *parent)
    : QDialog(parent)
    , m_path(path)
    , m_table(new QTableWidget(this))
    , m_problems(new QLabel(this))
{
    setWindowTitle(tr("Audit log — %1").arg(path));
    m_table->setColumnCount(6);
    m_table->setHorizontalHeaderLabels({tr("Time"), tr("Target"), tr("Action"), tr("Arguments"), tr("Result"), tr("Message")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSortingEnabled(true);
    m_problems->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *reloadButton = buttons->addButton(tr("&Reload"), QDialogButtonBox::ActionRole);
    connect(reloadButton, &QPushButton::clicked, this, &AuditLogDialog::reload);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(m_problems);
    layout->addWidget(buttons);
    resize(1000, 500);
    reload();
}

void AuditLogDialog::reload()
{
    const AuditReadResult log = readAuditLog(m_path);
    m_table->setSortingEnabled(false);
    m_table->setRowCount(int(log.entries.size()));
    for (int i = 0; i < log.entries.size(); ++i) {
        const AuditEntry &e = log.entries[log.entries.size() - 1 - i]; // newest first
        const QStringList cells{e.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), e.target, e.action,
                                QString::fromUtf8(QJsonDocument(e.arguments).toJson(QJsonDocument::Compact)), e.status,
                                e.sqlstate.isEmpty() ? e.message : e.message + QStringLiteral(" (") + e.sqlstate + u')'};
        for (int c = 0; c < cells.size(); ++c)
            m_table->setItem(i, c, new QTableWidgetItem(safeLine(cells[c]))); // messages quote servers
    }
    m_table->setSortingEnabled(true);
    m_table->resizeColumnsToContents();
    QStringList notes;
    if (!log.error.isEmpty())
        notes.append(log.error);
    else if (log.entries.isEmpty())
        notes.append(tr("No action has been taken from this machine yet."));
    if (!log.problems.isEmpty())
        notes.append(tr("Skipped %n unreadable line(s): %1", nullptr, int(log.problems.size())).arg(log.problems.mid(0, 3).join(QStringLiteral("; "))));
    setPlainLabel(m_problems, notes.join(u'\n'));
    m_problems->setVisible(!notes.isEmpty());
}

} // namespace poolscope::ui
