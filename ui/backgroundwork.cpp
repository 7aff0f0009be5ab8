#include "backgroundwork.h"

#include <QThreadPool>

namespace poolscope::ui {

namespace {

QThreadPool *makePool(int threads)
{
    auto *pool = new QThreadPool;
    pool->setMaxThreadCount(threads);
    pool->setExpiryTimeout(1000);
    return pool;
}

} // namespace

QThreadPool &actionThreads()
{
    static QThreadPool *pool = makePool(4);
    return *pool;
}

QThreadPool &connectionTestThreads()
{
    static QThreadPool *pool = makePool(2);
    return *pool;
}

} // namespace poolscope::ui
