#include "timechart.h"

#include "chartlegend.h"
#include "plaintext.h"
#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QFontMetrics>
#include <QEvent>
#include <QLineSeries>
#include <QPainter>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace poolscope::ui {

namespace {

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

// A step outline over each gap, so that a shaded band hides whatever the lines do there.
QList<QPointF> gapOutline(const QList<std::pair<qint64, qint64>> &gaps, double top)
{
    QList<QPointF> points;
    for (const auto &[from, to] : gaps) {
        points.append(QPointF(double(from), 0));
        points.append(QPointF(double(from), top));
        points.append(QPointF(double(to), top));
        points.append(QPointF(double(to), 0));
    }
    return points;
}

// A series' newest value: the newest sample's when given (a reduced window may not draw it),
// else its last point's.
double newestValue(const QList<double> &newest, int index, const QList<double> &values)
{
    return newest.value(index, values.isEmpty() ? 0 : values.last());
}

} // namespace

QList<QPointF> seriesPoints(const QList<qint64> &times, const QList<double> &values)
{
    const qsizetype count = std::min(times.size(), values.size());
    QList<QPointF> points;
    points.reserve(count);
    for (qsizetype i = 0; i < count; ++i) {
        if (i > 0 && i + 1 < count && values[i] == values[i - 1] && values[i] == values[i + 1])
            continue;
        points.append(QPointF(double(times[i]), values[i]));
    }
    return points;
}

TimeChart::TimeChart(const QString &title, QWidget *parent)
    : QWidget(parent)
    , m_chart(new QChart)
{
    m_title = title;
    m_chart->setTitle(title);
    m_chart->setAnimationOptions(QChart::NoAnimation); // live data: animations only cost
    // Qt Charts' own legend lists every series, empty or not, and cuts names short when
    // there are many; ours below the chart names only what has data, with its latest value.
    m_chart->legend()->hide();
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_timeAxis = new QDateTimeAxis(m_chart);
    m_timeAxis->setFormat(QStringLiteral("HH:mm:ss"));
    m_timeAxis->setTickCount(6);
    m_valueAxis = new QValueAxis(m_chart);
    m_valueAxis->setLabelFormat(QStringLiteral("%d"));
    m_valueAxis->setMin(0);
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_valueAxis, Qt::AlignLeft);

    m_view = new QChartView(m_chart, this);
    m_view->setRenderHint(QPainter::Antialiasing, false); // thousands of points: crisp and cheap
    m_view->setMinimumHeight(180);
    m_legend = new ChartLegend(this);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_legend);
    applyTheme();
}

void TimeChart::setSeries(const QList<Series> &bands, const QList<Series> &lines, const QString &rightAxisTitle)
{
    for (QAbstractSeries *series : m_chart->series()) {
        m_chart->removeSeries(series);
        delete series;
    }
    m_bands.clear();
    m_lines.clear();
    m_bandSeries = bands;
    m_lineSeries = lines;
    if (m_rightAxis) {
        m_chart->removeAxis(m_rightAxis);
        delete m_rightAxis;
        m_rightAxis = nullptr;
    }
    const bool needsRight = std::any_of(lines.cbegin(), lines.cend(), [](const Series &s) { return s.rightAxis; });
    if (needsRight) {
        m_rightAxis = new QValueAxis(m_chart);
        m_rightAxis->setTitleText(rightAxisTitle);
        m_rightAxis->setMin(0);
        m_chart->addAxis(m_rightAxis, Qt::AlignRight);
    }

    // Each band is an area from zero up to its top in the stack, the highest added first so
    // that the lower ones cover it: one line of points per band for Qt Charts to place, not an
    // upper and a lower line (half the work each second). The covering needs opaque fills.
    m_bands.resize(bands.size());
    for (qsizetype b = bands.size() - 1; b >= 0; --b) {
        auto *area = new QAreaSeries(new QLineSeries);
        area->upperSeries()->setParent(area);
        area->setName(bands[b].name);
        m_chart->addSeries(area);
        area->attachAxis(m_timeAxis);
        area->attachAxis(m_valueAxis);
        connect(area, &QAreaSeries::hovered, this, &TimeChart::showReadout);
        m_bands[b] = area;
    }
    for (const Series &line : lines) {
        auto *series = new QLineSeries;
        series->setName(line.name);
        QPen pen(line.color, 1, line.style);
        pen.setCosmetic(true);
        series->setPen(pen);
        m_chart->addSeries(series);
        series->attachAxis(m_timeAxis);
        series->attachAxis(line.rightAxis && m_rightAxis ? m_rightAxis : m_valueAxis);
        connect(series, &QLineSeries::hovered, this, &TimeChart::showReadout);
        m_lines.append(series);
    }
    m_gaps = new QAreaSeries(new QLineSeries);
    m_gaps->upperSeries()->setParent(m_gaps);
    m_gaps->setName(tr("no data"));
    m_gaps->setBrush(QBrush(QColor(128, 128, 128, 235), Qt::BDiagPattern));
    m_gaps->setPen(Qt::NoPen);
    m_chart->addSeries(m_gaps);
    m_gaps->attachAxis(m_timeAxis);
    m_gaps->attachAxis(m_valueAxis);
    applyTheme();
}

void TimeChart::setTitleText(const QString &title)
{
    m_title = title;
}

void TimeChart::setLineNames(const QStringList &names, int count)
{
    for (int i = 0; i < m_lines.size() && i < count; ++i) {
        const QString name = safeLine(names.value(i)); // owners' names
        m_lines[i]->setName(name);
    }
}

void TimeChart::setData(const Data &data)
{
    m_data = data;
    // The axes first, then the points. Every change of an axis's range makes Qt Charts place
    // every series' points again and lay out every label of the axis (the labels' text layout
    // alone was a fifth of the window's time each second): the time axis moves in steps.
    QList<QList<double>> stacked;
    stacked.reserve(m_bands.size() + 1);
    stacked.append(QList<double>(data.timesMs.size(), 0.0));
    for (int b = 0; b < m_bands.size(); ++b) {
        QList<double> cumulative = stacked.last();
        const QList<double> values = data.bands.value(b);
        for (int i = 0; i < cumulative.size(); ++i)
            cumulative[i] += values.value(i);
        stacked.append(cumulative);
    }
    double dataTop = 0, referenceTop = 0, rightTop = 0;
    for (double v : std::as_const(stacked.last()))
        dataTop = std::max(dataTop, v);
    for (int l = 0; l < m_lines.size(); ++l) {
        const Series &series = m_lineSeries.value(l);
        double &top = series.rightAxis && m_rightAxis ? rightTop : series.reference ? referenceTop : dataTop;
        for (double v : data.lines.value(l))
            top = std::max(top, v);
        top = std::max(top, newestValue(data.newestLines, l, data.lines.value(l)));
    }
    // A limit far above the data is named in the title instead of squashing the data flat.
    QStringList offScale;
    double top = std::max(dataTop, 1.0);
    if (referenceTop <= std::max(dataTop, 5.0) * 4) {
        top = std::max(top, referenceTop);
    } else {
        for (int l = 0; l < m_lines.size(); ++l) {
            if (m_lineSeries.value(l).reference && !data.lines.value(l).isEmpty())
                offScale.append(QStringLiteral("%1 %2").arg(m_lines[l]->name()).arg(qRound(newestValue(data.newestLines, l, data.lines.value(l)))));
        }
    }
    setCountRange(m_valueAxis, top * 1.1);
    if (m_rightAxis)
        setCountRange(m_rightAxis, std::max(1.0, rightTop * 1.1));
    const QString title = offScale.isEmpty() ? m_title : m_title + QStringLiteral(" — above the scale: ") + offScale.join(QStringLiteral(", "));
    if (m_chart->title() != title)
        m_chart->setTitle(title);
    setTimeRange(data);

    // A band or line that is zero throughout is no points at all: a band of zeros is covered by
    // the one below it, and the line would lie on the axis.
    // Nor is a series whose points did not change (a day's two-pixel buckets mostly do not from
    // one second to the next): replace() makes Qt Charts rebuild and stroke the whole path.
    const auto replace = [](QXYSeries *series, QList<QPointF> points) {
        if (points.size() == series->count() && points == series->points())
            return;
        series->replace(points);
    };
    const auto allZero = [](const QList<double> &values) {
        return std::all_of(values.cbegin(), values.cend(), [](double v) { return v == 0; });
    };
    for (int b = 0; b < m_bands.size(); ++b)
        replace(m_bands[b]->upperSeries(), allZero(data.bands.value(b)) ? QList<QPointF>() : seriesPoints(data.timesMs, stacked[b + 1]));
    for (int l = 0; l < m_lines.size(); ++l)
        replace(m_lines[l], m_lineSeries.value(l).reference || !allZero(data.lines.value(l)) ? seriesPoints(data.timesMs, data.lines.value(l)) : QList<QPointF>());
    if (m_gaps) {
        QList<QPointF> outline = gapOutline(data.gaps, m_valueAxis->max());
        if (outline != m_gaps->upperSeries()->points())
            replace(m_gaps->upperSeries(), std::move(outline));
    }
    updateLegend();
}

void TimeChart::setTimeRange(const Data &data)
{
    const qint64 span = std::max<qint64>(1000, data.toMs - data.fromMs);
    const QString format = span > 36 * 3600 * 1000LL ? QStringLiteral("dd MMM HH:mm")
                           : span > 600 * 1000       ? QStringLiteral("HH:mm")
                                                     : QStringLiteral("HH:mm:ss");
    if (m_timeAxis->format() != format)
        m_timeAxis->setFormat(format);
    qint64 from = data.fromMs, to = data.fromMs + span;
    // As many time labels as fit side by side: a narrow chart would otherwise elide them all.
    const int labelWidth = QFontMetrics(m_timeAxis->labelsFont()).horizontalAdvance(format + QStringLiteral("MM"));
    int ticks = std::clamp(int(m_chart->plotArea().width()) / std::max(1, labelWidth) + 1, 2, 6);
    if (data.stepMs > 0) {
        // The end on the next step, the length unchanged: the axis stays where it is until the
        // present passes that step (the newest points are at most one step short of the right
        // edge). Labels a whole number of steps apart fall on round times.
        to = (data.toMs + data.stepMs - 1) / data.stepMs * data.stepMs;
        from = to - span;
        if (span % data.stepMs == 0) {
            const qint64 steps = span / data.stepMs;
            int intervals = ticks - 1;
            while (intervals > 1 && steps % intervals != 0)
                --intervals;
            ticks = intervals + 1;
        }
    }
    if (m_timeAxis->tickCount() != ticks)
        m_timeAxis->setTickCount(ticks);
    const QDateTime min = QDateTime::fromMSecsSinceEpoch(from), max = QDateTime::fromMSecsSinceEpoch(to);
    if (m_timeAxis->min() != min || m_timeAxis->max() != max)
        m_timeAxis->setRange(min, max);
}

void TimeChart::updateLegend()
{
    // Bands top first, as they are stacked; then the lines; each with its latest value.
    QList<ChartLegend::Entry> entries;
    const auto entry = [](const QColor &color, const QString &name, const QString &value) {
        return ChartLegend::Entry{color, name, value};
    };
    const auto number = [](double v) { return v == std::floor(v) ? QString::number(qint64(v)) : QString::number(v, 'f', 1); };
    for (int b = int(m_bands.size()) - 1; b >= 0; --b) {
        const QList<double> values = m_data.bands.value(b);
        const double newest = newestValue(m_data.newestBands, b, values);
        if (newest > 0 || std::any_of(values.cbegin(), values.cend(), [](double v) { return v > 0; }))
            entries.append(entry(m_bandSeries[b].color, m_bands[b]->name(), number(newest)));
    }
    for (int l = 0; l < m_lines.size(); ++l) {
        const QList<double> values = m_data.lines.value(l);
        if (!m_lines[l]->name().isEmpty() && !values.isEmpty())
            entries.append(entry(m_lineSeries[l].color, m_lines[l]->name(), number(newestValue(m_data.newestLines, l, values))));
    }
    if (!m_data.gaps.isEmpty())
        entries.append(entry(QColor(128, 128, 128), tr("no data (target unreachable)"), QString::number(m_data.gaps.size())));
    m_legend->setEntries(entries);
}

// Whole-number ticks on a count axis: steps of 1, 2 or 5 × 10^k, about five of them.
void TimeChart::setCountRange(QValueAxis *axis, double top)
{
    const double rough = std::max(1.0, top / 5);
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    double step = magnitude;
    for (double factor : {1.0, 2.0, 5.0, 10.0}) {
        if (factor * magnitude >= rough) {
            step = factor * magnitude;
            break;
        }
    }
    const double max = std::ceil(top / step) * step;
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0);
    axis->setTickInterval(step);
    axis->setRange(0, max);
}

QImage TimeChart::render(const QSize &size)
{
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(palette().color(QPalette::Window));
    QPainter painter(&image);
    m_view->render(&painter, QRectF(QPointF(0, 0), QSizeF(size)));
    return image;
}

void TimeChart::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        applyTheme();
    QWidget::changeEvent(event);
}

void TimeChart::applyTheme()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::WindowText);
    const QColor grid = isDark(pal) ? QColor(255, 255, 255, 40) : QColor(0, 0, 0, 30);
    m_chart->setBackgroundBrush(pal.color(QPalette::Base));
    m_chart->setTitleBrush(text);
    m_chart->legend()->setLabelColor(text);
    for (QAbstractAxis *axis : m_chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setGridLineColor(grid);
        axis->setLinePenColor(grid);
    }
    applyBandColors();
}

void TimeChart::applyBandColors()
{
    // What a band of 80 % opacity looked like over the chart's background, as an opaque colour:
    // the bands cover one another (see setSeries).
    const QColor base = palette().color(QPalette::Base);
    for (int b = 0; b < m_bands.size() && b < m_bandSeries.size(); ++b) {
        const QColor c = m_bandSeries[b].color;
        const auto mix = [](int over, int under) { return (over * 200 + under * 55) / 255; };
        m_bands[b]->setBrush(QColor(mix(c.red(), base.red()), mix(c.green(), base.green()), mix(c.blue(), base.blue())));
        // One pixel, cosmetic: the raster engine draws those directly, wider ones go through a
        // path stroker that costs more than the whole rest of a redraw.
        QPen outline(c.darker(130), 1);
        outline.setCosmetic(true);
        m_bands[b]->setPen(outline);
    }
}

void TimeChart::showReadout(const QPointF &point, bool state)
{
    if (!state || m_data.timesMs.isEmpty()) {
        QToolTip::hideText();
        return;
    }
    const qint64 t = qint64(point.x());
    const auto it = std::lower_bound(m_data.timesMs.cbegin(), m_data.timesMs.cend(), t);
    int i = int(it - m_data.timesMs.cbegin());
    if (i >= m_data.timesMs.size() || (i > 0 && t - m_data.timesMs[i - 1] < m_data.timesMs[i] - t))
        i = qMax(0, i - 1);
    QStringList lines{QDateTime::fromMSecsSinceEpoch(m_data.timesMs[i]).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))};
    for (int b = m_bands.size() - 1; b >= 0; --b)
        lines.append(QStringLiteral("%1: %2").arg(m_bands[b]->name()).arg(m_data.bands.value(b).value(i)));
    for (int l = 0; l < m_lines.size(); ++l) {
        if (!m_lines[l]->name().isEmpty())
            lines.append(QStringLiteral("%1: %2").arg(m_lines[l]->name()).arg(m_data.lines.value(l).value(i)));
    }
    QToolTip::showText(QCursor::pos(), richFromPlain(lines.join(u'\n')), m_view);
}

} // namespace poolscope::ui
