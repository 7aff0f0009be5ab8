#pragma once

#include "pgbouncer/bouncerreader.h"
#include "model/history.h"
#include "timechart.h"

#include <QElapsedTimer>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QComboBox;
class QPushButton;
class QScrollBar;
class QLabel;
QT_END_NAMESPACE

namespace poolscope::ui {

class TargetController;

// The charts of one target with their time controls: a window from one minute to the whole
// history, pause/resume of the live view and a scroll bar back through the history. Each
// redraw reduces the window to about one point per pixel (keeping peaks) before drawing.
class ChartPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ChartPanel(const TargetController &target, QWidget *parent = nullptr);

    void refresh();               // redraws if live; cheap to call on every sample
    void setLive(bool live);
    bool isLive() const { return m_live; }
    void setWindowSeconds(qint64 seconds); // 0: the whole history
    QList<TimeChart *> charts() const { return {m_classes, m_second}; }
    // What the last redraw drew, for tests and the benchmark.
    int lastPointCount() const { return m_lastPoints; }
    double lastRedrawMs() const { return m_lastRedrawMs; }

private:
    void setUpSeries();
    void redraw();
    void updateScrollBar(qint64 oldest, qint64 newest);

    const TargetController &m_target;
    std::optional<TargetKind> m_kindShown;
    bool m_seriesReady = false;
    double m_thresholdShown = 0; // the alert threshold, in % of the limit
    TimeChart *m_classes;
    TimeChart *m_second; // owners (PostgreSQL) or waiting clients (PgBouncer)
    QComboBox *m_window;
    QPushButton *m_liveButton;
    QScrollBar *m_scroll;
    QLabel *m_range;
    bool m_live = true;
    QElapsedTimer m_sinceRedraw; // the clock redraws only when a sample has not for a second
    qint64 m_endMs = 0; // the right edge when paused
    int m_lastPoints = 0;
    double m_lastRedrawMs = 0;
};

} // namespace poolscope::ui
