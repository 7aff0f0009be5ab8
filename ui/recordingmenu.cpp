#include "recordingmenu.h"

#include "output/privatefiles.h"
#include "plaintext.h"
#include "replaywindow.h"
#include "settings/storedsettings.h"
#include "windowrecorder.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>

namespace poolscope::ui {

namespace {

QString defaultDirectory()
{
    // Beside the audit log: ~/.local/share/poolscope/recordings.
    return dataDirectory() + QStringLiteral("/recordings");
}

} // namespace

void addRecordingCommands(QMainWindow *window, QMenu *file, WindowRecorder *recorder)
{
    QAction *open = new QAction(QObject::tr("&Open recording…"), window);
    open->setShortcut(QKeySequence::Open);
    QObject::connect(open, &QAction::triggered, window, [window] {
        const QString path = QFileDialog::getOpenFileName(window, QObject::tr("Open recording"), defaultDirectory(),
                                                          QObject::tr("PoolScope recordings (*.psrec);;All files (*)"));
        if (!path.isEmpty())
            ReplayWindow::open(path, window);
    });

    QAction *record = new QAction(QObject::tr("&Record to file…"), window);
    record->setObjectName(QStringLiteral("recordAction"));
    record->setCheckable(true);
    record->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    record->setToolTip(QObject::tr("Record every open target's samples, alerts and actions to one file (Ctrl+R)"));
    QAction *always = new QAction(QObject::tr("&Always record (size-capped)…"), window);
    always->setCheckable(true);

    const auto sync = [=] {
        const QSignalBlocker a(record), b(always);
        record->setChecked(recorder->isRecording() && !recorder->isAlwaysOn());
        always->setChecked(recorder->isAlwaysOn());
    };
    QObject::connect(record, &QAction::triggered, window, [=](bool on) {
        if (!on) {
            recorder->stop();
            return;
        }
        const QString suggested = QDir(defaultDirectory()).filePath(
            QStringLiteral("incident-%1.psrec").arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmm"))));
        makePrivateDirectory(defaultDirectory()); // the dialog may choose elsewhere; this one is ours
        const QString path = QFileDialog::getSaveFileName(window, QObject::tr("Record to"), suggested,
                                                          QObject::tr("PoolScope recordings (*.psrec)"));
        QString error;
        if (!path.isEmpty() && !recorder->start(path.endsWith(QLatin1String(".psrec")) ? path : path + QStringLiteral(".psrec"), &error))
            QMessageBox::warning(window, QObject::tr("Record"), richFromPlain(error));
        QSettings().setValue(QStringLiteral("recording/alwaysOn"), false);
        sync();
    });
    QObject::connect(always, &QAction::triggered, window, [=](bool on) {
        QSettings settings;
        if (!on) {
            recorder->stop();
            settings.setValue(QStringLiteral("recording/alwaysOn"), false);
            return;
        }
        bool ok = false;
        const int megabytes = QInputDialog::getInt(
            window, QObject::tr("Always record"),
            QObject::tr("Keep recordings in %1, the oldest removed beyond (MB):").arg(defaultDirectory()),
            readStoredSettings(settings).recordingCapMegabytes, StoredSettings::kMinRecordingCapMegabytes,
            StoredSettings::kMaxRecordingCapMegabytes, 64, &ok);
        QString error;
        if (ok && recorder->startAlwaysOn(defaultDirectory(), qint64(megabytes) << 20, &error)) {
            settings.setValue(QStringLiteral("recording/alwaysOn"), true);
            settings.setValue(QStringLiteral("recording/capMegabytes"), megabytes);
        } else if (ok) {
            QMessageBox::warning(window, QObject::tr("Always record"), richFromPlain(error));
        }
        sync();
    });

    auto *indicator = new QLabel(window);
    indicator->setObjectName(QStringLiteral("recordingIndicator"));
    window->statusBar()->addPermanentWidget(indicator);
    QObject::connect(recorder, &WindowRecorder::changed, indicator, [=] {
        const qint64 bytes = recorder->bytesWritten();
        const QString size = bytes < 1'000'000 ? QObject::tr("%1 KB").arg(bytes / 1e3, 0, 'f', 0)
                                               : QObject::tr("%1 MB").arg(bytes / 1e6, 0, 'f', 1);
        indicator->setText(recorder->isRecording()
                               ? QObject::tr("<span style='color:#c62828'>●</span> recording %1%2")
                                     .arg(size, recorder->isAlwaysOn() ? QObject::tr(" (always on)") : QString())
                               : QString());
        indicator->setToolTip(recorder->path());
        sync();
    });
    QObject::connect(recorder, &WindowRecorder::failed, window,
                     [window](const QString &message) { QMessageBox::warning(window, QObject::tr("Recording stopped"), richFromPlain(message)); });

    QAction *first = file->actions().value(0);
    file->insertAction(first, open);
    file->insertAction(first, record);
    file->insertAction(first, always);
    file->insertSeparator(first);
    // The record button beside the window's other everyday commands.
    if (auto *toolBar = window->findChild<QToolBar *>(QStringLiteral("mainToolBar")))
        toolBar->addAction(record);

    QSettings settings;
    const StoredSettings stored = readStoredSettings(settings);
    if (stored.alwaysRecord) {
        QString error;
        if (!recorder->startAlwaysOn(defaultDirectory(), qint64(stored.recordingCapMegabytes) << 20, &error))
            window->statusBar()->showMessage(QObject::tr("Always-on recording could not start: %1").arg(error));
        sync();
    }
}

} // namespace poolscope::ui
