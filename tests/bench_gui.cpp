// What the window costs per tick, measured offscreen. Prints figures; never fails on speed.
//   - merging a sample of 10,000 sessions (or argv[1]) into the sessions table behind its sort proxy;
//   - the owners tree of that sample;
//   - redrawing the charts over a day of history at 1 s (86,400 points) and over 5 minutes.
// Design budget: ≤ 16 ms of GUI-thread work per tick.
#include "chartpanel.h"
#include "analysis/classifier.h"
#include "keyedtreemodel.h"
#include "sessionspanel.h"
#include "targetcontroller.h"
#include "analysis/pipeline.h"
#include "sampling/sampler.h"
#include "treerows.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTableView>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace poolscope;
using namespace poolscope::ui;

namespace {

constexpr qint64 kNow = 1'800'000'000'000;

// `allChange`: every session changes state each sample (the worst case); otherwise one in ten
// does, as on a large server where most sessions sit idle between samples.
SnapshotPtr sample(int sessions, int generation, bool allChange)
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
        s.state = QString::fromLatin1(states[(i + (allChange || i % 10 == 0 ? generation : 0)) % 5]);
        s.query = QStringLiteral("SELECT * FROM orders WHERE id = $1 /*route='%2Forders',stack='orders%3A%3Aload%20orders.cpp%3A")
            + QString::number(i % 40) + QStringLiteral("'*/");
        s.stateChangeMs = kNow - (i % 120) * 1000 + (allChange || i % 10 == 0 ? generation * 1000LL : 0);
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
    // The panels remember their columns in the settings file: not the user's, from a benchmark.
    QTemporaryDir settings;
    qputenv("XDG_CONFIG_HOME", settings.path().toUtf8());
    QApplication app(argc, argv);

    // `bench_gui N` measures N sessions instead of 10,000.
    const int kSessions = argc > 1 ? std::max(100, QByteArray(argv[1]).toInt()) : 10000;
    QList<SnapshotPtr> samples, typical;
    for (int g = 0; g < 6; ++g) {
        samples.append(sample(kSessions, g, true));
        typical.append(sample(kSessions, g, false));
    }

    {
        // Where the time goes: the model alone, then behind the sort proxy.
        SessionTableModel model;
        SessionFilterProxy proxy;
        model.merge(samples[0], kNow);
        const double alone = medianMs(5, [&](int i) { model.merge(samples[1 + i], kNow); });
        proxy.setSourceModel(&model);
        proxy.sort(SessionTableModel::InState, Qt::DescendingOrder);
        model.merge(typical[0], kNow);
        const double sorted = medianMs(5, [&](int i) { model.merge(typical[1 + i], kNow); });
        std::printf("  (model alone %.1f ms; behind the sort proxy, one in ten changed: %.1f ms)\n", alone, sorted);
    }

    SessionsPanel sessions;
    sessions.resize(1200, 500);
    sessions.show();
    const auto mergeCost = [&](const QList<SnapshotPtr> &series) {
        sessions.merge(series[0], kNow);
        QApplication::processEvents();
        return medianMs(5, [&](int i) {
            sessions.merge(series[1 + i], kNow);
            QApplication::processEvents();
        });
    };
    const double merge = mergeCost(samples);
    const double mergeTypical = mergeCost(typical);
    const double tick = medianMs(5, [&](int) {
        sessions.tick();
        QApplication::processEvents();
    });
    std::printf("sessions table, %d sessions (2 %% replaced per sample), sorted: merge + repaint %.1f ms when every "
                "session changed, %.1f ms when one in ten did; duration tick %.1f ms\n",
                kSessions, merge, mergeTypical, tick);

    KeyedTreeModel owners(ownerColumns());
    // The whole owners pipeline of a tick: group (the target does it once for the overview,
    // the alerts and the tree), build the rows, merge them.
    const auto ownersOf = [](const Snapshot &s) { return ownerRows(s, groupOwners(s, OwnerKey::CodeLocation)); };
    owners.merge(ownersOf(*samples[0]));
    const double ownerMerge = medianMs(5, [&](int i) { owners.merge(ownersOf(*samples[1 + i])); });
    std::printf("owners tree by code location, %d sessions: group + build + merge %.1f ms\n", kSessions, ownerMerge);

    // A day of history at 1 s, fed as the sampler would (small samples: the chart only sees counts).
    QString error;
    const ConnInfo nowhere = *ConnInfo::parse(QStringLiteral("host=localhost"), &error);
    TargetController target(std::make_unique<Sampler>(nowhere, SamplerOptions{}), QStringLiteral("bench"), nowhere);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const SnapshotPtr small = sample(40, 0, false);
    AnalysisPipeline pipeline(QStringLiteral("bench"));
    QElapsedTimer feed;
    feed.start();
    for (int s = History::kDefaultCapacity; s > 0; --s)
        target.ingest(pipeline.analyseClassified(small, now - qint64(s) * 1000));
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
