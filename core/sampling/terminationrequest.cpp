#include "sampling/terminationrequest.h"

#include <QCoreApplication>
#include <QTimer>

#include <atomic>
#include <csignal>

namespace poolscope {

namespace {

// A signal handler may only set a flag; the event loop looks at it.
std::atomic<int> g_requests{0};
void onSignal(int) { ++g_requests; }

} // namespace

void onTerminationRequest(std::function<void()> handler)
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    std::signal(SIGHUP, onSignal);
    auto *poll = new QTimer(QCoreApplication::instance());
    QObject::connect(poll, &QTimer::timeout, poll, [handler = std::move(handler), seen = 0]() mutable {
        const int requests = g_requests;
        if (requests == seen)
            return;
        seen = requests;
        handler();
    });
    poll->start(100);
}

} // namespace poolscope
