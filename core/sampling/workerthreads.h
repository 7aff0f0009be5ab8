#pragma once

#include <QtGlobal>

#include <QString>

#include <chrono>

QT_BEGIN_NAMESPACE
class QObject;
class QThread;
QT_END_NAMESPACE

namespace poolscope {

// Threads that each carry one worker object (a sampler's connection, a replay's decoder, a
// recording's file) and end on their own: nobody waits for them on the GUI thread. Ending one
// is asking its worker to finish (finish()); the thread then quits, the worker is deleted on
// it and the thread object on the thread that started it.
namespace workerthreads {

// Moves `worker` to a new thread named `name` and starts it.
QThread *start(QObject *worker, const QString &name);

// Quits the worker's thread once the events already posted to the worker are handled.
void finish(QObject *worker);

// Waits until every such thread of the process has ended, for at most `timeout`: what a
// process does before it exits. False when one is still stuck (libpq does not interrupt a DNS
// lookup): exit then without running destructors.
bool waitForAll(std::chrono::milliseconds timeout);

// What a program does last, while its QCoreApplication still exists (without it no thread
// receives events any more, its stop request included): waits up to a second for these
// threads, then returns `exitCode`, or leaves at once with it when one is still stuck.
int finishProcess(int exitCode);

// How many of them run now (tests check that none outlives its purpose).
int running();

} // namespace workerthreads
} // namespace poolscope
