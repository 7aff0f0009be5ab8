// What the window costs per tick, measured offscreen. Prints figures; never fails on speed.
//   - merging a sample of 10,000 sessions (or argv[1]) into the sessions table behind its sort proxy;
//   - the owners tree of that sample;
//   - redrawing the charts over a day of history at 1 s (86,400 points) and over 5 minutes.
// Design budget: ≤ 16 ms of GUI-thread work per tick.
#include "chartpanel.h"
#include "classifier.h"
#include "keyedtreemodel.h"
#include "sessionspanel.h"
#include "targetcontroller.h"
#include "treerows.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTableView>

#include <algorithm>
#include <cstdio>

using namespace poolscope;
using namespace poolscope::ui;

namespace {

constexpr qint64 kNow = 1'800'000'000'000;

SnapshotPtr sample(int sessions, int generation)
{
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->takenAtMs = kNow + generation * 1000LL;
    snapshot->limits.maxConnections = sessions + 100;
    snapshot->sessions.reserve(sessions);
    const char *const states[] = {"active", "idle", "idle", "idle in transaction", "idle"};
    for (int i = 0; i < sessions; ++i) {
        Session s;
        // 2 % of the sessions are replaced every sample: pools churn.
        const int id = i < sessions / 50 ? i + generation * sessions : i;
        s.pid = 10000 + id;
        s.backendStartMs = kNow - 3'600'000 + id;
        s.applicationName = QStringLiteral("service-%1").arg(i % 12);
        s.user = QStringLiteral("app");
        s.database = QStringLiteral("shop");
        s.clientAddr = QStringLiteral("10.0.%1.%2").arg(i / 250).arg(i % 250);
        s.clientPort = 40000 + i % 20000;
        s.state = QString::fromLatin1(states[(i + generation) % 5]);
        s.query = QStringLiteral("SELECT * FROM orders WHERE id = $1 /*route='%2Forders',stack='orders%3A%3Aload%20orders.cpp%3A")
            + QString::number(i % 40) + QStringLiteral("'*/");
        s.stateChangeMs = snapshot->takenAtMs - (i % 120) * 1000;
        s.queryStartMs = s.stateChangeMs;
        s.xactStartMs = s.state.startsWith(u"idle in") ? s.stateChangeMs : 0;
        snapshot->sessions.append(s);
    }
    TagMemory memory;
    memory.apply(*snapshot);
    classify(*snapshot, LeakRules{});
    return snapshot;
}

template <typename F>
double medianMs(int runs, F &&f)
{
    QList<double> times;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer timer;
        timer.start();
        f(i);
        times.append(double(timer.nsecsElapsed()) / 1e6);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);

    // `bench_gui N` measures N sessions instead of 10,000.
    const int kSessions = argc > 1 ? std::max(100, QByteArray(argv[1]).toInt()) : 10000;
    QList<SnapshotPtr> samples;
    for (int g = 0; g < 6; ++g)
        samples.append(sample(kSessions, g));

    SessionsPanel sessions;
    sessions.resize(1200, 500);
    sessions.show();
    sessions.merge(samples[0]);
    const double merge = medianMs(5, [&](int i) {
        sessions.merge(samples[1 + i]);
        QApplication::processEvents();
    });
    const double tick = medianMs(5, [&](int) {
        sessions.tick();
        QApplication::processEvents();
    });
    std::printf("sessions table, %d sessions (2 %% churn), sorted: merge + repaint %.1f ms, duration tick %.1f ms\n",
                kSessions, merge, tick);

    KeyedTreeModel owners(ownerColumns());
    owners.merge(ownerRows(*samples[0], OwnerKey::CodeLocation));
    const double ownerMerge = medianMs(5, [&](int i) { owners.merge(ownerRows(*samples[1 + i], OwnerKey::CodeLocation)); });
    std::printf("owners tree by code location, %d sessions: build + merge %.1f ms\n", kSessions, ownerMerge);

    // A day of history at 1 s, fed as the sampler would (small samples: the chart only sees counts).
    QString error;
    TargetController target(*ConnInfo::parse(QStringLiteral("host=localhost"), &error), SamplerOptions{});
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const SnapshotPtr small = sample(40, 0);
    QElapsedTimer feed;
    feed.start();
    for (int s = History::kDefaultCapacity; s > 0; --s)
        target.ingest(small, now - qint64(s) * 1000);
    const double feedUs = double(feed.nsecsElapsed()) / 1e3 / History::kDefaultCapacity;
    ChartPanel charts(target);
    charts.resize(1200, 400);
    charts.show();
    QApplication::processEvents();
    const auto redraw = [&](qint64 windowSeconds) {
        charts.setWindowSeconds(windowSeconds);
        return medianMs(5, [&](int) {
            charts.setLive(true);
            QApplication::processEvents();
        });
    };
    const double fiveMinutes = redraw(300);
    const int fivePoints = charts.lastPointCount();
    const double day = redraw(24 * 3600);
    const int dayPoints = charts.lastPointCount();
    std::printf("charts, history of %d points (%.0f KB, %.1f us per sample to record): 5 min window %.1f ms "
                "(%d points drawn), 24 h window %.1f ms (%d points drawn)\n",
                target.history().size(), double(target.history().memoryBytes()) / 1024, feedUs, fiveMinutes,
                fivePoints, day, dayPoints);
    return 0;
}
