#pragma once

#include "analysis/diagnosis.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;
QT_END_NAMESPACE

namespace poolscope::ui {

// The top of a target's view: the causes the diagnosis names, worst first, one line each; the
// selected one's evidence, code location and next step beside them; and the button that does
// what PoolScope can do about it (after the usual confirmation).
class DiagnosisPane : public QWidget
{
    Q_OBJECT
public:
    explicit DiagnosisPane(QWidget *parent = nullptr);

    void setDiagnosis(const DiagnosisPtr &diagnosis);
    void setActionsVisible(bool visible);

    const DiagnosisPtr &diagnosis() const { return m_diagnosis; }
    QTreeWidget *causes() const { return m_causes; }
    QPlainTextEdit *details() const { return m_details; }
    QPushButton *remedyButton() const { return m_remedy; }
    int selectedCause() const; // -1: none

Q_SIGNALS:
    // The operator asked for a cause's remedy; the view confirms and runs it.
    void remedyRequested(const poolscope::Remedy &remedy);

private:
    void showDetails();

    QLabel *m_headline;
    QTreeWidget *m_causes;
    QPlainTextEdit *m_details;
    QString m_detailsShown; // what m_details holds, not read back from its document each sample
    QPushButton *m_remedy;
    DiagnosisPtr m_diagnosis;
    QStringList m_shownKeys; // what the list shows, so that an unchanged list keeps its selection
    bool m_actionsVisible = true;
    // The worst cause is selected until the operator picks another; then theirs stays selected
    // while it lasts.
    bool m_followWorst = true;
    bool m_rebuilding = false;
};

// The details of one cause as plain text: summary, code location with its stack, evidence
// with times, the next step. What the pane shows and copies.
QString causeDetailsText(const Cause &cause);

} // namespace poolscope::ui
