#pragma once

#include <QColor>
#include <QList>
#include <QPointF>
#include <QString>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QAbstractSeries;
class QAreaSeries;
class QLineSeries;
class QDateTimeAxis;
class QValueAxis;
QT_END_NAMESPACE

namespace poolscope::ui {

class ChartLegend;

// A series' points, one per time and value, but those inside a run of equal values: a level
// stretch (a limit, a count that holds) draws the same from its two ends, and each time a
// series changes Qt Charts builds and strokes a path through every point it holds.
QList<QPointF> seriesPoints(const QList<qint64> &times, const QList<double> &values);

// A chart of counts over time: stacked bands, lines over them, and shaded gaps where nothing
// is known. Every Qt Charts call of PoolScope is in this class (Qt Charts is deprecated from
// Qt 6.10; moving off it touches this file alone). It draws what it is given: callers
// reduce the data to about one point per pixel first.
class TimeChart : public QWidget
{
    Q_OBJECT
public:
    struct Series
    {
        QString name;
        QColor color;
        Qt::PenStyle style = Qt::SolidLine;
        bool rightAxis = false; // lines only: a second value axis, e.g. seconds next to counts
        // Lines only: a limit or threshold. It sets the scale only when it is near the data:
        // 3 sessions against max_connections 2300 would otherwise be a flat line at zero.
        bool reference = false;
    };
    struct Data
    {
        QList<qint64> timesMs;        // one per point, ascending
        QList<QList<double>> bands;   // per band, one value per point
        QList<QList<double>> lines;   // per line, one value per point
        QList<std::pair<qint64, qint64>> gaps; // [from, to) with no samples
        qint64 fromMs = 0;            // the window shown
        qint64 toMs = 0;
        // Following the present: the time axis moves in steps of this (its labels stay put in
        // between), the window's end rounded up to the next step. 0: exactly fromMs to toMs.
        qint64 stepMs = 0;
        // The legend's values, per band and per line: the newest sample's, which the points of a
        // long window need not include. Empty: each series' last point.
        QList<double> newestBands, newestLines;
    };

    explicit TimeChart(const QString &title, QWidget *parent = nullptr);

    void setSeries(const QList<Series> &bands, const QList<Series> &lines, const QString &rightAxisTitle = {});
    void setTitleText(const QString &title);
    // Names the first `count` lines, e.g. after the top owners of the window; those without
    // a name in `names` go unnamed.
    void setLineNames(const QStringList &names, int count);
    void setData(const Data &data);
    // The chart as a picture, for export and for tests that look at it.
    QImage render(const QSize &size);

protected:
    void changeEvent(QEvent *event) override;

private:
    void applyTheme();
    void updateLegend();
    static void setCountRange(QValueAxis *axis, double top);
    void setTimeRange(const Data &data);
    void applyBandColors();
    void showReadout(const QPointF &point, bool state);

    QChart *m_chart = nullptr;
    QChartView *m_view = nullptr;
    ChartLegend *m_legend = nullptr;
    QDateTimeAxis *m_timeAxis = nullptr;
    QValueAxis *m_valueAxis = nullptr;
    QValueAxis *m_rightAxis = nullptr;
    QList<QAreaSeries *> m_bands;
    QList<QLineSeries *> m_lines;
    QAreaSeries *m_gaps = nullptr;
    QList<Series> m_bandSeries;
    QList<Series> m_lineSeries;
    QString m_title;
    Data m_data;
};

} // namespace poolscope::ui
