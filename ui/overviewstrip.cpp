#include "overviewstrip.h"

#include "steadylabels.h"

#include "plaintext.h"
#include "analysis/classifier.h"
#include "targetcontroller.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

namespace poolscope::ui {

namespace {

constexpr int kTiles = 6;

QString statusLine(const TargetController &target)
{
    const SamplerStatus &status = target.status();
    QString kind;
    if (const BouncerSnapshotPtr b = target.bouncer(); b && target.kind() == TargetKind::PgBouncer)
        kind = QStringLiteral("PgBouncer ") + b->version;
    else if (const SnapshotPtr p = target.postgres())
        kind = QStringLiteral("PostgreSQL ") + p->serverVersion;
    QString age;
    if (status.state == SamplerStatus::State::Replaying) {
        // A replay says when the sample on screen was taken, not how long ago that was.
        QStringList parts{QObject::tr("recorded")};
        if (!kind.isEmpty())
            parts.append(kind);
        if (target.lastSampleAtMs() > 0)
            parts.append(QObject::tr("sample of %1").arg(QDateTime::fromMSecsSinceEpoch(target.lastSampleAtMs())
                                                                .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
        return parts.join(QStringLiteral(" · "));
    }
    // The age only when samples are late: an age that changes every second says nothing the
    // interval does not, and a line that changes every second is laid out every second. By the
    // source's clock, as the charts and the sessions' ages are.
    const double lateAfterMs = std::max(status.effectiveIntervalMs, status.requestedIntervalMs) * 1.5 + 1000;
    if (const qint64 lastMs = target.lastSampleAtMs(), ageMs = target.nowMs() - lastMs; lastMs > 0 && ageMs > lateAfterMs) {
        const double seconds = ageMs / 1000.0;
        age = QObject::tr("last sample %1 ago").arg(seconds < 10 ? QString::number(seconds, 'f', 1) + QStringLiteral(" s")
                                                                 : formatDuration(seconds));
    }
    QStringList parts{samplerStateName(status.state)};
    if (!kind.isEmpty())
        parts.append(kind);
    if (!age.isEmpty())
        parts.append(age);
    if (status.state == SamplerStatus::State::Connected && status.stretched())
        parts.append(status.stretchReason() + QObject::tr(" (View > Server budget…)"));
    else if (status.state == SamplerStatus::State::Connected && status.effectiveIntervalMs > 0)
        parts.append(QObject::tr("every %1 s").arg(status.effectiveIntervalMs / 1000.0, 0, 'g', 3));
    if (status.state == SamplerStatus::State::Reconnecting || status.state == SamplerStatus::State::Failing) {
        parts.append(QObject::tr("attempt %1, next in %2 s").arg(status.attempt).arg(status.retryInMs / 1000.0, 0, 'f', 1));
        if (!status.error.message.isEmpty())
            parts.append(status.error.message);
    }
    return parts.join(QStringLiteral(" · "));
}

} // namespace

OverviewStrip::OverviewStrip(const TargetController &target, QWidget *parent)
    : QWidget(parent)
    , m_target(target)
    , m_health(new WrappedLine(this))
    , m_status(new WrappedLine(this))
{
    auto *tiles = new QHBoxLayout;
    tiles->setSpacing(18);
    for (int i = 0; i < kTiles; ++i)
        m_tiles.append(addTile(tiles));
    tiles->addStretch();
    m_health->label()->setObjectName(QStringLiteral("healthLine"));
    m_health->label()->setMargin(6);
    m_health->label()->setAutoFillBackground(true);
    m_status->label()->setObjectName(QStringLiteral("statusLine"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(tiles);
    layout->addWidget(m_health);
    layout->addWidget(m_status);
    refresh();
}

OverviewStrip::Tile OverviewStrip::addTile(QHBoxLayout *layout)
{
    auto *box = new QVBoxLayout;
    box->setSpacing(0);
    Tile tile{new QLabel(this), new QLabel(this)};
    QFont big = tile.value->font();
    big.setPointSizeF(big.pointSizeF() * 1.8);
    big.setBold(true);
    tile.value->setFont(big);
    box->addWidget(tile.value);
    box->addWidget(tile.caption);
    layout->addLayout(box);
    return tile;
}

void OverviewStrip::setTile(int index, const QString &value, const QString &caption, const QString &toolTip,
                            bool alarming)
{
    Tile &tile = m_tiles[index];
    setSteadyText(tile.value, value);
    setSteadyText(tile.caption, caption);
    tile.value->setToolTip(toolTip);
    tile.caption->setToolTip(toolTip);
    QPalette pal = palette();
    if (alarming)
        pal.setColor(QPalette::WindowText, QColor(0xd3, 0x2f, 0x2f));
    tile.value->setPalette(pal);
    // Captions a step quieter than the numbers, in light and dark palettes alike.
    QPalette quiet = palette();
    QColor text = quiet.color(QPalette::WindowText);
    text.setAlpha(170);
    quiet.setColor(QPalette::WindowText, text);
    tile.caption->setPalette(quiet);
}

void OverviewStrip::refresh()
{
    const bool bouncer = m_target.kind() == TargetKind::PgBouncer;
    if (bouncer && m_target.bouncer()) {
        const BouncerTotals t = m_target.bouncer()->totals();
        setTile(0, QString::number(t.clients()), tr("clients"));
        setTile(1, QString::number(t.clientsWaiting), tr("waiting for a server"), {}, t.clientsWaiting > 0);
        setTile(2, formatDuration(t.maxWaitSeconds), tr("longest wait (maxwait)"), {}, t.maxWaitSeconds >= 1);
        setTile(3, QStringLiteral("%1 / %2").arg(t.serversActive).arg(t.poolSize), tr("servers active of pool sizes"));
        setTile(4, QString::number(t.servers()), tr("server connections"));
        setTile(5, QString::number(t.pools), tr("pools"));
    } else if (const SnapshotPtr p = m_target.postgres()) {
        const Totals &t = p->totals;
        const int usable = p->limits.usableSlots();
        setTile(0, QStringLiteral("%1 / %2").arg(t.slotsUsed).arg(usable), tr("slots in use of usable"),
                tr("max_connections %1, %2 reserved for superusers").arg(p->limits.maxConnections).arg(p->limits.superuserReserved),
                std::any_of(p->findings.cbegin(), p->findings.cend(),
                            [](const Finding &f) { return f.code == QLatin1String("flood"); }));
        setTile(1, QString::number(t.count(SessionClass::Active)), tr("active"));
        setTile(2, QString::number(t.count(SessionClass::Idle)), tr("idle"));
        const int idleInTx = t.count(SessionClass::IdleInTransaction) + t.count(SessionClass::IdleInTransactionAborted);
        setTile(3, QString::number(idleInTx), tr("idle in transaction"),
                tr("%1 of them aborted").arg(t.count(SessionClass::IdleInTransactionAborted)));
        setTile(4, QString::number(t.leaked), tr("leaked (%1 suspected)").arg(t.suspected), {}, t.leaked > 0);
        setTile(5, QString::number(t.count(SessionClass::Waiting)), tr("waiting"),
                tr("active sessions waiting on a lock, I/O or another server resource"));
    } else {
        for (int i = 0; i < kTiles; ++i)
            setTile(i, QStringLiteral("–"), i == 0 ? tr("no sample yet") : QString());
    }

    bool critical = false, warning = false;
    for (const Finding &finding : m_target.findings()) {
        critical = critical || finding.severity == Finding::Severity::Critical;
        warning = warning || finding.severity == Finding::Severity::Warning;
    }
    if (const SnapshotPtr p = m_target.postgres(); p && !bouncer)
        warning = warning || p->totals.leaked > 0;
    QString health = m_target.health();
    const SamplerStatus &status = m_target.status();
    const bool unreachable = status.state == SamplerStatus::State::Reconnecting || status.state == SamplerStatus::State::Failing;
    if (unreachable) {
        // Say it first: what is shown below is as old as the last sample.
        QString why = tr("Cannot sample %1: %2").arg(m_target.displayName(), status.error.message);
        if (const QString advice = status.error.advice(); !advice.isEmpty())
            why += u' ' + advice;
        health = health.isEmpty() ? why : why + tr(" — last known: ") + health;
        critical = true;
    } else if (health.isEmpty() && status.state == SamplerStatus::State::Replaying) {
        // Nothing to wait for in a recording: say when this target's samples begin, if ever.
        const History &history = m_target.history();
        health = history.isEmpty()
                     ? tr("No sample of %1 in this recording (it may have been cut short before the first).").arg(m_target.displayName())
                     : tr("No sample of %1 yet at this point of the recording: its first is at %2.")
                           .arg(m_target.displayName(), QDateTime::fromMSecsSinceEpoch(history.at(0).timeMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    } else if (health.isEmpty()) {
        health = tr("Waiting for the first sample…");
    }
    m_health->setText(health); // names, findings and server errors: shown as text
    QPalette pal = palette();
    const bool healthy = health.startsWith(QLatin1String("Healthy"));
    pal.setColor(QPalette::Window, critical ? QColor(0xc6, 0x28, 0x28) : warning ? QColor(0xf5, 0x7c, 0x00)
                                   : healthy ? QColor(0x2e, 0x7d, 0x32) : pal.color(QPalette::AlternateBase));
    pal.setColor(QPalette::WindowText, critical || warning || healthy ? QColor(Qt::white) : pal.color(QPalette::WindowText));
    m_health->label()->setPalette(pal);
    m_status->setText(statusLine(m_target));
}

QString OverviewStrip::healthText() const
{
    return m_health->text();
}

QString OverviewStrip::statusText() const
{
    return m_status->text();
}

} // namespace poolscope::ui
