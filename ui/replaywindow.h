#pragma once

#include "sampling/sampler.h"

#include <QMainWindow>

#include <functional>
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
class RecordingPlayer;
}

namespace poolscope::ui {

class TargetController;
class TargetView;

// A recording, replayed: the live window's views of every target (overview, charts,
// sessions, owners with stacks, pools, blocking) as of the time on the slider, with play,
// pause, speed, and jumps to the alerts and actions. The views are the live ones fed by a
// RecordingPlayer instead of a sampler: it decodes on a thread of its own, so no seek blocks
// the window. Read-only by construction: a recorded source cannot act, so the views' action
// runners refuse everything.
class ReplayWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit ReplayWindow(std::unique_ptr<Recording> recording, QWidget *parent = nullptr);
    ~ReplayWindow() override;

    // Opens `path` with a progress dialog (the file is read on a thread of its own) and shows
    // the replay, or says why it cannot. Returns the window, or nullptr.
    static ReplayWindow *open(const QString &path, QWidget *parent);

    const Recording &recording() const;
    qint64 position() const { return m_positionMs; }
    // Moves the slider at once; the views follow when the samples there are decoded.
    void seek(qint64 timeMs);
    bool isSeeking() const; // a seek's samples are still being decoded
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
    // Decodes on the player's thread; `done` gets the error in words, or nothing.
    void writeTimeline(const QString &path, std::function<void(const QString &error)> done);

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
    QString chooseExportPath(const QString &title, const QString &filter, const QString &suffix);
    void reportExport(const QString &title, const QString &path, const QString &error);
    void chooseAndExport(const QString &title, const QString &filter, const QString &suffix,
                         QString (ReplayWindow::*write)(const QString &) const);
    int currentTarget() const;

    RecordingPlayer *m_player;
    std::vector<std::unique_ptr<TargetController>> m_controllers;
    QList<TargetView *> m_views;
    QList<Event> m_events;
    QTabWidget *m_tabs;
    QSlider *m_slider;
    QLabel *m_time;
    QComboBox *m_speed;
    QListWidget *m_eventList;
    QAction *m_playAction = nullptr;
    QTimer *m_playTimer;
    qint64 m_positionMs = 0;
    double m_speedFactor = 1;
};

} // namespace poolscope::ui
