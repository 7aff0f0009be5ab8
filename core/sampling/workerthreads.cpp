#include "sampling/workerthreads.h"

#include <QObject>
#include <QThread>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace poolscope::workerthreads {

namespace {

struct Running
{
    std::mutex mutex;
    std::condition_variable ended;
    int count = 0;
};

// Never destroyed: a thread still stuck at exit may touch it.
Running &runningThreads()
{
    static auto *threads = new Running;
    return *threads;
}

} // namespace

QThread *start(QObject *worker, const QString &name)
{
    auto *thread = new QThread;
    thread->setObjectName(name);
    worker->moveToThread(thread);
    // The worker goes with its thread's last events, the thread object on the starting
    // thread's loop (or with the process).
    QObject::connect(thread, &QThread::finished, worker, &QObject::deleteLater);
    QObject::connect(thread, &QThread::finished, thread, [] {
        Running &running = runningThreads();
        {
            std::lock_guard lock(running.mutex);
            --running.count;
        }
        running.ended.notify_all();
    }, Qt::DirectConnection);
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    {
        std::lock_guard lock(runningThreads().mutex);
        ++runningThreads().count;
    }
    thread->start();
    return thread;
}

void finish(QObject *worker)
{
    QMetaObject::invokeMethod(worker, [worker] { worker->thread()->quit(); }, Qt::QueuedConnection);
}

bool waitForAll(std::chrono::milliseconds timeout)
{
    Running &running = runningThreads();
    std::unique_lock lock(running.mutex);
    return running.ended.wait_for(lock, timeout, [&running] { return running.count == 0; });
}

int finishProcess(int exitCode)
{
    if (waitForAll(std::chrono::milliseconds(1000)))
        return exitCode;
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(exitCode); // no destructors: they would run under the stuck thread
}

int running()
{
    std::lock_guard lock(runningThreads().mutex);
    return runningThreads().count;
}

} // namespace poolscope::workerthreads
