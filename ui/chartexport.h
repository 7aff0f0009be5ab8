#pragma once

#include <QList>
#include <QString>

namespace poolscope {
class Recording;
}

namespace poolscope::ui {

class TimeChart;

// Draws the charts one under the other, legends included, at their size on screen, into a PNG
// or an SVG (chosen by the file's suffix). Returns an error in words, or nothing.
QString writeCharts(const QList<TimeChart *> &charts, const QString &path);

// Every target of a recording, over the whole recording, as the report's picture. Needs a
// QApplication (the command line makes an offscreen one for `poolscope report`).
QString writeRecordingCharts(const Recording &recording, const QString &path, int width = 1400);

} // namespace poolscope::ui
