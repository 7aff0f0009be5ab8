#pragma once

#include <QString>

namespace poolscope::ui {

class DemoSession;
class MainWindow;

// `poolscope [CONNINFO…] [--read-only] [--audit-log FILE] [--interval S] [--demo [--scenario NAME]]`:
// the window.
int runGui(int argc, char **argv);

// Docks the demo panel in the window, starts the demo's host in `scenario`, and opens its
// PostgreSQL and PgBouncer as targets once they run.
void startDemo(MainWindow &window, DemoSession &session, const QString &scenario);

} // namespace poolscope::ui
