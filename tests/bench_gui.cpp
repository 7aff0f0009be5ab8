// What the window costs the GUI thread per sample tick, measured as the user pays it: a sample
// of 10,000 sessions (or argv[1]) arrives analysed (the sampler's thread did that, here before
// the clock starts), and the target's view merges it into its tables and trees, redraws its
// charts over a day of history and its overview, and paints - all of it timed together, per
// tick, with the Sessions tab and then the Owners tab in front, at the charts' default window
// and at 24 h. Prints the median and the 95th percentile; never fails on speed.
// Budget (issue 14): 16 ms of GUI-thread work per tick at the 95th percentile.
#include "analysis/pipeline.h"
#include "chartpanel.h"
#include "clocksource.h"
#include "sessionspanel.h"
#include "targetcontroller.h"
#include "targetview.h"
#include "treepanel.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTabWidget>
#include <QTemporaryDir>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <iterator>

using namespace poolscope;
using namespace poolscope::ui;

namespace {

constexpr qint64 kDay = 24 * 3600;

// Sample `generation` of a busy server: one session in ten changes state each second, 2 % of the
// sessions are replaced (pools churn), every one has a tagged query with a stack.
std::shared_ptr<Snapshot> sample(int sessions, int generation, qint64 takenAtMs)
{
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->takenAtMs = takenAtMs;
    snapshot->limits.maxConnections = sessions + 100;
    snapshot->sessions.reserve(sessions);
    const char *const states[] = {"active", "idle", "idle", "idle in transaction", "idle"};
    for (int i = 0; i < sessions; ++i) {
        Session s;
        const int id = i < sessions / 50 ? i + generation * sessions : i;
        const bool changes = i % 10 == generation % 10;
        s.pid = 10000 + id;
        s.backendStartMs = takenAtMs - 3'600'000 + id;
        s.applicationName = QStringLiteral("service-%1").arg(i % 12);
        s.user = QStringLiteral("app");
        s.database = QStringLiteral("shop");
        s.backendType = QStringLiteral("client backend");
        s.clientAddr = QStringLiteral("10.0.%1.%2").arg(i / 250).arg(i % 250);
        s.clientPort = 40000 + i % 20000;
        s.state = QString::fromLatin1(states[(i + (changes ? generation : 0)) % 5]);
        s.query = QStringLiteral("SELECT * FROM orders WHERE id = $1 /*route='%2Forders',stack='orders%3A%3Aload%20orders.cpp%3A")
            + QString::number(i % 40) + QStringLiteral("|http%3A%3Aserve%20http.cpp%3A9'*/");
        s.stateChangeMs = changes ? takenAtMs - 200 : takenAtMs - 3'000'000 + (i % 120) * 1000;
        s.queryStartMs = s.stateChangeMs - 1;
        s.xactStartMs = s.state.startsWith(u"idle in") ? s.stateChangeMs - 5 : 0;
        snapshot->sessions.append(s);
    }
    return snapshot;
}

struct Figures
{
    double median = 0;
    double p95 = 0;
    double worst = 0;
};

double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// One tick of the window: the sample in, and what the event loop paints next. A function of
// its own, so that a profiler can be pointed at it (valgrind --toggle-collect=tick*).
Q_NEVER_INLINE void tick(ClockSource &source, TargetController &target, const AnalysedSamplePtr &sample)
{
    source.setNow(sample->timeMs);
    target.ingest(sample);         // merge, trees, charts, overview…
    QApplication::processEvents(); // …and paint, as the event loop would next
}

Figures figuresOf(QList<double> times)
{
    std::sort(times.begin(), times.end());
    return {times[times.size() / 2], times[qMin(times.size() - 1, qsizetype(times.size() * 95 / 100))], times.last()};
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    // The panels remember their columns in the settings file: not the user's, from a benchmark.
    QTemporaryDir settings;
    qputenv("XDG_CONFIG_HOME", settings.path().toUtf8());
    QApplication app(argc, argv);
    const int sessions = argc > 1 ? std::max(100, QByteArray(argv[1]).toInt()) : 10000;
    const int ticks = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_TICKS") ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_TICKS") : 40;

    struct Case { const char *tab; int tabIndex; const char *window; qint64 seconds; };
    const Case cases[] = {{"Sessions", 0, "5 min", 300}, {"Sessions", 0, "24 h", kDay}, {"Owners", 1, "5 min", 300},
                          {"Owners", 1, "24 h", kDay}};
    // POOLSCOPE_BENCH_CASE=N measures only case N (0-3), for a profiler.
    const int onlyCase = qEnvironmentVariableIsSet("POOLSCOPE_BENCH_CASE") ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_CASE") : -1;
    if (onlyCase < -1 || onlyCase >= int(std::size(cases))) {
        std::fprintf(stderr, "bench_gui: POOLSCOPE_BENCH_CASE must be 0 to %d\n", int(std::size(cases)) - 1);
        return 2;
    }
    if (ticks < 1) {
        std::fprintf(stderr, "bench_gui: POOLSCOPE_BENCH_TICKS must be at least 1\n");
        return 2;
    }
    // The samples of a live target, a second apart and ending now: one to start from, then each
    // case's ticks after the case before, so that the clock only moves forward.
    const int measuredCases = onlyCase >= 0 ? 1 : int(std::size(cases));
    const int samples = measuredCases * ticks + 1;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const auto takenAt = [&](int generation) { return now - qint64(samples - 1 - generation) * 1000; };
    // The sampler thread's part, done before each case's clock, a case's samples at a time rather
    // than all at once: each holds its own 10,000 sessions with their queries.
    AnalysisPipeline pipeline(QStringLiteral("bench"));
    QElapsedTimer analysis;
    qint64 analysisNs = 0;
    int generation = 0;
    const auto analyseNext = [&](int count) {
        QList<AnalysedSamplePtr> analysed;
        analysis.start();
        for (int i = 0; i < count; ++i, ++generation)
            analysed.append(pipeline.analyse(sample(sessions, generation, takenAt(generation)), takenAt(generation)));
        analysisNs += analysis.nsecsElapsed();
        return analysed;
    };
    const AnalysedSamplePtr first = analyseNext(1).first();

    // A target with a day of history behind it (small samples: the charts draw only counts).
    QString error;
    const ConnInfo nowhere = *ConnInfo::parse(QStringLiteral("host=localhost"), &error);
    auto owned = std::make_unique<ClockSource>();
    ClockSource &source = *owned;
    TargetController target(std::move(owned), QStringLiteral("bench"), nowhere);
    target.start();
    {
        AnalysisPipeline small(QStringLiteral("bench"));
        const auto few = sample(40, 0, now);
        for (qint64 s = kDay; s > 0; --s) {
            source.setNow(first->timeMs - s * 1000);
            target.ingest(small.analyseClassified(few, first->timeMs - s * 1000));
        }
    }
    TargetView view(target, QString());
    view.resize(1400, 900);
    view.show();
    source.setNow(first->timeMs);
    target.ingest(first);
    QApplication::processEvents();

    const auto measure = [&](QWidget *tab, qint64 windowSeconds) {
        const QList<AnalysedSamplePtr> analysed = analyseNext(ticks);
        view.tabs()->setCurrentWidget(tab);
        view.charts()->setWindowSeconds(windowSeconds);
        QApplication::processEvents();
        QList<double> times, cpu;
        for (int t = 0; t < ticks; ++t) {
            QElapsedTimer tick;
            const double cpuBefore = threadCpuMs();
            tick.start();
            ::tick(source, target, analysed[t]);
            times.append(double(tick.nsecsElapsed()) / 1e6);
            cpu.append(threadCpuMs() - cpuBefore);
        }
        // What was measured, to look at: $POOLSCOPE_SCREENSHOTS/bench-gui-<tab>-<window>.png
        if (const QString dir = qEnvironmentVariable("POOLSCOPE_SCREENSHOTS"); !dir.isEmpty()) {
            const QString name = QStringLiteral("bench-gui-%1-%2.png").arg(view.tabs()->tabText(view.tabs()->currentIndex()).remove(u'&'))
                                     .arg(windowSeconds);
            view.grab().save(QDir(dir).filePath(name));
        }
        return std::pair{figuresOf(times), figuresOf(cpu)};
    };
    std::printf("bench_gui: one target, %d sessions, 1 in 10 changing and 2 %% replaced a sample, a day of chart "
                "history; GUI-thread time per sample tick (merge + trees + charts + overview + paint), %d ticks:\n",
                sessions, ticks);
    double worstP95 = 0;
    for (const Case &c : cases) {
        if (onlyCase >= 0 && &c - cases != onlyCase)
            continue;
        const auto [f, cpu] = measure(c.tabIndex == 0 ? static_cast<QWidget *>(view.sessions()) : view.owners(), c.seconds);
        worstP95 = std::max(worstP95, f.p95);
        std::printf("  %-8s tab in front, charts over %-5s: median %5.1f ms, 95th percentile %5.1f ms, worst %5.1f ms "
                    "(CPU: median %5.1f, 95th percentile %5.1f)\n",
                    c.tab, c.window, f.median, f.p95, f.worst, cpu.median, cpu.p95);
    }
    std::printf("  worst 95th percentile %.1f ms (budget 16 ms); the sampler thread's analysis of each sample: %.1f ms\n",
                worstP95, double(analysisNs) / 1e6 / samples);
    return 0;
}
