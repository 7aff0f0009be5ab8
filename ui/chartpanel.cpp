#include "chartpanel.h"

#include "steadylabels.h"
#include "targetcontroller.h"

#include <QComboBox>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace poolscope::ui {

namespace {

constexpr int kOwnerLines = 6;

QList<TimeChart::Series> postgresBands()
{
    const QColor colors[kSessionClassCount] = {QColor(0x2e, 0x7d, 0x32), QColor(0x8e, 0x24, 0xaa), QColor(0x1e, 0x88, 0xe5),
                                                QColor(0xfb, 0x8c, 0x00), QColor(0xe5, 0x39, 0x35), QColor(0x75, 0x75, 0x75),
                                                QColor(0xbd, 0xbd, 0xbd)};
    // Short names: the legend has a dozen entries to fit under a chart half a screen wide.
    const char *const names[kSessionClassCount] = {"active", "waiting", "idle", "idle in tx", "aborted tx", "other",
                                                   "hidden"};
    QList<TimeChart::Series> bands;
    for (int c = 0; c < kSessionClassCount; ++c)
        bands.append({QObject::tr(names[c]), colors[c]});
    return bands;
}

// The largest round step no longer than a tenth of the window that divides it.
qint64 axisStepMs(qint64 windowMs)
{
    static const qint64 steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200};
    qint64 best = 1000;
    for (qint64 seconds : steps) {
        const qint64 ms = seconds * 1000;
        if (ms * 10 <= windowMs && windowMs % ms == 0)
            best = ms;
    }
    return best;
}

QList<TimeChart::Series> bouncerBands()
{
    return {{QObject::tr("active"), QColor(0x2e, 0x7d, 0x32)}, {QObject::tr("idle"), QColor(0x1e, 0x88, 0xe5)},
            {QObject::tr("used"), QColor(0xfb, 0x8c, 0x00)}, {QObject::tr("tested or login"), QColor(0x75, 0x75, 0x75)}};
}

struct WindowChoice { const char *label; qint64 seconds; };
const WindowChoice kWindows[] = {{"1 min", 60},        {"5 min", 300},      {"15 min", 900}, {"1 h", 3600},
                                 {"6 h", 6 * 3600},    {"24 h", 24 * 3600}, {"All", 0}};

} // namespace

ChartPanel::ChartPanel(const TargetController &target, QWidget *parent)
    : QWidget(parent)
    , m_target(target)
    , m_classes(new TimeChart(tr("Connections by class"), this))
    , m_second(new TimeChart(QString(), this))
    , m_window(new QComboBox(this))
    , m_liveButton(new QPushButton(this))
    , m_scroll(new QScrollBar(Qt::Horizontal, this))
    , m_range(new QLabel(this))
{
    for (const WindowChoice &choice : kWindows)
        m_window->addItem(tr(choice.label), choice.seconds);
    m_window->setCurrentIndex(1);
    m_window->setToolTip(tr("Time window of the charts"));
    m_liveButton->setCheckable(true);
    m_liveButton->setChecked(true);
    m_liveButton->setToolTip(tr("Pause or resume the live view (Space); history keeps recording"));
    m_scroll->setToolTip(tr("Scroll back through the history; the view pauses while you look back"));

    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Window:"), this));
    controls->addWidget(m_window);
    controls->addWidget(m_liveButton);
    controls->addWidget(m_scroll, 1);
    controls->addWidget(m_range);
    auto *charts = new QHBoxLayout;
    charts->addWidget(m_classes, 3);
    charts->addWidget(m_second, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(charts, 1);
    layout->addLayout(controls);

    connect(m_window, &QComboBox::currentIndexChanged, this, &ChartPanel::redraw);
    connect(m_liveButton, &QPushButton::toggled, this, &ChartPanel::setLive);
    connect(m_scroll, &QScrollBar::sliderMoved, this, [this](int value) {
        if (value < m_scroll->maximum())
            setLive(false);
        m_endMs = m_target.history().isEmpty() ? 0 : m_target.history().at(0).timeMs + qint64(value) * 1000
                + m_window->currentData().toLongLong() * 1000;
        redraw();
    });
    // Time moves on when samples stop coming: the gap must grow on screen too. Not a second
    // drawing in the second a sample drew.
    auto *clock = new QTimer(this);
    clock->setInterval(1000);
    connect(clock, &QTimer::timeout, this, [this] {
        if (!m_sinceRedraw.isValid() || m_sinceRedraw.elapsed() >= 900)
            refresh();
    });
    clock->start();
    setLive(true);
}

void ChartPanel::setLive(bool live)
{
    m_live = live;
    {
        QSignalBlocker block(m_liveButton);
        m_liveButton->setChecked(live);
    }
    m_liveButton->setText(live ? tr("Live") : tr("Paused"));
    m_liveButton->setIcon(style()->standardIcon(live ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    if (!live && m_endMs == 0)
        m_endMs = m_target.nowMs();
    if (live)
        m_endMs = 0;
    redraw();
}

void ChartPanel::setWindowSeconds(qint64 seconds)
{
    const int index = m_window->findData(seconds);
    if (index >= 0)
        m_window->setCurrentIndex(index);
}

void ChartPanel::refresh()
{
    if (m_live && isVisible())
        redraw();
}

void ChartPanel::setUpSeries()
{
    m_seriesReady = true;
    m_kindShown = m_target.kind();
    m_thresholdShown = m_target.alertRules().slotsUsedPercent;
    const QColor limitColor(0xb7, 0x1c, 0x1c);
    const QList<TimeChart::Series> thresholds = {{tr("limit"), limitColor, Qt::DashLine, false, true},
                                                 {tr("alert at %1 %").arg(m_thresholdShown),
                                                  QColor(0xef, 0x6c, 0x00), Qt::DotLine, false, true}};
    if (m_kindShown == TargetKind::PgBouncer) {
        m_classes->setTitleText(tr("Server connections by state"));
        m_classes->setSeries(bouncerBands(), {{tr("pool sizes"), limitColor, Qt::DashLine, false, true}});
        m_second->setSeries({}, {{tr("clients waiting"), QColor(0xe5, 0x39, 0x35)},
                                 {tr("longest wait (s)"), QColor(0x6a, 0x1b, 0x9a), Qt::DashLine, true}},
                            tr("seconds"));
        return;
    }
    QList<TimeChart::Series> lines = thresholds;
    lines.append({tr("leaked"), QColor(0x4a, 0x00, 0x00), Qt::SolidLine});
    m_classes->setTitleText(tr("Connections by class"));
    m_classes->setSeries(postgresBands(), lines);
    const QColor ownerColors[kOwnerLines + 1] = {QColor(0x1e, 0x88, 0xe5), QColor(0xe5, 0x39, 0x35), QColor(0x43, 0xa0, 0x47),
                                                 QColor(0xfb, 0x8c, 0x00), QColor(0x8e, 0x24, 0xaa), QColor(0x00, 0x89, 0x7b),
                                                 QColor(0x75, 0x75, 0x75)};
    QList<TimeChart::Series> owners;
    for (int i = 0; i < kOwnerLines; ++i)
        owners.append({QString(), ownerColors[i]});
    owners.append({tr("other"), ownerColors[kOwnerLines], Qt::DotLine});
    // The connect rate beside the owners: a storm shows as this line rising while the counts
    // stay put (connections opened and closed between two samples).
    owners.append({tr("new connections/s"), QColor(0x37, 0x47, 0x4f), Qt::DashDotLine, true});
    m_second->setSeries({}, owners, tr("new/s"));
}

void ChartPanel::redraw()
{
    QElapsedTimer timer;
    timer.start();
    m_sinceRedraw.start();
    // The threshold drawn is the alert's, which the operator may change at any time.
    if (!m_seriesReady || m_kindShown != m_target.kind() || m_thresholdShown != m_target.alertRules().slotsUsedPercent)
        setUpSeries();
    const bool bouncer = m_kindShown == TargetKind::PgBouncer;
    const History &history = m_target.history();
    const qint64 windowMs = m_window->currentData().toLongLong() * 1000;
    const qint64 now = m_target.nowMs();
    const qint64 end = m_live || m_endMs == 0 ? now : m_endMs;
    const qint64 oldest = history.isEmpty() ? now : history.at(0).timeMs;
    // A young history fills the chart until it is as long as the window (at least a minute);
    // one that covers the window but for a step (a history kept for 24 h, shown over 24 h) is
    // shown over the whole window.
    const qint64 stepMs = windowMs > 0 ? axisStepMs(windowMs) : 0;
    const bool fullWindow = windowMs > 0 && oldest <= end - windowMs + stepMs;
    // Following the present over a full window: the axis moves by a round step of about a tenth
    // of the window (30 s of 5 min, 2 h of 24 h) at a time, its end the next step after now.
    const bool stepping = m_live && fullWindow;
    const qint64 axisEnd = stepping ? (end + stepMs - 1) / stepMs * stepMs : end;
    const qint64 begin = fullWindow ? axisEnd - windowMs : std::min(oldest, end - 60'000);
    updateScrollBar(oldest, now);

    int first = history.lowerBound(begin);
    if (first > 0)
        --first; // the point before the window, so the line enters from the left edge
    const int last = history.lowerBound(end + 1);
    // A bucket of two pixels, its lowest and highest point kept: as sharp as the screen, and
    // half the points for Qt Charts to place and draw again every second. While the axis stays
    // put, so do the buckets: from one second to the next only the newest can change, and
    // TimeChart leaves a series whose points are the same as they were (at 24 h, most seconds).
    const int buckets = qMax(50, m_classes->width() / 2);
    const QList<int> kept = fullWindow ? reduceForDisplay(history, first, last, begin, (windowMs + buckets - 1) / buckets)
                                       : reduceForDisplay(history, first, last, buckets);

    const int bandCount = bouncer ? 4 : kSessionClassCount;
    const auto shaped = [&](TimeChart::Data &classes, TimeChart::Data &second) {
        classes.bands.resize(bandCount);
        classes.lines.resize(bouncer ? 1 : 3);
        second.lines.resize(bouncer ? 2 : kOwnerLines + 2);
    };
    TimeChart::Data classes, second;
    shaped(classes, second);
    classes.fromMs = second.fromMs = begin;
    classes.toMs = second.toMs = axisEnd;
    classes.stepMs = second.stepMs = stepping ? stepMs : 0;
    const QList<std::pair<quint16, int>> top = bouncer ? QList<std::pair<quint16, int>>() : topOwners(history, first, last, kOwnerLines);
    const double warn = m_thresholdShown / 100.0;
    const auto append = [&](const HistoryPoint &p, TimeChart::Data &classes, TimeChart::Data &second) {
        classes.timesMs.append(p.timeMs);
        second.timesMs.append(p.timeMs);
        for (int b = 0; b < bandCount; ++b)
            classes.bands[b].append(p.bands[std::size_t(b)]);
        classes.lines[0].append(p.limit);
        if (bouncer) {
            second.lines[0].append(p.waiting);
            second.lines[1].append(p.maxWaitSeconds);
            return;
        }
        classes.lines[1].append(std::round(p.limit * warn));
        classes.lines[2].append(p.leaked);
        int named = 0;
        for (int o = 0; o < top.size(); ++o) {
            int count = 0;
            for (int i = 0; i < p.ownerCount; ++i) {
                if (p.owners[std::size_t(i)].owner == top[o].first)
                    count = p.owners[std::size_t(i)].count;
            }
            named += count;
            second.lines[o].append(count);
        }
        for (int o = int(top.size()); o < kOwnerLines; ++o)
            second.lines[o].append(0);
        second.lines[kOwnerLines].append(p.total() - named);
        second.lines[kOwnerLines + 1].append(p.connectsPerSecond);
    };
    for (int k = 0; k < kept.size(); ++k) {
        const HistoryPoint &p = history.at(kept[k]);
        if (p.gap) {
            const qint64 to = kept[k] + 1 < history.size() ? history.at(kept[k] + 1).timeMs : now;
            classes.gaps.append({p.timeMs, to});
            continue; // a gap has no values: the shaded band stands for it
        }
        append(p, classes, second);
    }
    // The legends give the newest sample's values, which a reduced window may not draw.
    if (last > first && !history.at(last - 1).gap) {
        TimeChart::Data newestClasses, newestSecond;
        shaped(newestClasses, newestSecond);
        append(history.at(last - 1), newestClasses, newestSecond);
        for (const QList<double> &band : std::as_const(newestClasses.bands))
            classes.newestBands.append(band.first());
        for (const QList<double> &line : std::as_const(newestClasses.lines))
            classes.newestLines.append(line.first());
        for (const QList<double> &line : std::as_const(newestSecond.lines))
            second.newestLines.append(line.first());
    }
    second.gaps = classes.gaps;
    if (!bouncer) {
        QStringList names;
        for (const auto &[owner, peak] : top)
            names.append(history.ownerNames().value(owner));
        m_second->setLineNames(names, kOwnerLines);
    }
    m_second->setTitleText(bouncer ? tr("Clients waiting for a server") : tr("Connections per application (top %1 and other)").arg(kOwnerLines));
    m_classes->setData(classes);
    m_second->setData(second);
    m_lastPoints = int(classes.timesMs.size());
    setSteadyText(m_range, m_live ? tr("live") : QDateTime::fromMSecsSinceEpoch(end).toString(QStringLiteral("HH:mm:ss")));
    m_lastRedrawMs = double(timer.nsecsElapsed()) / 1e6;
}

void ChartPanel::updateScrollBar(qint64 oldest, qint64 newest)
{
    const qint64 windowMs = m_window->currentData().toLongLong() * 1000;
    const int range = windowMs > 0 ? int(qMax<qint64>(0, (newest - oldest - windowMs) / 1000)) : 0;
    QSignalBlocker block(m_scroll);
    m_scroll->setEnabled(range > 0);
    m_scroll->setRange(0, range);
    m_scroll->setPageStep(int(qMax<qint64>(1, windowMs / 1000)));
    if (m_live)
        m_scroll->setValue(range);
}

} // namespace poolscope::ui
