#pragma once

#include "analysis/callsites.h"

#include <QDialog>

QT_BEGIN_NAMESPACE
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
QT_END_NAMESPACE

namespace poolscope::ui {

// View ▸ Application call sites…: the patterns that read an owner and a call site from
// application_name, one a line, with a field to try a name against them.
class CallSitesDialog : public QDialog
{
    Q_OBJECT
public:
    explicit CallSitesDialog(const AppCallSites &callSites, QWidget *parent = nullptr);
    AppCallSites callSites() const; // the lines that are patterns; OK is off while one is not
    QPlainTextEdit *patternsEdit() const { return m_patterns; }
    QLineEdit *sampleEdit() const { return m_sample; }
    QString sampleResult() const; // what the patterns make of the name tried

private:
    void check();

    QPlainTextEdit *m_patterns;
    QLineEdit *m_sample;
    QLabel *m_problem;
    QLabel *m_result;
    QDialogButtonBox *m_buttons;
};

// View ▸ Trace links…: the address a session's trace id goes into, from a preset or typed.
class TraceLinksDialog : public QDialog
{
    Q_OBJECT
public:
    explicit TraceLinksDialog(const QString &urlTemplate, QWidget *parent = nullptr);
    QString urlTemplate() const; // empty: no links
    QComboBox *presets() const { return m_presets; }
    QLineEdit *templateEdit() const { return m_template; }
    bool isAcceptable() const; // OK is on

private:
    void check();

    QComboBox *m_presets;
    QLineEdit *m_template;
    QLabel *m_example;
    QDialogButtonBox *m_buttons;
};

} // namespace poolscope::ui
