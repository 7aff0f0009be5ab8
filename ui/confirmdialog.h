#pragma once

#include "model/snapshot.h"

#include <QDialog>

namespace poolscope::ui {

// Lists exactly the sessions an action will end: pid, owner, state, age, query. Cancel is
// the default button; the action button names the action and the count. Sessions that cannot
// be identified (no pg_monitor) are said to be so, and need a second confirmation.
class ConfirmSessionsDialog : public QDialog
{
    Q_OBJECT
public:
    ConfirmSessionsDialog(const QString &target, const QList<Session> &sessions, bool terminate, QWidget *parent = nullptr);

private:
    // Other roles' sessions seen without pg_monitor: no owner, state or start to show, and no
    // backend start to guard against a reused pid. Said plainly, and asked about again.
    QString unidentifiedText() const;
    bool askAboutUnidentified(bool terminate);
    int m_unidentified = 0;
};

// Asks once for a change that is not about sessions (a limit, a PgBouncer setting).
bool confirmChange(QWidget *parent, const QString &target, const QString &change);

} // namespace poolscope::ui
