#include "replaywindow.h"

#include "plaintext.h"
#include "chartexport.h"
#include "chartpanel.h"
#include "output/csvexport.h"
#include "recording/incidentreport.h"
#include "recording/recordingplayer.h"
#include "targetcontroller.h"
#include "targetview.h"

#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QEventLoop>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSlider>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QToolBar>

#include <atomic>

namespace poolscope::ui {

namespace {

constexpr qint64 kSliderStepMs = 100;
constexpr int kPlayTickMs = 100;

QString clockText(qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss")); }

QString writeText(const QString &path, const QString &text)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text.toUtf8()) < 0)
        return QObject::tr("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

} // namespace

ReplayWindow::ReplayWindow(std::unique_ptr<Recording> opened, QWidget *parent)
    : QMainWindow(parent)
    , m_player(new RecordingPlayer(std::move(opened), this))
    , m_tabs(new QTabWidget(this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_time(new QLabel(this))
    , m_speed(new QComboBox(this))
    , m_eventList(new QListWidget(this))
    , m_playTimer(new QTimer(this))
{
    setAttribute(Qt::WA_DeleteOnClose);
    setObjectName(QStringLiteral("replayWindow"));
    const QString name = recording().path().isEmpty() ? tr("recording") : QFileInfo(recording().path()).fileName();
    setWindowTitle(tr("%1 — PoolScope replay").arg(name));
    for (int t = 0; t < recording().targets().size(); ++t) {
        const RecordedTarget &target = recording().targets()[t];
        m_controllers.push_back(std::make_unique<TargetController>(m_player->takeSource(t), target.name));
        auto *view = new TargetView(*m_controllers.back(), QString(), this);
        m_views.append(view);
        m_tabs->addTab(view, target.name);
        m_controllers.back()->start();
    }
    // The charts' right edge is the replay's position: redrawn when the samples there are in.
    connect(m_player, &RecordingPlayer::shown, this, [this] {
        for (TargetView *view : std::as_const(m_views))
            view->charts()->refresh();
    });
    connect(m_player, &RecordingPlayer::problem, this, [this](const QString &message) { statusBar()->showMessage(safeLine(message)); });
    m_tabs->setDocumentMode(true);
    setCentralWidget(m_tabs);

    // The transport: play/pause, speed, the time slider and where it stands.
    auto *transport = new QToolBar(tr("Replay"), this);
    transport->setObjectName(QStringLiteral("transport"));
    transport->setMovable(false);
    addToolBar(Qt::BottomToolBarArea, transport);
    m_slider->setObjectName(QStringLiteral("replaySlider"));
    const qint64 span = qMax<qint64>(0, recording().lastMs() - recording().firstMs());
    m_slider->setRange(0, int(qMin<qint64>(span / kSliderStepMs, std::numeric_limits<int>::max())));
    m_slider->setPageStep(int(60'000 / kSliderStepMs));
    m_slider->setToolTip(tr("Time in the recording; drag, or step with Alt+Left/Right (a minute with Shift)"));
    for (double speed : {1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0})
        m_speed->addItem(tr("%1×").arg(speed), speed);
    m_speed->setCurrentIndex(3);
    m_speed->setToolTip(tr("Replay speed"));
    m_time->setMinimumWidth(m_time->fontMetrics().horizontalAdvance(QStringLiteral("00:00:00 (+00:00:00 of 00:00:00)  ")));
    createActions();
    transport->addAction(m_playAction);
    transport->addWidget(m_speed);
    transport->addWidget(m_slider);
    transport->addWidget(m_time);

    // Alerts, actions and gaps, in time order; activating one jumps there.
    buildEvents();
    auto *dock = new QDockWidget(tr("Alerts and actions"), this);
    dock->setObjectName(QStringLiteral("replayEvents"));
    dock->setWidget(m_eventList);
    m_eventList->setMinimumWidth(m_eventList->fontMetrics().horizontalAdvance(u'M') * 30);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    resizeDocks({dock}, {m_eventList->fontMetrics().horizontalAdvance(u'M') * 34}, Qt::Horizontal);
    connect(m_eventList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        seek(item->data(Qt::UserRole).toLongLong());
    });

    connect(m_slider, &QSlider::valueChanged, this,
            [this](int value) { seek(recording().firstMs() + qint64(value) * kSliderStepMs); });
    connect(m_speed, &QComboBox::currentIndexChanged, this, [this] { m_speedFactor = m_speed->currentData().toDouble(); });
    m_speedFactor = m_speed->currentData().toDouble();
    connect(m_playTimer, &QTimer::timeout, this, [this] {
        const qint64 next = m_positionMs + qint64(kPlayTickMs * m_speedFactor);
        seek(next);
        if (next >= recording().lastMs())
            setPlaying(false);
    });
    statusBar()->showMessage(recording().problems().isEmpty()
                                 ? tr("Replay — read-only: nothing here reaches a server")
                                 : tr("Replay — %n damaged part(s) skipped; see the list on the right", nullptr,
                                      int(recording().problems().size())));
    resize(1400, 900);
    // PostgreSQL first: that is where the sessions, owners and stacks are.
    for (int t = 0; t < recording().targets().size(); ++t) {
        if (recording().targets()[t].kind == TargetKind::PostgreSQL) {
            m_tabs->setCurrentIndex(t);
            break;
        }
    }
    seek(recording().firstMs());
}

ReplayWindow::~ReplayWindow()
{
    // The views refer to the controllers: they go first.
    qDeleteAll(m_views);
    m_views.clear();
}

ReplayWindow *ReplayWindow::open(const QString &path, QWidget *parent)
{
    // Reading a day-long recording takes a while: on a thread, with progress and Cancel.
    std::atomic<qint64> done{0}, total{1};
    std::atomic<bool> cancelled{false};
    std::unique_ptr<Recording> recording;
    QString error;
    QThread *reader = QThread::create([&] {
        recording = Recording::open(path, &error, [&](qint64 d, qint64 t) {
            done = d;
            total = qMax<qint64>(1, t);
            return !cancelled;
        });
        if (recording)
            recording->moveToThread(QCoreApplication::instance()->thread()); // read from the GUI thread from now on
    });
    QProgressDialog progress(QObject::tr("Reading %1…").arg(QFileInfo(path).fileName()), QObject::tr("Cancel"), 0, 1000,
                             parent);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(300);
    QEventLoop loop;
    QObject::connect(reader, &QThread::finished, &loop, &QEventLoop::quit);
    QObject::connect(&progress, &QProgressDialog::canceled, [&] { cancelled = true; });
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, [&] { progress.setValue(int(done * 1000 / total)); });
    poll.start(100);
    reader->start();
    loop.exec();
    reader->wait();
    delete reader;
    progress.close();
    const bool sampled = recording && std::any_of(recording->targets().cbegin(), recording->targets().cend(),
                                                  [](const RecordedTarget &t) { return !t.samples.isEmpty(); });
    if (recording && !sampled)
        error = QObject::tr("%1 holds no samples yet: it was started, but no target was sampled before it ended").arg(path);
    if (!sampled) {
        if (!cancelled)
            QMessageBox::warning(parent, QObject::tr("Open recording"), richFromPlain(error));
        return nullptr;
    }
    auto *window = new ReplayWindow(std::move(recording), nullptr);
    window->show();
    return window;
}

void ReplayWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *charts = file->addAction(tr("Export &charts (PNG or SVG)…"), this, [this] {
        chooseAndExport(tr("Export charts"), tr("PNG image (*.png);;SVG drawing (*.svg)"), QStringLiteral("png"),
                        &ReplayWindow::exportCharts);
    });
    charts->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addAction(tr("Export &sessions at this time (CSV)…"), this, [this] {
        chooseAndExport(tr("Export sessions"), tr("CSV (*.csv)"), QStringLiteral("csv"), &ReplayWindow::exportSessions);
    });
    file->addAction(tr("Export &owners at this time (CSV)…"), this, [this] {
        chooseAndExport(tr("Export owners"), tr("CSV (*.csv)"), QStringLiteral("csv"), &ReplayWindow::exportOwners);
    });
    file->addAction(tr("Export c&ounts over time (CSV)…"), this, [this] {
        chooseAndExport(tr("Export counts over time"), tr("CSV (*.csv)"), QStringLiteral("csv"), &ReplayWindow::exportCounts);
    });
    file->addSeparator();
    QAction *timeline = file->addAction(tr("Write incident &timeline (Markdown)…"), this, [this] {
        const QString path = chooseExportPath(tr("Incident timeline"), tr("Markdown (*.md)"), QStringLiteral("md"));
        if (!path.isEmpty())
            writeTimeline(path, [this, path](const QString &error) { reportExport(tr("Incident timeline"), path, error); });
    });
    timeline->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    file->addSeparator();
    file->addAction(tr("&Close"), QKeySequence::Close, this, &QWidget::close);

    QMenu *replay = menuBar()->addMenu(tr("&Replay"));
    m_playAction = replay->addAction(tr("&Play"), this, [this] { setPlaying(!isPlaying()); });
    m_playAction->setObjectName(QStringLiteral("play"));
    m_playAction->setShortcut(QKeySequence(Qt::Key_Space));
    m_playAction->setToolTip(tr("Play or pause (Space)"));
    const auto add = [&](const QString &text, const QKeySequence &keys, auto slot) {
        QAction *action = replay->addAction(text, this, slot);
        action->setShortcut(keys);
        addAction(action);
    };
    add(tr("Next sample"), QKeySequence(Qt::ALT | Qt::Key_Right), [this] { step(1); });
    add(tr("Previous sample"), QKeySequence(Qt::ALT | Qt::Key_Left), [this] { step(-1); });
    add(tr("A minute on"), QKeySequence(Qt::ALT | Qt::SHIFT | Qt::Key_Right), [this] { seek(m_positionMs + 60'000); });
    add(tr("A minute back"), QKeySequence(Qt::ALT | Qt::SHIFT | Qt::Key_Left), [this] { seek(m_positionMs - 60'000); });
    add(tr("Next alert or action"), QKeySequence(Qt::Key_F8), [this] { jumpToEvent(+1); });
    add(tr("Previous alert or action"), QKeySequence(Qt::SHIFT | Qt::Key_F8), [this] { jumpToEvent(-1); });
    add(tr("Start"), QKeySequence(Qt::CTRL | Qt::Key_Home), [this] { seek(recording().firstMs()); });
    add(tr("End"), QKeySequence(Qt::CTRL | Qt::Key_End), [this] { seek(recording().lastMs()); });
    addAction(m_playAction);
}

void ReplayWindow::buildEvents()
{
    for (const Alert &alert : recording().alerts()) {
        m_events.append({alert.firedAtMs, tr("alert: %1").arg(alert.message)});
        if (!alert.isActive())
            m_events.append({alert.clearedAtMs, tr("cleared: %1 (%2)").arg(alert.code, alert.target)});
    }
    for (const AuditEntry &action : recording().actions())
        m_events.append({action.time.toMSecsSinceEpoch(),
                         tr("action: %1 on %2 → %3").arg(action.action, action.target, action.status)});
    for (const RecordedTarget &target : recording().targets()) {
        for (int i = 0; i < target.history.size(); ++i) {
            if (target.history.at(i).gap)
                m_events.append({target.history.at(i).timeMs, tr("%1 could not be sampled").arg(target.name)});
        }
    }
    std::stable_sort(m_events.begin(), m_events.end(), [](const Event &a, const Event &b) { return a.timeMs < b.timeMs; });
    for (const Event &event : std::as_const(m_events)) {
        auto *item = new QListWidgetItem(clockText(event.timeMs) + QStringLiteral("  ") + safeLine(event.text), m_eventList);
        item->setData(Qt::UserRole, event.timeMs);
        item->setToolTip(richFromPlain(event.text));
    }
    for (const QString &problem : recording().problems())
        new QListWidgetItem(tr("damaged: %1").arg(safeLine(problem)), m_eventList);
    if (m_eventList->count() == 0)
        new QListWidgetItem(tr("No alerts or actions were recorded."), m_eventList);
}

const Recording &ReplayWindow::recording() const { return m_player->recording(); }

void ReplayWindow::seek(qint64 timeMs)
{
    m_positionMs = std::clamp(timeMs, recording().firstMs(), recording().lastMs());
    m_player->seek(m_positionMs);
    showPosition();
}

bool ReplayWindow::isSeeking() const { return m_player->isSeeking(); }

void ReplayWindow::showPosition()
{
    const auto duration = [](qint64 ms) {
        const qint64 s = ms / 1000;
        return QStringLiteral("%1:%2:%3").arg(s / 3600, 2, 10, QLatin1Char('0')).arg(s / 60 % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    };
    m_time->setText(tr("%1 (+%2 of %3)")
                        .arg(clockText(m_positionMs), duration(m_positionMs - recording().firstMs()),
                             duration(recording().lastMs() - recording().firstMs())));
    const QSignalBlocker blocker(m_slider);
    m_slider->setValue(int((m_positionMs - recording().firstMs()) / kSliderStepMs));
}

void ReplayWindow::step(int samples)
{
    // By the samples of the target in view, so every step shows a new sample.
    if (currentTarget() < 0)
        return;
    const RecordedTarget &target = recording().targets()[currentTarget()];
    if (target.samples.isEmpty())
        return;
    const int now = target.sampleAtOrBefore(m_positionMs);
    const int next = std::clamp(now + samples, 0, int(target.samples.size()) - 1);
    if (next >= 0)
        seek(target.samples[next].timeMs);
}

void ReplayWindow::setPlaying(bool playing)
{
    if (playing && m_positionMs >= recording().lastMs())
        seek(recording().firstMs());
    if (playing)
        m_playTimer->start(kPlayTickMs);
    else
        m_playTimer->stop();
    m_playAction->setText(playing ? tr("&Pause") : tr("&Play"));
}

bool ReplayWindow::isPlaying() const { return m_playTimer->isActive(); }

void ReplayWindow::setSpeed(double speed)
{
    const int index = m_speed->findData(speed);
    if (index >= 0)
        m_speed->setCurrentIndex(index);
}

bool ReplayWindow::jumpToEvent(int direction)
{
    if (direction > 0) {
        for (const Event &event : std::as_const(m_events)) {
            if (event.timeMs > m_positionMs) {
                seek(event.timeMs);
                return true;
            }
        }
    } else {
        for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
            if (it->timeMs < m_positionMs) {
                seek(it->timeMs);
                return true;
            }
        }
    }
    statusBar()->showMessage(direction > 0 ? tr("No alert or action after this time") : tr("No alert or action before this time"), 4000);
    return false;
}

QList<TargetView *> ReplayWindow::views() const { return m_views; }

int ReplayWindow::currentTarget() const { return m_tabs->currentIndex(); }

TargetView *ReplayWindow::currentView() const { return m_views.value(currentTarget()); }

void ReplayWindow::selectTarget(int index) { m_tabs->setCurrentIndex(index); }

QString ReplayWindow::exportCharts(const QString &path) const
{
    const TargetView *view = currentView();
    return view ? writeCharts(view->charts()->charts(), path) : tr("no target");
}

QString ReplayWindow::exportSessions(const QString &path) const
{
    const TargetView *view = currentView();
    if (!view || !view->target().postgres() || view->target().kind() != TargetKind::PostgreSQL)
        return tr("sessions can be exported for PostgreSQL targets, at a time they were sampled");
    return writeText(path, sessionsCsv(*view->target().postgres()));
}

QString ReplayWindow::exportOwners(const QString &path) const
{
    const TargetView *view = currentView();
    if (!view || !view->target().postgres() || view->target().kind() != TargetKind::PostgreSQL)
        return tr("owners can be exported for PostgreSQL targets, at a time they were sampled");
    return writeText(path, ownersCsv(view->target().owners(), view->target().ownerKey()));
}

QString ReplayWindow::exportCounts(const QString &path) const
{
    const int t = currentTarget();
    return t < 0 ? tr("no target") : writeText(path, countsCsv(recording().targets()[t]));
}

void ReplayWindow::writeTimeline(const QString &path, std::function<void(const QString &error)> done)
{
    // The chart beside the Markdown, named after it: drawn here from the histories the
    // recording keeps; the timeline decodes samples, on the player's thread.
    const QFileInfo info(path);
    const QString chart = info.path() + u'/' + info.completeBaseName() + QStringLiteral(".png");
    TimelineOptions options;
    if (writeRecordingCharts(recording(), chart).isEmpty())
        options.chartImage = QFileInfo(chart).fileName();
    statusBar()->showMessage(tr("Writing the incident timeline…"));
    m_player->run([options, path](Recording &recording) { return writeText(path, incidentTimeline(recording, options)); },
                  this, std::move(done));
}

QString ReplayWindow::chooseExportPath(const QString &title, const QString &filter, const QString &suffix)
{
    const QString base = QFileInfo(recording().path()).completeBaseName();
    const QString suggested = (base.isEmpty() ? QStringLiteral("poolscope") : base) + u'-' +
                              QDateTime::fromMSecsSinceEpoch(m_positionMs).toString(QStringLiteral("HHmmss")) + u'.' + suffix;
    QString path = QFileDialog::getSaveFileName(this, title, suggested, filter);
    if (!path.isEmpty() && QFileInfo(path).suffix().isEmpty())
        path += u'.' + suffix;
    return path;
}

void ReplayWindow::reportExport(const QString &title, const QString &path, const QString &error)
{
    if (error.isEmpty())
        statusBar()->showMessage(tr("Written to %1").arg(path), 6000);
    else
        QMessageBox::warning(this, title, richFromPlain(error));
}

void ReplayWindow::chooseAndExport(const QString &title, const QString &filter, const QString &suffix,
                                   QString (ReplayWindow::*write)(const QString &) const)
{
    const QString path = chooseExportPath(title, filter, suffix);
    if (!path.isEmpty())
        reportExport(title, path, (this->*write)(path));
}

} // namespace poolscope::ui
