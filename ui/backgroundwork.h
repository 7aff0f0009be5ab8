#pragma once

#include <QtGlobal>

QT_BEGIN_NAMESPACE
class QThreadPool;
QT_END_NAMESPACE

namespace poolscope::ui {

// Thread pools for the blocking work the window hands off and never waits for, kept apart so
// that a hung server one of them waits on cannot starve the other: actions on targets, and
// "Test connection" in the target dialog. Never destroyed, so that quitting does not wait for
// a connection attempt in flight; idle threads end after a second.
QThreadPool &actionThreads();
QThreadPool &connectionTestThreads();

} // namespace poolscope::ui
