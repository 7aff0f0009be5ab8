#pragma once

#include <QtGlobal>

QT_BEGIN_NAMESPACE
class QMainWindow;
class QMenu;
QT_END_NAMESPACE

namespace poolscope::ui {

class WindowRecorder;

// The window's recording commands in its File menu: open a recording to replay it (Ctrl+O),
// record to a file (Ctrl+R), and always record to a directory kept under a size cap (remembered
// in the settings); and the status bar's "recording" indicator.
void addRecordingCommands(QMainWindow *window, QMenu *file, WindowRecorder *recorder);

} // namespace poolscope::ui
