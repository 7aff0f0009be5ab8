#pragma once

#include "sampling/sampler.h"

#include <QMainWindow>

#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QListWidget;
class QSlider;
class QTabWidget;
class QTimer;
QT_END_NAMESPACE

namespace poolscope {
class Recording;
}

namespace poolscope::ui {

class TargetController;
class TargetView;

// A recording, replayed: the live window's views of every target (overview, charts,
// sessions, owners with stacks, pools, blocking) as of the time on the slider, with play,
// pause, speed, and jumps to the alerts and actions. Read-only by construction: its views have
// no sampler and their action runners refuse everything.
class ReplayWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit ReplayWindow(std::unique_ptr<Recording> recording, QWidget *parent = nullptr);
    ~ReplayWindow() override;

    // Opens `path` with a progress dialog (the file is read on a thread of its own) and shows
    // the replay, or says why it cannot. Returns the window, or nullptr.
    static ReplayWindow *open(const QString &path, QWidget *parent);

    Recording &recording() const { return *m_recording; }
    qint64 position() const { return m_positionMs; }
    void seek(qint64 timeMs);
    void setPlaying(bool playing);
    bool isPlaying() const;
    void setSpeed(double speed);
    bool jumpToEvent(int direction); // +1 next alert or action, -1 previous
    QList<TargetView *> views() const;
    TargetView *currentView() const;
    void selectTarget(int index);

    // The exports of the File menu, to a given file; an error in words, or nothing.
    QString exportCharts(const QString &path) const;
    QString exportSessions(const QString &path) const;
    QString exportOwners(const QString &path) const;
    QString exportCounts(const QString &path) const;
    QString writeTimeline(const QString &path) const;

private:
    struct Event
    {
        qint64 timeMs = 0;
        QString text;
    };
    void createActions();
    void buildEvents();
    void step(int samples);
    void showPosition();
    void chooseAndExport(const QString &title, const QString &filter, const QString &suffix,
                         QString (ReplayWindow::*write)(const QString &) const);
    int currentTarget() const;

    std::unique_ptr<Recording> m_recording;
    std::vector<std::unique_ptr<TargetController>> m_controllers;
    QList<TargetView *> m_views;
    QList<int> m_shownSample; // per target: the sample on screen (-1: none yet)
    QList<Event> m_events;
    QTabWidget *m_tabs;
    QSlider *m_slider;
    QLabel *m_time;
    QComboBox *m_speed;
    QListWidget *m_eventList;
    QAction *m_playAction = nullptr;
    QTimer *m_player;
    qint64 m_positionMs = 0;
    double m_speedFactor = 1;
};

} // namespace poolscope::ui
