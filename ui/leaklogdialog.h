#pragma once

#include "leaklog/leaklogparser.h"

#include <QDialog>

QT_BEGIN_NAMESPACE
class QLabel;
class QPlainTextEdit;
QT_END_NAMESPACE

namespace poolscope::ui {

// Which pools' leak logs the window follows: one a line, as FILE, OWNER=FILE or
// OWNER=FILE,threshold=2s; "Add file…" picks one. Accepted only when every line reads.
class LeakLogDialog : public QDialog
{
    Q_OBJECT
public:
    explicit LeakLogDialog(const QList<LeakLogSpec> &specs, QWidget *parent = nullptr);

    QList<LeakLogSpec> specs() const { return m_specs; }
    QPlainTextEdit *editor() const { return m_editor; }

    // Each non-empty line read; what is wrong with the others, a line each.
    static QList<LeakLogSpec> read(const QString &text, QStringList *problems);

    void accept() override;

private:
    void addFile();

    QPlainTextEdit *m_editor;
    QLabel *m_problems;
    QList<LeakLogSpec> m_specs;
};

} // namespace poolscope::ui
