#include "tracedialogs.h"

#include "analysis/tracecontext.h"
#include "plaintext.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

QLabel *wrappedLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    return label;
}

QStringList linesOf(const QString &text)
{
    QStringList lines;
    for (const QString &line : text.split(u'\n')) {
        if (!line.trimmed().isEmpty())
            lines.append(line); // spaces may be part of a pattern: kept
    }
    return lines;
}

} // namespace

CallSitesDialog::CallSitesDialog(const AppCallSites &callSites, QWidget *parent)
    : QDialog(parent)
    , m_patterns(new QPlainTextEdit(this))
    , m_sample(new QLineEdit(this))
    , m_problem(new QLabel(this))
    , m_result(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Application call sites"));
    m_patterns->setObjectName(QStringLiteral("callSitePatterns"));
    m_patterns->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_patterns->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_patterns->setPlainText(callSites.patterns.join(u'\n'));
    m_sample->setPlaceholderText(QStringLiteral("billing@OrderRepo.java:212"));
    m_sample->setClearButtonEnabled(true);
    m_problem->setTextFormat(Qt::PlainText);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c62828"));
    m_result->setTextFormat(Qt::PlainText);
    m_result->setWordWrap(true);
    auto *restore = new QPushButton(tr("Restore &defaults"), this);
    connect(restore, &QPushButton::clicked, this,
            [this] { m_patterns->setPlainText(AppCallSites::defaults().join(u'\n')); });

    auto *tryLabel = new QLabel(tr("&Try a name:"), this);
    tryLabel->setBuddy(m_sample);
    auto *tryRow = new QHBoxLayout;
    tryRow->addWidget(tryLabel);
    tryRow->addWidget(m_sample, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(wrappedLabel(
        tr("Teams that set application_name per checkout to the code that took the connection "
           "(billing@OrderRepo.java:212) get one owner per service, not one per call site, and the call "
           "site as the code location of sessions whose queries sent no stack.\n\nOne regular expression a "
           "line, tried in order; each needs the groups (?<owner>…) and (?<frame>…). Empty: no name is "
           "read."),
        this));
    layout->addWidget(m_patterns, 1);
    layout->addWidget(m_problem);
    layout->addWidget(restore, 0, Qt::AlignLeft);
    layout->addLayout(tryRow);
    layout->addWidget(m_result);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_patterns, &QPlainTextEdit::textChanged, this, &CallSitesDialog::check);
    connect(m_sample, &QLineEdit::textChanged, this, &CallSitesDialog::check);
    resize(640, 420);
    check();
}

AppCallSites CallSitesDialog::callSites() const
{
    AppCallSites callSites;
    callSites.patterns.clear();
    for (const QString &line : linesOf(m_patterns->toPlainText())) {
        if (AppCallSites::problem(line).isEmpty())
            callSites.patterns.append(line);
    }
    return callSites;
}

QString CallSitesDialog::sampleResult() const
{
    const QString name = m_sample->text();
    if (name.isEmpty())
        return {};
    AppCallSiteCache cache(callSites());
    const AppCallSite *site = cache.find(name);
    if (!site)
        return tr("No pattern reads this name: its owner is the whole name.");
    return site->stack.isEmpty() ? tr("Owner %1, no call site").arg(site->owner)
                                 : tr("Owner %1, call site %2").arg(site->owner, site->stack.first());
}

void CallSitesDialog::check()
{
    QStringList problems;
    const QStringList lines = linesOf(m_patterns->toPlainText());
    for (int i = 0; i < lines.size(); ++i) {
        if (const QString problem = AppCallSites::problem(lines[i]); !problem.isEmpty())
            problems.append(tr("Line %1 %2.").arg(i + 1).arg(problem));
    }
    m_problem->setText(safeText(problems.join(u'\n')));
    m_problem->setVisible(!problems.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problems.isEmpty());
    m_result->setText(safeText(sampleResult()));
}

TraceLinksDialog::TraceLinksDialog(const QString &urlTemplate, QWidget *parent)
    : QDialog(parent)
    , m_presets(new QComboBox(this))
    , m_template(new QLineEdit(this))
    , m_example(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Trace links"));
    m_presets->addItem(tr("None"), QString());
    for (const TraceUrlPreset &preset : traceUrlPresets())
        m_presets->addItem(preset.name, preset.urlTemplate);
    m_presets->addItem(tr("Custom"));
    m_template->setText(urlTemplate);
    m_template->setPlaceholderText(QStringLiteral("https://tracing.example.com/trace/{trace_id}"));
    m_template->setClearButtonEnabled(true);
    m_template->setMinimumWidth(m_template->fontMetrics().horizontalAdvance(u'M') * 40);
    m_example->setTextFormat(Qt::PlainText);
    m_example->setWordWrap(true);
    m_example->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("&Preset"), m_presets);
    form->addRow(tr("&Address"), m_template);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(wrappedLabel(
        tr("Sessions whose queries carry a W3C traceparent (sqlcommenter) show its trace id. With an address "
           "here, a session's context menu (right click, the Menu key, Ctrl+Shift+T) opens its trace in the "
           "browser: {trace_id} is replaced by the 32 hex digits, nothing else from the database goes in. Edit "
           "a preset's host (and Grafana's data source) to yours."),
        this));
    layout->addLayout(form);
    layout->addWidget(m_example);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_presets, &QComboBox::activated, this, [this](int index) {
        if (index < m_presets->count() - 1) // Custom keeps what is typed
            m_template->setText(m_presets->itemData(index).toString());
    });
    connect(m_template, &QLineEdit::textChanged, this, &TraceLinksDialog::check);
    check();
}

QString TraceLinksDialog::urlTemplate() const
{
    return m_template->text().trimmed();
}

bool TraceLinksDialog::isAcceptable() const
{
    return m_buttons->button(QDialogButtonBox::Ok)->isEnabled();
}

void TraceLinksDialog::check()
{
    const QString text = urlTemplate();
    // The preset this is, or Custom.
    int preset = m_presets->count() - 1;
    for (int i = 0; i < m_presets->count() - 1; ++i) {
        if (m_presets->itemData(i).toString() == text)
            preset = i;
    }
    m_presets->setCurrentIndex(preset);
    const QString problem = traceUrlTemplateProblem(text);
    if (!problem.isEmpty())
        m_example->setText(tr("The address %1.").arg(problem));
    else if (text.isEmpty())
        m_example->setText(tr("No trace links."));
    else
        m_example->setText(tr("A trace opens at %1")
                               .arg(traceUrl(text, QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736")).toString()));
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

} // namespace poolscope::ui
