#pragma once

#include <functional>

namespace poolscope {

// Ctrl-C, SIGTERM (logout, systemctl stop, kill) and SIGHUP (the SSH session went away) run
// `handler` on the calling thread's event loop, once per signal, so that the program closes its
// connections and files and saves its settings on the way out instead of dying mid-write.
void onTerminationRequest(std::function<void()> handler);

} // namespace poolscope
