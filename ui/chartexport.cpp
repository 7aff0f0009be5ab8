#include "chartexport.h"

#include "chartpanel.h"
#include "recording/recordingreader.h"
#include "targetcontroller.h"
#include "timechart.h"

#include <QApplication>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QSvgGenerator>
#include <QVBoxLayout>

#include <memory>

namespace poolscope::ui {

QString writeCharts(const QList<TimeChart *> &charts, const QString &path)
{
    if (charts.isEmpty())
        return QObject::tr("no chart to draw");
    // Each chart where it is in its window, so that charts side by side stay side by side.
    QRect bounds;
    QList<QPoint> positions;
    for (const TimeChart *chart : charts) {
        positions.append(chart->mapTo(chart->window(), QPoint(0, 0)));
        bounds |= QRect(positions.constLast(), chart->size());
    }
    const int width = bounds.width(), height = bounds.height();
    const auto paint = [&](QPaintDevice *device) {
        QPainter painter(device);
        for (int i = 0; i < charts.size(); ++i) {
            // QWidget::render, not TimeChart::render: the legend is a child widget of its own.
            static_cast<QWidget *>(charts[i])->render(&painter, positions[i] - bounds.topLeft(), QRegion(),
                                                      QWidget::DrawChildren);
        }
    };
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(QSize(width, height));
        svg.setViewBox(QRect(0, 0, width, height));
        svg.setTitle(QStringLiteral("PoolScope"));
        paint(&svg);
        return QFileInfo(path).size() > 0 ? QString() : QObject::tr("cannot write %1").arg(path);
    }
    QImage image(QSize(width, height), QImage::Format_ARGB32_Premultiplied);
    image.fill(charts.first()->palette().color(QPalette::Window));
    paint(&image);
    if (!image.save(path, suffix == QLatin1String("png") || suffix.isEmpty() ? "PNG" : nullptr))
        return QObject::tr("cannot write %1 (PNG or SVG)").arg(path);
    return {};
}

namespace {

// A recorded target's charts and nothing else: its history, its time the end of the recording.
class HistorySource : public SampleSource
{
public:
    HistorySource(const RecordedTarget &target, qint64 endMs) : m_target(target), m_endMs(endMs) {}
    void start() override
    {
        SamplerStatus status;
        status.state = SamplerStatus::State::Replaying;
        status.kind = m_target.kind;
        Q_EMIT statusChanged(status);
    }
    void stop() override {}
    void restart() override {}
    void setOwnerKey(OwnerKey) override {}
    void setAlertRules(const AlertRules &) override {}
    bool canAct() const override { return false; }
    qint64 nowMs() const override { return m_endMs; }
    History initialHistory() const override { return m_target.history; }

private:
    const RecordedTarget &m_target;
    qint64 m_endMs;
};

} // namespace

QString writeRecordingCharts(const Recording &recording, const QString &path, int width)
{
    if (recording.targets().isEmpty())
        return QObject::tr("the recording has no targets");
    // Laid out like the window, never shown on a screen.
    QWidget page;
    page.setAttribute(Qt::WA_DontShowOnScreen);
    auto *layout = new QVBoxLayout(&page);
    std::vector<std::unique_ptr<TargetController>> targets;
    QList<ChartPanel *> panels;
    for (const RecordedTarget &recorded : recording.targets()) {
        if (recorded.samples.isEmpty())
            continue;
        targets.push_back(std::make_unique<TargetController>(std::make_unique<HistorySource>(recorded, recording.lastMs()),
                                                             recorded.name));
        targets.back()->start();
        auto *panel = new ChartPanel(*targets.back(), &page);
        panel->setWindowSeconds(0);
        layout->addWidget(panel);
        panels.append(panel);
    }
    if (panels.isEmpty())
        return QObject::tr("the recording has no samples");
    page.resize(width, 460 * int(panels.size()));
    page.show();
    QApplication::processEvents();
    QList<TimeChart *> charts;
    for (ChartPanel *panel : std::as_const(panels)) {
        panel->refresh();
        charts += panel->charts();
    }
    QApplication::processEvents();
    return writeCharts(charts, path);
}

} // namespace poolscope::ui
