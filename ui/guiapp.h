#pragma once

namespace poolscope::ui {

// `poolscope [CONNINFO…] [--read-only] [--audit-log FILE] [--interval S]`: the window.
int runGui(int argc, char **argv);

} // namespace poolscope::ui
