#pragma once

#include "analysis/pooladvisor.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;
QT_END_NAMESPACE

namespace poolscope::ui {

// The Pool sizing tab: the advisor's recommendation for the target, its table (applications
// for PostgreSQL, pools for PgBouncer), the arithmetic with its inputs, and for a console the
// button that applies the recommended default_pool_size through the verified SET.
class AdvisorPanel : public QWidget
{
    Q_OBJECT
public:
    explicit AdvisorPanel(QWidget *parent = nullptr);

    void setAdvice(const PoolAdvicePtr &advice);
    void setReadOnly(bool readOnly);

    QLabel *summary() const { return m_summary; }
    QTableWidget *table() const { return m_table; }
    QPlainTextEdit *formula() const { return m_formula; }
    QPushButton *applyButton() const { return m_apply; }

Q_SIGNALS:
    void applyRequested(const QString &key, const QString &value);

private:
    QLabel *m_summary;
    QTableWidget *m_table;
    QPlainTextEdit *m_formula;
    QPushButton *m_apply;
    PoolAdvicePtr m_advice;
    bool m_readOnly = false;
};

} // namespace poolscope::ui
