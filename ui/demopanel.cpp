#include "demopanel.h"

#include "demoscenarios.h"
#include "demosession.h"

#include <QAction>
#include <QButtonGroup>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

namespace poolscope::ui {

namespace {

QAction *shortcut(QWidget *owner, const QKeySequence &keys, const std::function<void()> &slot)
{
    auto *action = new QAction(owner);
    action->setShortcut(keys);
    action->setShortcutContext(Qt::WindowShortcut);
    QObject::connect(action, &QAction::triggered, owner, slot);
    owner->addAction(action);
    return action;
}

} // namespace

DemoPanel::DemoPanel(DemoSession &session, const QString &scenario, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_scenario(scenario)
    , m_state(new QLabel(tr("Starting the demo's PostgreSQL and PgBouncer…"), this))
    , m_scenarios(new QButtonGroup(this))
    , m_fix(new QPushButton(this))
    , m_reset(new QPushButton(tr("Reset to healthy"), this))
    , m_rate(new QSlider(Qt::Horizontal, this))
    , m_rateLabel(new QLabel(this))
    , m_counters(new QLabel(this))
    , m_pools(new QLabel(this))
    , m_narrative(new QFrame(this))
    , m_narrativeText(new QLabel(this))
    , m_explain(new QPushButton(tr("Explain this scenario"), this))
{
    setObjectName(QStringLiteral("demoPanel"));
    m_state->setWordWrap(true);
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *scenarioBox = new QGroupBox(tr("Scenario"), this);
    auto *scenarioLayout = new QVBoxLayout(scenarioBox);
    int index = 0;
    for (const DemoScenario &entry : demoScenarios()) {
        auto *button = new QPushButton(tr("%1   (Ctrl+%2)").arg(entry.title).arg(index + 1), scenarioBox);
        button->setObjectName(QStringLiteral("scenario-") + entry.name);
        button->setCheckable(true);
        button->setChecked(entry.name == m_scenario);
        button->setStyleSheet(QStringLiteral("text-align: left; padding: 4px 8px"));
        m_scenarios->addButton(button, index);
        scenarioLayout->addWidget(button);
        const QString name = entry.name;
        shortcut(this, QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)), [this, name] { chooseScenario(name); });
        ++index;
    }
    connect(m_scenarios, &QButtonGroup::idClicked, this, [this](int id) { chooseScenario(demoScenarios().value(id).name); });

    m_fix->setObjectName(QStringLiteral("demoFix"));
    m_fix->setToolTip(tr("Change the shop's code or configuration the way the postmortem did (F8)"));
    m_reset->setToolTip(tr("Back to the healthy baseline: the leaking application restarted, pools at their usual sizes (Ctrl+0)"));
    connect(m_fix, &QPushButton::clicked, this, &DemoPanel::applyFix);
    connect(m_reset, &QPushButton::clicked, this, &DemoPanel::reset);
    shortcut(this, QKeySequence(Qt::Key_F8), [this] { applyFix(); });
    shortcut(this, QKeySequence(Qt::CTRL | Qt::Key_0), [this] { reset(); });

    m_rate->setRange(1, 50);
    m_rate->setValue(10);
    m_rate->setToolTip(tr("Requests per second per service (Ctrl++ / Ctrl+-)"));
    m_rateLabel->setText(tr("Traffic: %1 requests/s per service").arg(10));
    connect(m_rate, &QSlider::valueChanged, this, [this](int value) {
        m_rateLabel->setText(tr("Traffic: %1 requests/s per service").arg(value));
    });
    // Only the value the slider settles on goes to the shop, not every step of a drag.
    connect(m_rate, &QSlider::sliderReleased, this, [this] { setRate(m_rate->value()); });
    connect(m_rate, &QSlider::actionTriggered, this, [this](int action) {
        if (action != QAbstractSlider::SliderMove)
            QMetaObject::invokeMethod(this, [this] { setRate(m_rate->value()); }, Qt::QueuedConnection);
    });
    shortcut(this, QKeySequence(Qt::CTRL | Qt::Key_Plus), [this] { setRate(m_rate->value() + 5); });
    shortcut(this, QKeySequence(Qt::CTRL | Qt::Key_Equal), [this] { setRate(m_rate->value() + 5); });
    shortcut(this, QKeySequence(Qt::CTRL | Qt::Key_Minus), [this] { setRate(m_rate->value() - 5); });

    for (QLabel *label : {m_counters, m_pools}) {
        label->setTextFormat(Qt::RichText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    m_counters->setObjectName(QStringLiteral("demoCounters"));

    m_narrative->setObjectName(QStringLiteral("demoNarrative"));
    m_narrative->setFrameShape(QFrame::StyledPanel);
    m_narrative->setAutoFillBackground(true);
    m_narrative->setBackgroundRole(QPalette::AlternateBase);
    m_narrativeText->setWordWrap(true);
    m_narrativeText->setTextFormat(Qt::RichText);
    m_narrativeText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *dismiss = new QToolButton(m_narrative);
    dismiss->setObjectName(QStringLiteral("dismissNarrative"));
    dismiss->setText(QStringLiteral("×"));
    dismiss->setToolTip(tr("Dismiss the explanation"));
    dismiss->setAutoRaise(true);
    auto *narrativeLayout = new QHBoxLayout(m_narrative);
    narrativeLayout->addWidget(m_narrativeText, 1);
    narrativeLayout->addWidget(dismiss, 0, Qt::AlignTop);
    connect(dismiss, &QToolButton::clicked, this, [this] {
        m_narrative->hide();
        m_explain->show();
    });
    connect(m_explain, &QPushButton::clicked, this, &DemoPanel::showNarrative);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_state);
    layout->addWidget(scenarioBox);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_fix, 1);
    buttons->addWidget(m_reset);
    layout->addLayout(buttons);
    layout->addWidget(m_rateLabel);
    layout->addWidget(m_rate);
    layout->addWidget(m_counters);
    layout->addWidget(m_pools);
    layout->addWidget(m_narrative);
    layout->addWidget(m_explain);
    layout->addStretch();

    connect(&m_session, &DemoSession::progress, this, [this](const QString &text) { m_state->setText(text + u'…'); });
    connect(&m_session, &DemoSession::ready, this, [this] {
        m_state->setText(tr("Running: a web shop on a throwaway PostgreSQL and PgBouncer, removed when PoolScope closes."));
        setRunning(true);
    });
    connect(&m_session, &DemoSession::status, this, &DemoPanel::onStatus);
    connect(&m_session, &DemoSession::commandFailed, this, [this](const QString &command, const QString &error) {
        m_state->setText(tr("<span style='color:#c62828'>%1: %2</span>").arg(command.toHtmlEscaped(), error.toHtmlEscaped()));
    });
    connect(&m_session, &DemoSession::failed, this, [this](const QString &error) {
        m_state->setText(tr("<span style='color:#c62828'><b>The demo is not running:</b> %1</span>").arg(error.toHtmlEscaped()));
        setRunning(false);
    });
    setRunning(false);
    updateFixButton(false);
    showNarrative();
}

void DemoPanel::setRunning(bool running)
{
    for (QAbstractButton *button : m_scenarios->buttons())
        button->setEnabled(running);
    for (QWidget *widget : {static_cast<QWidget *>(m_fix), static_cast<QWidget *>(m_reset), static_cast<QWidget *>(m_rate)})
        widget->setEnabled(running);
    for (QAction *action : actions())
        action->setEnabled(running);
    if (!running)
        m_fix->setEnabled(false);
    else
        updateFixButton(false);
}

void DemoPanel::chooseScenario(const QString &name)
{
    const DemoScenario *entry = demoScenario(name);
    if (!entry || !m_session.isRunning())
        return;
    m_scenario = name;
    m_session.send(QStringLiteral("scenario ") + name);
    if (QAbstractButton *button = m_scenarios->button(int(entry - demoScenarios().constData())))
        button->setChecked(true);
    updateFixButton(false);
    showNarrative();
}

void DemoPanel::applyFix()
{
    if (!m_fix->isEnabled())
        return;
    m_session.send(QStringLiteral("fix"));
    updateFixButton(true);
}

void DemoPanel::reset()
{
    m_session.send(QStringLiteral("reset"));
    m_scenario = QStringLiteral("healthy");
    m_scenarios->button(0)->setChecked(true);
    const QSignalBlocker blocker(m_rate);
    m_rate->setValue(10);
    m_rateLabel->setText(tr("Traffic: %1 requests/s per service").arg(10));
    updateFixButton(false);
    showNarrative();
}

void DemoPanel::setRate(int requestsPerSecond)
{
    const int rate = qBound(m_rate->minimum(), requestsPerSecond, m_rate->maximum());
    m_rate->setValue(rate);
    m_session.send(QStringLiteral("rate %1").arg(rate));
}

bool DemoPanel::narrativeVisible() const
{
    return m_narrative->isVisibleTo(this);
}

void DemoPanel::showNarrative()
{
    if (const DemoScenario *entry = demoScenario(m_scenario))
        m_narrativeText->setText(narrativeHtml(*entry));
    m_narrative->show();
    m_explain->hide();
}

void DemoPanel::updateFixButton(bool fixed)
{
    const DemoScenario *entry = demoScenario(m_scenario);
    const bool fixable = entry && !entry->fixButton.isEmpty();
    m_fix->setText(!fixable ? tr("Nothing to fix") : fixed ? tr("Fixed (F8)") : tr("%1   (F8)").arg(entry->fixButton));
    m_fix->setEnabled(fixable && !fixed && m_session.isRunning());
}

void DemoPanel::onStatus(const QJsonObject &status)
{
    const QLocale locale;
    const double served = status.value(QStringLiteral("served")).toDouble();
    const auto now = std::chrono::steady_clock::now();
    QString perSecond;
    if (m_lastServed >= 0) {
        const double seconds = std::chrono::duration<double>(now - m_lastStatus).count();
        if (seconds > 0.2)
            perSecond = tr(" (%1/s)").arg(locale.toString((served - m_lastServed) / seconds, 'f', 0));
    }
    m_lastServed = served;
    m_lastStatus = now;
    const double refused = status.value(QStringLiteral("refused")).toDouble();
    m_counters->setText(tr("Requests served <b>%1</b>%2 · failed <b>%3</b> · connections refused %4")
                            .arg(locale.toString(served, 'f', 0), perSecond,
                                 locale.toString(status.value(QStringLiteral("failed")).toDouble(), 'f', 0),
                                 refused > 0 ? QStringLiteral("<b style='color:#c62828'>%1</b>").arg(locale.toString(refused, 'f', 0))
                                             : QStringLiteral("<b>0</b>")));
    QString rows = tr("<table cellspacing=0 cellpadding=2><tr><th align=left>pool</th><th align=right>in use</th>"
                      "<th align=right>waiting</th><th align=right>dropped</th><th align=right>timeouts</th></tr>");
    for (const QJsonValue &value : status.value(QStringLiteral("pools")).toArray()) {
        const QJsonObject pool = value.toObject();
        const int abandoned = pool.value(QStringLiteral("abandoned")).toInt();
        rows += QStringLiteral("<tr><td>%1</td><td align=right>%2 / %3</td><td align=right>%4</td><td align=right>%5</td>"
                               "<td align=right>%6</td></tr>")
                    .arg(pool.value(QStringLiteral("service")).toString().toHtmlEscaped())
                    .arg(pool.value(QStringLiteral("inUse")).toInt())
                    .arg(pool.value(QStringLiteral("size")).toInt())
                    .arg(pool.value(QStringLiteral("waiting")).toInt())
                    .arg(abandoned > 0 ? QStringLiteral("<b style='color:#c62828'>%1</b>").arg(abandoned) : QStringLiteral("0"))
                    .arg(locale.toString(pool.value(QStringLiteral("timeouts")).toDouble(), 'f', 0));
    }
    rows += QStringLiteral("</table>");
    rows += tr("<small>PgBouncer default_pool_size %1. <i>dropped</i>: connections the code never gave back.</small>")
                .arg(status.value(QStringLiteral("bouncerPoolSize")).toInt());
    m_pools->setText(rows);
}

} // namespace poolscope::ui
