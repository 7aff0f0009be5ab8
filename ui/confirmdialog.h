#pragma once

#include "model/snapshot.h"

#include <QDialog>

namespace poolscope::ui {

// Lists exactly the sessions an action will end: pid, owner, state, age, query. Cancel is
// the default button; the action button names the action and the count.
class ConfirmSessionsDialog : public QDialog
{
    Q_OBJECT
public:
    ConfirmSessionsDialog(const QString &target, const QList<Session> &sessions, bool terminate, QWidget *parent = nullptr);
};

// Asks once for a change that is not about sessions (a limit, a PgBouncer setting).
bool confirmChange(QWidget *parent, const QString &target, const QString &change);

} // namespace poolscope::ui
