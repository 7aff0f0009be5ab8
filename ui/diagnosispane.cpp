#include "diagnosispane.h"

#include "cachedtextdelegate.h"
#include "plaintext.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

QColor severityColour(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Critical: return QColor(0xc6, 0x28, 0x28);
    case Finding::Severity::Warning: return QColor(0xf5, 0x7c, 0x00);
    case Finding::Severity::Info: return QColor(0x15, 0x65, 0xc0);
    }
    return {};
}

QString severityText(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Critical: return QObject::tr("critical");
    case Finding::Severity::Warning: return QObject::tr("warning");
    case Finding::Severity::Info: return QObject::tr("info");
    }
    return {};
}

// What identifies a cause from one sample to the next: its kind and owner, not its figures.
QString keyOf(const Cause &cause)
{
    return causeKey(cause.kind) + u'\x1f' + cause.owner + u'\x1f' + cause.codeLocation;
}

} // namespace

QString causeDetailsText(const Cause &cause)
{
    QString text = safeLine(cause.summary) + u'\n';
    if (!cause.stack.isEmpty()) {
        text += QObject::tr("\nAt   %1\n").arg(safeLine(cause.stack.first()));
        for (int i = 1; i < cause.stack.size(); ++i)
            text += QStringLiteral("     %1\n").arg(safeLine(cause.stack[i]));
    }
    text += QObject::tr("\nEvidence\n");
    for (const Evidence &evidence : cause.evidence)
        text += QStringLiteral("  %1  %2\n")
                    .arg(QDateTime::fromMSecsSinceEpoch(evidence.atMs).toString(QStringLiteral("HH:mm:ss")),
                         safeLine(evidence.text));
    text += QObject::tr("\nNext step\n  %1").arg(safeLine(cause.nextStep));
    return text;
}

DiagnosisPane::DiagnosisPane(QWidget *parent)
    : QWidget(parent)
    , m_headline(new QLabel(this))
    , m_causes(new QTreeWidget(this))
    , m_details(new QPlainTextEdit(this))
    , m_remedy(new QPushButton(this))
{
    setObjectName(QStringLiteral("diagnosisPane"));
    m_causes->setObjectName(QStringLiteral("diagnosisCauses"));
    m_details->setObjectName(QStringLiteral("diagnosisDetails"));
    m_remedy->setObjectName(QStringLiteral("diagnosisRemedy"));
    m_headline->setTextFormat(Qt::PlainText);

    m_causes->setColumnCount(3);
    m_causes->setHeaderLabels({tr("Cause"), tr("Owner"), tr("What is wrong")});
    m_causes->setRootIsDecorated(false);
    m_causes->setUniformRowHeights(true);
    m_causes->setAllColumnsShowFocus(true);
    // A summary changes with its figures every sample: shaped only as far as it shows.
    m_causes->setItemDelegate(new CachedTextDelegate(m_causes));
    m_causes->header()->setStretchLastSection(true);
    const int em = fontMetrics().horizontalAdvance(u'M');
    m_causes->setColumnWidth(0, em * 17);
    m_causes->setColumnWidth(1, em * 10);
    m_causes->setToolTip(tr("What the diagnosis found, worst first; select one for its evidence and next step"));
    // Room for a cause's summary, location, three figures and the next step without scrolling;
    // fixed, so that the charts below do not jump as causes come and go.
    const int lines = fontMetrics().lineSpacing();
    m_causes->setFixedHeight(lines * 5 + 6);
    m_details->setFixedHeight(lines * 5 + 6);
    m_details->setReadOnly(true);
    m_details->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_remedy->setVisible(false);
    m_remedy->setToolTip(tr("Asks for confirmation first; every action goes to the audit log"));

    auto *left = new QVBoxLayout;
    left->setContentsMargins(0, 0, 0, 0);
    left->addWidget(m_headline);
    left->addWidget(m_causes, 1);
    auto *right = new QVBoxLayout;
    right->setContentsMargins(0, 0, 0, 0);
    right->addWidget(m_details, 1);
    right->addWidget(m_remedy, 0, Qt::AlignRight);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(left, 3);
    layout->addLayout(right, 2);

    connect(m_causes, &QTreeWidget::currentItemChanged, this, [this] {
        if (!m_rebuilding)
            m_followWorst = selectedCause() <= 0;
        showDetails();
    });
    connect(m_remedy, &QPushButton::clicked, this, [this] {
        const int index = selectedCause();
        if (m_diagnosis && index >= 0 && m_diagnosis->causes[index].remedy.kind != Remedy::Kind::None)
            Q_EMIT remedyRequested(m_diagnosis->causes[index].remedy);
    });
    setDiagnosis(nullptr);
}

int DiagnosisPane::selectedCause() const
{
    QTreeWidgetItem *item = m_causes->currentItem();
    return item ? m_causes->indexOfTopLevelItem(item) : -1;
}

void DiagnosisPane::setActionsVisible(bool visible)
{
    m_actionsVisible = visible;
    showDetails();
}

void DiagnosisPane::setDiagnosis(const DiagnosisPtr &diagnosis)
{
    m_diagnosis = diagnosis;
    const QList<Cause> causes = diagnosis ? diagnosis->causes : QList<Cause>();
    QString headline = !diagnosis          ? tr("Diagnosis: waiting for the first sample")
                       : causes.isEmpty()  ? tr("Diagnosis: nothing wrong found")
                       : causes.size() == 1 ? tr("Diagnosis: 1 cause")
                                            : tr("Diagnosis: %1 causes, worst first").arg(causes.size());
    if (diagnosis && diagnosis->connectsPerSecond >= 0)
        headline += tr(" · %1 new connections/s").arg(QLocale().toString(diagnosis->connectsPerSecond, 'f', 1));
    if (diagnosis && diagnosis->ignoredSessions > 0)
        headline += tr(" · ignored by rule: %1").arg(diagnosis->ignoredBecause.join(QStringLiteral("; ")));
    setPlainLabel(m_headline, headline);

    QStringList keys;
    for (const Cause &cause : causes)
        keys.append(keyOf(cause));
    const QString selectedKey = m_shownKeys.value(selectedCause());
    if (keys != m_shownKeys) {
        // Rebuilt only when the causes change: the operator's selection survives the samples
        // that merely update figures.
        m_rebuilding = true;
        m_causes->clear();
        for (const Cause &cause : causes) {
            auto *item = new QTreeWidgetItem(m_causes);
            item->setText(0, QStringLiteral("● %1 · %2").arg(causeTitle(cause.kind), severityText(cause.severity)));
            item->setForeground(0, severityColour(cause.severity));
            item->setText(1, safeLine(cause.owner));
        }
        m_shownKeys = keys;
        const int again = m_followWorst ? -1 : keys.indexOf(selectedKey);
        if (again < 0)
            m_followWorst = true; // the operator's choice has gone: back to the worst
        if (!keys.isEmpty())
            m_causes->setCurrentItem(m_causes->topLevelItem(again >= 0 ? again : 0));
        m_rebuilding = false;
    }
    for (int i = 0; i < causes.size(); ++i) {
        QTreeWidgetItem *item = m_causes->topLevelItem(i);
        item->setText(2, safeLine(causes[i].summary));
        item->setToolTip(2, richFromPlain(causes[i].summary));
    }
    m_causes->setVisible(!causes.isEmpty());
    m_details->setVisible(!causes.isEmpty());
    showDetails();
}

void DiagnosisPane::showDetails()
{
    const int index = selectedCause();
    if (!m_diagnosis || index < 0 || index >= m_diagnosis->causes.size()) {
        m_details->clear();
        m_detailsShown.clear();
        m_remedy->setVisible(false);
        return;
    }
    const Cause &cause = m_diagnosis->causes[index];
    const QString text = causeDetailsText(cause);
    if (m_detailsShown != text) {
        const int scroll = m_details->verticalScrollBar() ? m_details->verticalScrollBar()->value() : 0;
        m_detailsShown = text;
        m_details->setPlainText(text);
        m_details->verticalScrollBar()->setValue(scroll);
    }
    const bool actionable = cause.remedy.kind != Remedy::Kind::None && !cause.remedy.pids.isEmpty();
    m_remedy->setVisible(actionable && m_actionsVisible);
    m_remedy->setText(cause.remedy.label + QStringLiteral("…"));
}

} // namespace poolscope::ui
