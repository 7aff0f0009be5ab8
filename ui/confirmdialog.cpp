#include "confirmdialog.h"

#include "plaintext.h"
#include "analysis/classifier.h"
#include "analysis/owners.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace poolscope::ui {

ConfirmSessionsDialog::ConfirmSessionsDialog(const QString &target, const QList<Session> &sessions, bool terminate,
                                             QWidget *parent)
    : QDialog(parent)
{
    const QString verb = terminate ? tr("Terminate") : tr("Cancel the query of");
    setWindowTitle(terminate ? tr("Terminate sessions") : tr("Cancel queries"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(terminate ? tr("These %n session(s) on %1 will be ended. Their open transactions roll "
                                            "back and their clients see the connection close.", nullptr,
                                            int(sessions.size())).arg(target)
                                       : tr("The running query of these %n session(s) on %1 will be cancelled.", nullptr,
                                            int(sessions.size())).arg(target),
                             this);
    intro->setTextFormat(Qt::PlainText);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *table = new QTableWidget(int(sessions.size()), 5, this);
    table->setObjectName(QStringLiteral("confirmSessions"));
    table->setHorizontalHeaderLabels({tr("PID"), tr("Owner"), tr("State"), tr("In state"), tr("Query")});
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->hide();
    for (int r = 0; r < sessions.size(); ++r) {
        const Session &s = sessions[r];
        table->setItem(r, 0, new QTableWidgetItem(QString::number(s.pid)));
        if (!s.visible) {
            ++m_unidentified;
            table->setItem(r, 1, new QTableWidgetItem(tr("?")));
            table->setItem(r, 2, new QTableWidgetItem(tr("cannot be identified")));
            table->setItem(r, 3, new QTableWidgetItem(QString()));
            table->setItem(r, 4, new QTableWidgetItem(QString()));
            continue;
        }
        table->setItem(r, 1, new QTableWidgetItem(safeLine(ownerOf(s, OwnerKey::Application))));
        table->setItem(r, 2, new QTableWidgetItem(sessionClassName(s.sessionClass)));
        table->setItem(r, 3, new QTableWidgetItem(formatDuration(s.stateSeconds)));
        table->setItem(r, 4, new QTableWidgetItem(safeLine(s.query.simplified().left(200))));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(table);
    if (m_unidentified > 0) {
        auto *warning = new QLabel(unidentifiedText(), this);
        warning->setObjectName(QStringLiteral("unidentifiedWarning"));
        warning->setTextFormat(Qt::PlainText);
        warning->setWordWrap(true);
        layout->addWidget(warning);
    }

    auto *buttons = new QDialogButtonBox(this);
    QPushButton *cancel = buttons->addButton(QDialogButtonBox::Cancel);
    QPushButton *act = buttons->addButton(tr("%1 %n session(s)", nullptr, int(sessions.size())).arg(verb),
                                          QDialogButtonBox::DestructiveRole);
    act->setObjectName(QStringLiteral("confirmAction"));
    cancel->setDefault(true);
    cancel->setFocus();
    // An unidentified session is asked about again, on its own: the list above cannot say what it is.
    connect(act, &QPushButton::clicked, this, [this, terminate] {
        if (m_unidentified == 0 || askAboutUnidentified(terminate))
            accept();
        else
            reject();
    });
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(760, 200 + 24 * qMin(12, int(sessions.size())));
}

QString ConfirmSessionsDialog::unidentifiedText() const
{
    return tr("%n of these sessions cannot be identified: without pg_monitor this role sees neither the owner, state "
              "and query of other roles' sessions nor when they started, so nobody can tell what they are, or whether "
              "a pid was given to a new session since it was read.", nullptr, m_unidentified);
}

bool ConfirmSessionsDialog::askAboutUnidentified(bool terminate)
{
    QMessageBox box(QMessageBox::Warning, terminate ? tr("Terminate sessions") : tr("Cancel queries"),
                    unidentifiedText() + u"\n\n"
                        + (terminate ? tr("Terminate them anyway?") : tr("Cancel their queries anyway?")),
                    QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("unidentifiedQuestion"));
    box.setTextFormat(Qt::PlainText);
    QPushButton *anyway = box.addButton(terminate ? tr("Terminate anyway") : tr("Cancel anyway"), QMessageBox::DestructiveRole);
    anyway->setObjectName(QStringLiteral("actAnyway"));
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == anyway;
}

bool confirmChange(QWidget *parent, const QString &target, const QString &change)
{
    QMessageBox box(QMessageBox::Warning, QObject::tr("Confirm change"),
                    QObject::tr("On %1:\n\n%2").arg(safeLine(target), safeText(change)), QMessageBox::Cancel, parent);
    box.setTextFormat(Qt::PlainText); // a role or setting name is not markup
    QPushButton *apply = box.addButton(QObject::tr("Apply"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == apply;
}

} // namespace poolscope::ui
