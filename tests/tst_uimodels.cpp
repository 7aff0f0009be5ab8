// The window's models on fixtures: merging samples keeps rows, selection and expansion.
#include "analysis/classifier.h"
#include "analysis/pipeline.h"
#include "cachedtextdelegate.h"
#include "chartlegend.h"
#include "clocksource.h"
#include "confirmdialog.h"
#include "keyedtreemodel.h"
#include "output/safetext.h"
#include "overviewstrip.h"
#include "sessionspanel.h"
#include "sessiontablemodel.h"
#include "steadylabels.h"
#include "targetcontroller.h"
#include "timechart.h"
#include "tracedialogs.h"
#include "treepanel.h"
#include "treerows.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QChartView>
#include <QApplication>
#include <QComboBox>
#include <QContextMenuEvent>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QSignalSpy>
#include <QTableView>
#include <QDateTime>
#include <QTest>
#include <QTreeView>

#include <functional>
#include <random>

using namespace poolscope;
using namespace poolscope::ui;

namespace {

constexpr qint64 kNow = 1'800'000'000'000;

Session session(int pid, const char *app, const char *state, qint64 backendStart = 0, const char *query = "SELECT 1")
{
    Session s;
    s.pid = pid;
    s.applicationName = QString::fromLatin1(app);
    s.user = QStringLiteral("shop");
    s.database = QStringLiteral("shop");
    s.state = QString::fromLatin1(state);
    s.query = QString::fromLatin1(query);
    s.backendStartMs = backendStart ? backendStart : kNow - 600'000 - pid;
    s.xactStartMs = QString::fromLatin1(state).startsWith(u"idle in") ? kNow - 120'000 : 0;
    s.queryStartMs = kNow - 120'000;
    s.stateChangeMs = kNow - 120'000;
    return s;
}

SnapshotPtr snapshotOf(QList<Session> sessions, const AppCallSites &callSites = {})
{
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->takenAtMs = kNow;
    snapshot->limits.maxConnections = 100;
    snapshot->sessions = std::move(sessions);
    TagMemory memory;
    memory.apply(*snapshot);
    AppCallSiteCache(callSites).apply(*snapshot);
    classify(*snapshot, LeakRules{});
    return snapshot;
}

// A sample taken just now, on the wall clock the model ticks by.
void mergeNow(SessionTableModel &model, const SnapshotPtr &snapshot)
{
    model.merge(snapshot, QDateTime::currentMSecsSinceEpoch());
}

int pidAt(const QAbstractItemModel &model, int row)
{
    return model.index(row, SessionTableModel::Pid).data(SessionTableModel::PidRole).toInt();
}

// Starts `target` on `source` and gives it one sample, taken when the source's clock says: years
// before the wall clock, which must not count. Returns that time.
qint64 startWithOneSample(TargetController &target, ClockSource &source)
{
    const qint64 takenAt = 1'600'000'000'000;
    target.start();
    source.setNow(takenAt);
    target.ingest(AnalysisPipeline(QStringLiteral("t")).analyseClassified(snapshotOf({session(1, "a", "idle")}), takenAt));
    return takenAt;
}

const char kStackQuery[] = "SELECT 1 /*stack='billing%3A%3Acharge%20charge.cpp%3A88|http%3A%3Aserve'*/";
const char kTracedQuery[] = "SELECT 1 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/";

} // namespace

// Stands in for the browser: QDesktopServices hands it the links it would open.
class UrlCatcher : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> urls;
public Q_SLOTS:
    void open(const QUrl &url) { urls.append(url); }
};

class TestUiModels : public QObject
{
    Q_OBJECT

    QTemporaryDir m_config;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8()); // not the user's settings
    }

    // A session's trace: its column, and "Open trace in browser" in its context menu and on
    // Ctrl+Shift+T, on only for a session with a trace id once a template is set.
    void traceLinkFromTheSessionsTable()
    {
        UrlCatcher browser;
        QDesktopServices::setUrlHandler(QStringLiteral("https"), &browser, "open");
        QDesktopServices::setUrlHandler(QStringLiteral("http"), &browser, "open");
        const auto unset = qScopeGuard([] {
            QDesktopServices::unsetUrlHandler(QStringLiteral("https"));
            QDesktopServices::unsetUrlHandler(QStringLiteral("http"));
        });
        SessionsPanel panel;
        QCOMPARE(panel.currentTraceUrl(), QUrl()); // no template in the settings
        panel.resize(1400, 300);
        panel.show();
        panel.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&panel));
        panel.merge(snapshotOf({session(1, "billing", "idle in transaction", 0, kTracedQuery), session(2, "catalog", "idle")}),
                    QDateTime::currentMSecsSinceEpoch());
        SessionTableModel &model = *panel.model();
        const int traced = model.session(0).pid == 1 ? 0 : 1;
        const int plain = 1 - traced;
        QCOMPARE(model.index(traced, SessionTableModel::Trace).data().toString(),
                 QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
        QCOMPARE(model.index(plain, SessionTableModel::Trace).data().toString(), QString());
        QCOMPARE(model.headerData(SessionTableModel::Trace, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("Trace"));

        QAction *open = panel.openTraceAction();
        QVERIFY(panel.contextMenu()->actions().contains(open));
        QVERIFY(panel.view()->actions().contains(open)); // its shortcut works in the table
        QVERIFY(!open->isEnabled()); // no current session
        panel.view()->setCurrentIndex(model.index(traced, 0));
        QVERIFY(!open->isEnabled()); // no template
        open->trigger();
        QVERIFY(browser.urls.isEmpty());

        panel.setTraceUrlTemplate(QStringLiteral("https://jaeger.example.com/trace/{trace_id}"));
        QVERIFY(open->isEnabled());
        const QUrl expected(QStringLiteral("https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736"));
        QCOMPARE(panel.currentTraceUrl(), expected);
        open->trigger();
        QCOMPARE(browser.urls, QList<QUrl>{expected});
        panel.view()->setFocus();
        QTest::keyClick(panel.view(), Qt::Key_T, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(browser.urls, (QList<QUrl>{expected, expected}));
        // QTest leaves Shift as the application's modifier state, which would extend the selections
        // of the tests after this one: a release of it without modifiers sets it back.
        QTest::keyRelease(panel.view(), Qt::Key_Shift, Qt::NoModifier);
        QCOMPARE(QGuiApplication::keyboardModifiers(), Qt::NoModifier);

        // The context menu, as the Menu key asks for it, on the current row.
        const QRect cell = panel.view()->visualRect(model.index(traced, 0));
        QContextMenuEvent menuKey(QContextMenuEvent::Keyboard, cell.center(), panel.view()->mapToGlobal(cell.center()));
        QApplication::sendEvent(panel.view(), &menuKey);
        QTRY_VERIFY(panel.contextMenu()->isVisible());
        QVERIFY(open->isEnabled());
        panel.contextMenu()->close();

        // A session that sent no traceparent has no link.
        panel.view()->setCurrentIndex(model.index(plain, 0));
        QVERIFY(!open->isEnabled());
        QCOMPARE(panel.currentTraceUrl(), QUrl());
        open->trigger();
        QCOMPARE(browser.urls.size(), 2);
        // Nor has any once the template is gone.
        panel.view()->setCurrentIndex(model.index(traced, 0));
        panel.setTraceUrlTemplate(QString());
        QVERIFY(!open->isEnabled());
    }

    // The whole application_name stays in the table where an owner is read from it; the call
    // site is the code location, and the tooltip says where both came from.
    void callSiteNameInTheTable()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        mergeNow(model, snapshotOf({session(1, "billing@OrderRepo.java:212", "idle"), session(2, "catalog", "idle")}));
        const int row = model.session(0).pid == 1 ? 0 : 1;
        QCOMPARE(model.index(row, SessionTableModel::Application).data().toString(), QStringLiteral("billing@OrderRepo.java:212"));
        QCOMPARE(model.index(row, SessionTableModel::CodeLocation).data().toString(), QStringLiteral("OrderRepo.java:212"));
        const QString tip = model.index(row, SessionTableModel::CodeLocation).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QLatin1String("Owner billing, read from application_name")), qPrintable(tip));
        QCOMPARE(model.index(1 - row, SessionTableModel::Application).data().toString(), QStringLiteral("catalog"));
    }

    // The owners tree: billing's two call sites under one owner, and a session's stack pane
    // says where its frame came from and names its trace.
    void callSitesInTheOwnersTree()
    {
        TreePanel owners(ownerColumns(), true);
        owners.show();
        const SnapshotPtr snapshot = snapshotOf({session(1, "billing@OrderRepo.java:212", "idle", 0, kTracedQuery),
                                                 session(2, "billing@InvoiceJob.java:48", "idle")});
        owners.merge(ownerRows(snapshot, groupOwners(*snapshot, OwnerKey::Application)));
        const QAbstractItemModel *shown = owners.view()->model();
        QCOMPARE(shown->rowCount(), 1);
        const QModelIndex billing = shown->index(0, 0);
        QCOMPARE(billing.data().toString(), QStringLiteral("billing"));
        QCOMPARE(shown->rowCount(billing), 2);
        const QModelIndexList site = shown->match(shown->index(0, 0, billing), Qt::DisplayRole,
                                                  QStringLiteral("OrderRepo.java:212"), 1, Qt::MatchExactly);
        QCOMPARE(site.size(), 1);
        owners.view()->expand(billing);
        owners.view()->expand(site.first());
        QTRY_COMPARE(shown->rowCount(site.first()), 1);
        owners.view()->setCurrentIndex(shown->index(0, 0, site.first()));
        const QString pane = owners.stackText();
        QVERIFY2(pane.contains(QLatin1String("#0 OrderRepo.java:212\n  (from application_name billing@OrderRepo.java:212)\n"
                                             "  trace 4bf92f3577b34da6a3ce929d0e0e4736")),
                 qPrintable(pane));
    }

    // The stack pane keeps its text, and the operator's selection in it, while samples that do
    // not change it arrive; a changed stack replaces it.
    void stackPaneKeepsTheSelectionAcrossSamples()
    {
        TreePanel owners(ownerColumns(), true);
        owners.show();
        const auto sampleOf = [](const char *application, const char *otherState = "idle") {
            return snapshotOf({session(1, application, "idle"), session(2, "billing@InvoiceJob.java:48", otherState)});
        };
        SnapshotPtr snapshot = sampleOf("billing@OrderRepo.java:212");
        owners.merge(ownerRows(snapshot, groupOwners(*snapshot, OwnerKey::Application)));
        const QAbstractItemModel *shown = owners.view()->model();
        const QModelIndex billing = shown->index(0, 0);
        owners.view()->expand(billing);
        const QModelIndexList site = shown->match(shown->index(0, 0, billing), Qt::DisplayRole,
                                                  QStringLiteral("OrderRepo.java:212"), 1, Qt::MatchExactly);
        QCOMPARE(site.size(), 1);
        owners.view()->setCurrentIndex(site.first());
        auto *pane = owners.findChild<QPlainTextEdit *>(QStringLiteral("stackPane"));
        QVERIFY(pane);
        QTRY_VERIFY(pane->toPlainText().contains(QLatin1String("#0 OrderRepo.java:212")));
        pane->selectAll();
        const QString selected = pane->textCursor().selectedText();
        QVERIFY(!selected.isEmpty());

        // The next sample: the other site's session began a transaction (billing's counts
        // change, rows are updated), this site's stack did not.
        snapshot = sampleOf("billing@OrderRepo.java:212", "idle in transaction");
        owners.merge(ownerRows(snapshot, groupOwners(*snapshot, OwnerKey::Application)));
        QCOMPARE(pane->textCursor().selectedText(), selected);

        // The call site's line changed: the pane follows (the row is the site's, now gone, or
        // the owner's), and says something else than before.
        const QString before = pane->toPlainText();
        snapshot = sampleOf("billing@OrderRepo.java:215");
        owners.merge(ownerRows(snapshot, groupOwners(*snapshot, OwnerKey::Application)));
        QTRY_VERIFY(pane->toPlainText() != before);
        QVERIFY(!pane->toPlainText().contains(QLatin1String("OrderRepo.java:212")));
    }

    // A recorded file or a custom pattern can bring control characters into an owner or a
    // frame (PostgreSQL itself turns them into '?' in application_name): shown, not obeyed.
    void callSiteControlCharactersAreShown()
    {
        AppCallSites catchAll;
        catchAll.patterns = {QStringLiteral("^(?<owner>[^@]+)@(?<frame>.+)$")};
        Session evil = session(1, "x", "idle");
        evil.applicationName = QStringLiteral("bill\x1b]0;PWNED\x07ing@Evil\x1b[2J.java:1");
        const SnapshotPtr snapshot = snapshotOf({evil}, catchAll);
        QCOMPARE(snapshot->sessions.first().applicationOwner, QStringLiteral("bill\x1b]0;PWNED\x07ing"));
        SessionTableModel model;
        mergeNow(model, snapshot);
        for (int column : {int(SessionTableModel::Application), int(SessionTableModel::CodeLocation)}) {
            const QString shown = model.index(0, column).data().toString();
            QVERIFY2(!shown.contains(QChar(0x1b)) && shown.contains(QLatin1String("\\x1b")), qPrintable(shown));
            QVERIFY(!model.index(0, column).data(Qt::ToolTipRole).toString().contains(QChar(0x1b)));
        }
        TreePanel owners(ownerColumns(), true);
        owners.merge(ownerRows(snapshot, groupOwners(*snapshot, OwnerKey::Application)));
        QCOMPARE(owners.model()->index(0, 0).data().toString(), safeLine(QStringLiteral("bill\x1b]0;PWNED\x07ing")));
    }

    void callSitesDialog()
    {
        CallSitesDialog dialog(AppCallSites{});
        QPushButton *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
        QCOMPARE(dialog.callSites(), AppCallSites());
        dialog.sampleEdit()->setText(QStringLiteral("billing (orders/repo.go:123)"));
        QCOMPARE(dialog.sampleResult(), QStringLiteral("Owner billing, call site orders/repo.go:123"));
        dialog.patternsEdit()->setPlainText(QStringLiteral("(?<owner>\\w+)@.+\n(?<owner>\\w+)#(?<frame>.+)"));
        QVERIFY(!ok->isEnabled()); // the first line has no frame group
        dialog.patternsEdit()->setPlainText(QStringLiteral("^(?<owner>\\w+)#(?<frame>.+)$"));
        QVERIFY(ok->isEnabled());
        QCOMPARE(dialog.callSites().patterns, QStringList{QStringLiteral("^(?<owner>\\w+)#(?<frame>.+)$")});
        QCOMPARE(dialog.sampleResult(), QStringLiteral("No pattern reads this name: its owner is the whole name."));
        dialog.sampleEdit()->setText(QStringLiteral("jobs#nightly.py:3"));
        QCOMPARE(dialog.sampleResult(), QStringLiteral("Owner jobs, call site nightly.py:3"));
        dialog.patternsEdit()->clear();
        QVERIFY(ok->isEnabled()); // none: no name is read
        QVERIFY(dialog.callSites().patterns.isEmpty());
    }

    void traceLinksDialog()
    {
        TraceLinksDialog dialog{QString()};
        QCOMPARE(dialog.presets()->currentText(), QStringLiteral("None"));
        QVERIFY(dialog.isAcceptable());
        const int jaeger = dialog.presets()->findText(QStringLiteral("Jaeger"));
        QVERIFY(jaeger > 0);
        dialog.presets()->setCurrentIndex(jaeger);
        Q_EMIT dialog.presets()->activated(jaeger);
        QCOMPARE(dialog.urlTemplate(), QStringLiteral("http://localhost:16686/trace/{trace_id}"));
        QVERIFY(dialog.isAcceptable());
        dialog.templateEdit()->setText(QStringLiteral("https://tempo.internal/trace/{trace_id}"));
        QCOMPARE(dialog.presets()->currentText(), QStringLiteral("Custom"));
        QVERIFY(dialog.isAcceptable());
        dialog.templateEdit()->setText(QStringLiteral("https://tempo.internal/trace/"));
        QVERIFY(!dialog.isAcceptable());
        dialog.templateEdit()->setText(QStringLiteral("ftp://tempo.internal/{trace_id}"));
        QVERIFY(!dialog.isAcceptable());
        dialog.templateEdit()->setText(QStringLiteral("  http://localhost:9411/zipkin/traces/{trace_id} "));
        QCOMPARE(dialog.presets()->currentText(), QStringLiteral("Zipkin"));
        QCOMPARE(dialog.urlTemplate(), QStringLiteral("http://localhost:9411/zipkin/traces/{trace_id}"));
    }

    // A day's two-pixel buckets keep only their lowest and highest samples, so the newest sample
    // may not be among the points: the legend and the limit named above the scale still give
    // its values, and a band that only the newest sample has is in the legend.
    void chartLegendAndTitleGiveTheNewestSample()
    {
        TimeChart chart(QStringLiteral("Sessions"));
        chart.resize(600, 300);
        chart.setSeries({{QStringLiteral("idle"), Qt::blue}, {QStringLiteral("leaked"), Qt::red}},
                        {{QStringLiteral("limit"), Qt::darkRed, Qt::DashLine, false, true}});
        TimeChart::Data data;
        data.timesMs = {kNow - 2000, kNow - 1000};
        data.bands = {{3, 4}, {0, 0}};
        data.lines = {{500, 500}};
        data.fromMs = kNow - 60'000;
        data.toMs = kNow;
        data.newestBands = {5, 1};
        data.newestLines = {800};
        const auto legend = [&chart] { return chart.findChild<ChartLegend *>()->text(); };
        const auto title = [&chart] { return chart.findChild<QChartView *>()->chart()->title(); };
        chart.setData(data);
        QVERIFY2(legend().contains(u"idle 5"), qPrintable(legend()));
        QVERIFY2(legend().contains(u"leaked 1"), qPrintable(legend()));
        QVERIFY2(legend().contains(u"limit 800"), qPrintable(legend()));
        QVERIFY2(title().contains(u"limit 800"), qPrintable(title())); // far above 4 sessions
        // Without the newest sample's values, each series' last point.
        data.newestBands.clear();
        data.newestLines.clear();
        chart.setData(data);
        QVERIFY2(legend().contains(u"idle 4"), qPrintable(legend()));
        QVERIFY2(!legend().contains(u"leaked"), qPrintable(legend()));
        QVERIFY2(title().contains(u"limit 500"), qPrintable(title()));
    }

    // A series keeps the ends of each level run and every other point: the line through what
    // it keeps passes through every point it was given.
    void seriesPointsDrawTheSameLine_data()
    {
        QTest::addColumn<QList<double>>("values");
        QTest::newRow("empty") << QList<double>{};
        QTest::newRow("one") << QList<double>{5};
        QTest::newRow("level") << QList<double>{3, 3, 3, 3, 3};
        QTest::newRow("rising") << QList<double>{1, 2, 3, 4};
        QTest::newRow("steps") << QList<double>{0, 0, 0, 7, 7, 7, 7, 2, 2, 9};
        QTest::newRow("spikes") << QList<double>{4, 4, 9, 4, 4, 4, 0, 4};
    }
    void seriesPointsDrawTheSameLine()
    {
        QFETCH(QList<double>, values);
        QList<qint64> times;
        for (qsizetype i = 0; i < values.size(); ++i)
            times.append(1'000'000 + i * 1000);
        const QList<QPointF> points = seriesPoints(times, values);
        if (values.isEmpty()) {
            QVERIFY(points.isEmpty());
            return;
        }
        QCOMPARE(points.first(), QPointF(double(times.first()), values.first()));
        QCOMPARE(points.last(), QPointF(double(times.last()), values.last()));
        // Each given point lies on the segment between the kept points either side of it.
        qsizetype k = 0;
        for (qsizetype i = 0; i < values.size(); ++i) {
            const QPointF given(double(times[i]), values[i]);
            while (k + 1 < points.size() && points[k + 1].x() <= given.x())
                ++k;
            if (points[k] == given)
                continue;
            QVERIFY(k + 1 < points.size());
            QCOMPARE(points[k].y(), given.y());
            QCOMPARE(points[k + 1].y(), given.y());
        }
        // Interior points of a level run are dropped.
        int level = 0;
        for (qsizetype i = 1; i + 1 < values.size(); ++i)
            level += values[i] == values[i - 1] && values[i] == values[i + 1];
        QCOMPARE(points.size(), values.size() - level);
    }

    // A cell elides only the start of its text that can show: what it shows is what eliding
    // the whole text shows, for long queries in any script, at any width.
    void cellsElideOnlyWhatCanShow_data()
    {
        QTest::addColumn<QString>("text");
        const QString query = QStringLiteral("SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id "
                                             "WHERE o.state = $1 /*stack='orders%3A%3Aload'*/ ");
        QTest::newRow("a long query") << query.repeated(20);
        QTest::newRow("narrow characters") << QStringLiteral("il1.,:;|!'").repeated(200);
        QTest::newRow("wide characters") << QStringLiteral("WMWM@@##").repeated(200);
        QTest::newRow("accents") << QStringLiteral("Ärger über Café-Bestellungen à la française; ").repeated(40);
        QTest::newRow("CJK") << QStringLiteral("注文の処理中に接続が返されませんでした。").repeated(40);
        QTest::newRow("surrogate pairs") << QStringLiteral("😀a😀😀b").repeated(300);
        QTest::newRow("combining marks") << QStringLiteral("Cafe\u0301 nai\u0308ve ").repeated(120);
        QTest::newRow("marks piled on letters") << QString(u'a' + QString(24, QChar(0x0301)) + u'b' + QString(24, QChar(0x0308))).repeated(60);
        QTest::newRow("zero widths") << QStringLiteral("a\u200b\u200b\u200b\u200b\u200b\u200b\u200b").repeated(300);
        QTest::newRow("emoji with a selector") << QStringLiteral("\u2764\ufe0f ok ").repeated(200);
        QTest::newRow("short") << QStringLiteral("idle");
    }
    void cellsElideOnlyWhatCanShow()
    {
        QFETCH(QString, text);
        for (const int pointSize : {7, 10, 14}) {
            QFont font = QApplication::font();
            font.setPointSize(pointSize);
            const QFontMetrics metrics(font);
            const int narrowest = narrowestAdvance(font);
            for (int width = 0; width <= 1200; width += 37) {
                const QString start = fittingStart(text, metrics, narrowest, width);
                QVERIFY(start.size() <= text.size() + 1);
                QCOMPARE(metrics.elidedText(start, Qt::ElideRight, width), metrics.elidedText(text, Qt::ElideRight, width));
            }
        }
    }

    // The overview's wrapped lines take the height the label needs at their width, whether the
    // text is told to fit on one line by its advance or laid out: never a line cut off.
    void wrappedLineIsAsHighAsItsText()
    {
        QWidget window;
        auto *line = new WrappedLine(&window);
        window.show();
        const QStringList texts{QStringLiteral("Connected · PostgreSQL 15.8 · every 1 s"),
                                QStringLiteral("Healthy: 1,204 of 2,297 usable slots in use (52 %); 3 idle in transaction"),
                                QStringLiteral("word ").repeated(60).trimmed(), QStringLiteral("two\nlines")};
        for (int width = 80; width <= 900; width += 13) {
            line->resize(width, line->height());
            for (const QString &text : texts) {
                line->setText(text);
                line->setText(text + u' '); // a change, through the one-line test again
                QCOMPARE(line->height(), line->label()->heightForWidth(width));
            }
            // Figures that tick keep the lines they had (not laid out again): still as high as
            // the text, whichever digits it shows.
            const QString ticking = QStringLiteral("10000 of 10100 usable connection slots in use (99 %); service-2 holds "
                                                   "167 of 10100 usable slots idle in transaction, 167 leaked; oldest 49 min %1 s");
            for (int second = 10; second < 60; second += 7) {
                QString text = ticking.arg(second);
                for (QChar &c : text) {
                    if (c.isDigit())
                        c = QChar(u'0' + (c.unicode() - u'0' + second) % 10);
                }
                line->setText(text);
                QCOMPARE(line->height(), line->label()->heightForWidth(width));
            }
            // As long, other letters: laid out again.
            for (const char16_t letter : {u'i', u'W', u'i'}) {
                line->setText(QString(8, QChar(letter)).append(u' ').repeated(12).trimmed());
                QCOMPARE(line->height(), line->label()->heightForWidth(width));
            }
        }
    }

    void sessionMergeKeepsSelectionAndScroll()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTableView view;
        view.setModel(&model);
        mergeNow(model, snapshotOf({session(1, "a", "idle"), session(2, "a", "active"), session(3, "b", "idle"),
                                session(4, "b", "idle"), session(5, "c", "active")}));
        QCOMPARE(model.rowCount(), 5);
        view.selectRow(model.rowOfKey(session(3, "b", "idle").key()));

        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy layouts(&model, &QAbstractItemModel::layoutChanged);
        // 1 and 2 go, 3 changes state, 6 arrives.
        mergeNow(model, snapshotOf({session(3, "b", "idle in transaction"), session(4, "b", "idle"),
                                session(5, "c", "active"), session(6, "d", "active")}));
        QCOMPARE(resets.count(), 0);
        QCOMPARE(removed.count(), 1); // one run: rows 0..1
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(layouts.count(), 0); // unsorted: the rows that stay keep their order
        QCOMPARE(model.rowCount(), 4);
        const QModelIndexList selected = view.selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().data(SessionTableModel::PidRole).toInt(), 3);
        QCOMPARE(model.session(model.rowOfKey(session(3, "b", "idle").key())).sessionClass, SessionClass::IdleInTransaction);
    }

    // Sorted, a sample that moves rows, drops some and brings new ones reaches the view as
    // removals, one layout change and insertions where the new rows belong; the selection
    // follows its session; the result is exactly the sorted, filtered sample.
    void sortedMergeMovesRowsAndKeepsTheSelection()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTableView view;
        view.setModel(&model);
        model.sort(SessionTableModel::Pid, Qt::DescendingOrder);
        mergeNow(model, snapshotOf({session(10, "a", "idle"), session(20, "b", "idle"), session(30, "c", "idle"),
                                session(40, "d", "idle")}));
        QCOMPARE(pidAt(model, 0), 40);
        view.selectRow(model.rowOfKey(session(20, "b", "idle").key()));
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy layouts(&model, &QAbstractItemModel::layoutChanged);
        // 30 goes, 25 and 5 arrive, then the order turns round.
        model.sort(SessionTableModel::Pid, Qt::AscendingOrder);
        QCOMPARE(layouts.count(), 1);
        mergeNow(model, snapshotOf({session(40, "d", "idle"), session(5, "e", "idle"), session(20, "b", "active"),
                                session(25, "f", "idle"), session(10, "a", "idle")}));
        QCOMPARE(removed.count(), 1);
        QCOMPARE(inserted.count(), 2); // 5 on top, 25 between 20 and 40
        QList<int> pids;
        for (int r = 0; r < model.rowCount(); ++r)
            pids.append(pidAt(model, r));
        QCOMPARE(pids, (QList<int>{5, 10, 20, 25, 40}));
        const QModelIndexList selected = view.selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().data(SessionTableModel::PidRole).toInt(), 20);
        for (int r = 0; r < model.rowCount(); ++r)
            QCOMPARE(model.rowOfKey(model.session(r).key()), r);
    }

    // Thousands of rows shuffled, churned and filtered at random: after each sample the rows are
    // the filtered sessions in sort order, and the selected session is still selected.
    void randomMergesAgreeWithASortOfTheSample()
    {
        SessionTableModel model;
        QTableView view;
        view.setModel(&model);
        model.sort(SessionTableModel::InState, Qt::DescendingOrder);
        std::mt19937 random(14);
        int nextPid = 1;
        QList<Session> live;
        const char *const states[] = {"idle", "active", "idle in transaction"};
        for (int round = 0; round < 30; ++round) {
            // Some go, some arrive, some change state (and so their place).
            for (qsizetype i = live.size() - 1; i >= 0; --i) {
                if (random() % 10 == 0)
                    live.remove(i);
                else if (random() % 5 == 0)
                    live[i] = session(live[i].pid, "app", states[random() % 3], live[i].backendStartMs);
            }
            const int arrivals = round == 0 ? 2000 : int(random() % 200);
            for (int i = 0; i < arrivals; ++i)
                live.append(session(nextPid++, "app", states[random() % 3], kNow - qint64(random() % 100'000)));
            for (Session &s : live)
                s.stateChangeMs = kNow - qint64(random() % 600'000);
            if (round == 15) {
                SessionFilter filter;
                filter.classes = SessionFilter::classBit(SessionClass::Idle);
                model.setFilter(filter);
            }
            if (round == 20)
                model.sort(SessionTableModel::Pid, Qt::AscendingOrder);
            const int selectedPid = model.rowCount() > 0 ? pidAt(model, model.rowCount() / 2) : -1;
            if (selectedPid > 0)
                view.selectRow(model.rowCount() / 2);
            const SnapshotPtr sample = snapshotOf(live);
            mergeNow(model, sample);

            QList<const Session *> expected;
            for (const Session &s : sample->sessions) {
                if (model.filter().matches(s))
                    expected.append(&s);
            }
            if (model.sortColumn() == SessionTableModel::Pid) {
                std::sort(expected.begin(), expected.end(), [](const Session *a, const Session *b) { return a->pid < b->pid; });
            } else {
                std::sort(expected.begin(), expected.end(), [](const Session *a, const Session *b) {
                    return a->stateChangeMs != b->stateChangeMs ? a->stateChangeMs < b->stateChangeMs : a->key() < b->key();
                });
            }
            QCOMPARE(model.rowCount(), expected.size());
            for (int r = 0; r < model.rowCount(); ++r)
                QCOMPARE(model.session(r).key(), expected[r]->key());
            const QModelIndexList selected = view.selectionModel()->selectedRows();
            const bool stillThere = std::any_of(expected.cbegin(), expected.cend(), [&](const Session *s) { return s->pid == selectedPid; });
            if (selectedPid > 0 && stillThere) {
                QCOMPARE(selected.size(), 1);
                QCOMPARE(selected.first().data(SessionTableModel::PidRole).toInt(), selectedPid);
            }
            view.clearSelection();
        }
    }

    void reusedPidIsANewRow()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        mergeNow(model, snapshotOf({session(7, "a", "idle", kNow - 50'000)}));
        model.setActionResult(session(7, "a", "idle", kNow - 50'000).key(), QStringLiteral("done"), true);
        QCOMPARE(model.index(0, SessionTableModel::LastAction).data().toString(), QStringLiteral("done"));
        // Same pid, another backend: the old row and its action result go.
        mergeNow(model, snapshotOf({session(7, "b", "active", kNow - 1'000)}));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, SessionTableModel::Application).data().toString(), QStringLiteral("b"));
        QCOMPARE(model.index(0, SessionTableModel::LastAction).data().toString(), QString());
    }

    void leakedRowsStandOutWithTheirReason()
    {
        SessionTableModel model;
        auto leaked = session(9, "billing", "idle in transaction (aborted)");
        mergeNow(model, snapshotOf({leaked, session(10, "a", "idle")}));
        const int row = model.rowOfKey(leaked.key());
        QVERIFY(model.index(row, 0).data(Qt::BackgroundRole).isValid());
        QVERIFY(!model.index(1 - row, 0).data(Qt::BackgroundRole).isValid());
        QVERIFY2(model.index(row, SessionTableModel::Verdict).data().toString().startsWith(u"leaked: "),
                 qPrintable(model.index(row, SessionTableModel::Verdict).data().toString()));
        QVERIFY(!model.index(row, 0).data(Qt::ToolTipRole).toString().isEmpty());
    }

    void durationsCountUpBetweenSamples()
    {
        SessionTableModel model;
        mergeNow(model, snapshotOf({session(1, "a", "idle in transaction")}));
        const double inState = model.index(0, SessionTableModel::InState).data(SessionTableModel::SortRole).toDouble();
        const double transaction = model.index(0, SessionTableModel::Transaction).data(SessionTableModel::SortRole).toDouble();
        QCOMPARE(qRound(inState), 120); // as the server saw it when sampled
        const QString shown = model.index(0, SessionTableModel::InState).data().toString();
        QTest::qWait(1100);
        QVERIFY(model.index(0, SessionTableModel::InState).data(SessionTableModel::SortRole).toDouble() >= inState + 1);
        QVERIFY(model.index(0, SessionTableModel::Transaction).data(SessionTableModel::SortRole).toDouble() >= transaction + 1);
        QVERIFY(model.index(0, SessionTableModel::InState).data().toString() != shown);
    }

    // A recording's sessions age with the replay's position, not with the wall clock: still
    // while the replay stands, further on when it moves.
    void durationsFollowTheSourcesClock()
    {
        SessionTableModel model;
        qint64 replayAt = kNow;
        model.setClock([&replayAt] { return replayAt; });
        model.merge(snapshotOf({session(1, "a", "idle in transaction")}), kNow);
        QCOMPARE(qRound(model.index(0, SessionTableModel::InState).data(SessionTableModel::SortRole).toDouble()), 120);
        QTest::qWait(1100);
        QCOMPARE(qRound(model.index(0, SessionTableModel::InState).data(SessionTableModel::SortRole).toDouble()), 120);
        replayAt = kNow + 30'000;
        QCOMPARE(qRound(model.index(0, SessionTableModel::InState).data(SessionTableModel::SortRole).toDouble()), 150);
    }

    // The status line gives the last sample's age only once samples are late (1.5 intervals and
    // a second), by the source's clock: a sample an interval old is on time, one 5 s old is not.
    void statusLineSaysSamplesAreLateByTheSourcesClock()
    {
        auto owned = std::make_unique<ClockSource>();
        ClockSource &source = *owned;
        TargetController target(std::move(owned), QStringLiteral("t"));
        OverviewStrip strip(target);
        const qint64 takenAt = startWithOneSample(target, source);
        strip.refresh();
        QVERIFY2(!strip.statusText().contains(u"ago"), qPrintable(strip.statusText()));
        QVERIFY2(strip.statusText().contains(u"every 1 s"), qPrintable(strip.statusText()));
        source.setNow(takenAt + 2'400);
        strip.refresh();
        QVERIFY2(!strip.statusText().contains(u"ago"), qPrintable(strip.statusText()));
        source.setNow(takenAt + 5'000);
        strip.refresh();
        QVERIFY2(strip.statusText().contains(u"last sample 5.0 s ago"), qPrintable(strip.statusText()));
    }

    // A lost server is a gap in the charts from the moment it was lost, on the clock the
    // history's samples are on.
    void lostServerIsAGapOnTheSourcesClock()
    {
        auto owned = std::make_unique<ClockSource>();
        ClockSource &source = *owned;
        TargetController target(std::move(owned), QStringLiteral("t"));
        const qint64 takenAt = startWithOneSample(target, source);
        source.setNow(takenAt + 3'000);
        source.report(SamplerStatus::State::Reconnecting);
        QCOMPARE(target.history().size(), 2);
        QVERIFY(target.history().at(1).gap);
        QCOMPARE(target.history().at(1).timeMs, takenAt + 3'000);
    }

    void sortsByRawValuesAndFilters()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        mergeNow(model, snapshotOf({session(100, "a", "idle"), session(9, "b", "idle"), session(20, "c", "active")}));
        model.sort(SessionTableModel::Pid, Qt::AscendingOrder);
        QCOMPARE(pidAt(model, 0), 9); // numerically, not "100" < "20" < "9"
        QCOMPARE(pidAt(model, 2), 100);
        // Longest transaction first; sessions outside a transaction have no age and come last.
        auto young = session(30, "d", "idle in transaction");
        young.xactStartMs = kNow - 5'000;
        mergeNow(model, snapshotOf({session(100, "a", "idle"), session(9, "b", "idle in transaction"), young}));
        model.sort(SessionTableModel::Transaction, Qt::DescendingOrder);
        QCOMPARE(pidAt(model, 0), 9);
        QCOMPARE(pidAt(model, 1), 30);
        QCOMPARE(pidAt(model, 2), 100);
        model.sort(SessionTableModel::Application, Qt::DescendingOrder);
        QCOMPARE(pidAt(model, 0), 30); // d, b, a
        QCOMPARE(pidAt(model, 2), 100);
        mergeNow(model, snapshotOf({session(100, "a", "idle"), session(9, "b", "idle"), session(20, "c", "active")}));
        SessionFilter filter;
        filter.classes = SessionFilter::classBit(SessionClass::Active);
        model.setFilter(filter);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.sessionCount(), 3);
        QCOMPARE(pidAt(model, 0), 20);
        model.setFilter({});
        QCOMPARE(model.rowCount(), 3);
    }

    void ownerTreeMergeKeepsExpansionAndCurrent()
    {
        KeyedTreeModel model(ownerColumns());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTreeView view;
        view.setModel(&model);
        const auto first = snapshotOf({session(1, "billing", "idle in transaction (aborted)", 0, kStackQuery),
                                       session(2, "billing", "idle", 0, kStackQuery), session(3, "catalog", "active")});
        model.merge(ownerRows(first, groupOwners(*first, OwnerKey::Application)));
        QCOMPARE(model.rowCount(), 2);
        const QModelIndex billing = model.index(0, 0);
        QCOMPARE(billing.data().toString(), QStringLiteral("billing"));
        QCOMPARE(model.index(0, 2).data().toInt(), 1); // leaked
        const QModelIndex stack = model.index(0, 0, billing);
        QCOMPARE(stack.data().toString(), QStringLiteral("billing::charge charge.cpp:88"));
        QCOMPARE(stack.data(KeyedTreeModel::FramesRole).toStringList().size(), 2);
        QVERIFY(model.hasChildren(stack));
        view.expand(billing);
        view.expand(stack);
        QTRY_COMPARE(model.rowCount(stack), 2); // both sessions, from the event loop
        view.setCurrentIndex(stack);

        // catalog goes, a new owner comes, billing gains a session.
        const auto second = snapshotOf({session(1, "billing", "idle in transaction (aborted)", 0, kStackQuery),
                                        session(2, "billing", "idle", 0, kStackQuery),
                                        session(4, "billing", "active", 0, kStackQuery), session(5, "orders", "active")});
        model.merge(ownerRows(second, groupOwners(*second, OwnerKey::Application)));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("billing"));
        QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("orders"));
        QVERIFY(view.isExpanded(model.index(0, 0)));
        QCOMPARE(view.currentIndex().data().toString(), QStringLiteral("billing::charge charge.cpp:88"));
        QCOMPARE(model.rowCount(view.currentIndex()), 3); // expanded: its sessions are merged from now on
        QCOMPARE(model.index(0, 1).data().toInt(), 3);
        QCOMPARE(model.index(0, 0).data(KeyedTreeModel::PidsRole).value<QList<int>>(), (QList<int>{1, 2, 4}));
    }

    // The sessions under a stack are made when the stack is expanded, not at every sample (a
    // flood has thousands of them under a few stacks), and merged with each sample from then on.
    void stackSessionsAreMadeWhenExpanded()
    {
        KeyedTreeModel model(ownerColumns());
        QTreeView view;
        view.setModel(&model);
        view.show();
        const auto first = snapshotOf({session(1, "billing", "idle", 0, kStackQuery),
                                       session(2, "billing", "idle", 0, kStackQuery)});
        model.merge(ownerRows(first, groupOwners(*first, OwnerKey::Application)));
        const QModelIndex stack = model.index(0, 0, model.index(0, 0));
        QVERIFY(model.hasChildren(stack));
        QCOMPARE(model.rowCount(stack), 0);
        QVERIFY(model.canFetchMore(stack));
        const auto second = snapshotOf({session(1, "billing", "idle", 0, kStackQuery),
                                        session(2, "billing", "idle", 0, kStackQuery),
                                        session(3, "billing", "idle", 0, kStackQuery)});
        model.merge(ownerRows(second, groupOwners(*second, OwnerKey::Application)));
        QCOMPARE(model.rowCount(stack), 0); // still nobody asked
        view.expand(model.index(0, 0));
        view.expand(stack);
        QTRY_COMPARE(model.rowCount(stack), 3);
        QVERIFY(!model.canFetchMore(stack));
        QCOMPARE(model.index(0, 0, stack).data(KeyedTreeModel::PidsRole).value<QList<int>>().size(), 1);
        model.merge(ownerRows(first, groupOwners(*first, OwnerKey::Application)));
        QCOMPARE(model.rowCount(stack), 2); // fetched once: merged with every sample after
    }

    void blockingTreeFollowsChains()
    {
        auto holder = session(10, "billing", "idle in transaction");
        auto waiter = session(11, "orders", "active");
        waiter.waitEventType = QStringLiteral("Lock");
        waiter.waitEvent = QStringLiteral("transactionid");
        waiter.blockedBy = {10};
        auto second = session(12, "orders", "active");
        second.waitEventType = QStringLiteral("Lock");
        second.waitEvent = QStringLiteral("tuple");
        second.blockedBy = {11};
        const auto snapshot = snapshotOf({holder, waiter, second, session(13, "x", "idle")});
        const QList<TreeRow> rows = blockingRows(*snapshot);
        QCOMPARE(rows.size(), 1);
        QVERIFY(rows[0].display.value(0).toString().startsWith(u"pid 10"));
        QCOMPARE(rows[0].children.size(), 1);
        QVERIFY(rows[0].children[0].display.value(0).toString().startsWith(u"pid 11"));
        QCOMPARE(rows[0].children[0].children.size(), 1);
        QVERIFY(rows[0].children[0].children[0].display.value(0).toString().startsWith(u"pid 12"));
    }

    void repeatedBlockerIsOneChild()
    {
        // pg_blocking_pids lists a blocker once per lock: one child, merge after merge.
        auto holder = session(40, "a", "idle in transaction");
        auto waiter = session(41, "b", "active");
        waiter.waitEventType = QStringLiteral("Lock");
        waiter.waitEvent = QStringLiteral("tuple");
        waiter.blockedBy = {40, 40};
        const auto snapshot = snapshotOf({holder, waiter});
        KeyedTreeModel model(blockingColumns());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 3; ++i) {
            model.merge(blockingRows(*snapshot));
            QCOMPARE(model.rowCount(), 1);
            QCOMPARE(model.rowCount(model.index(0, 0)), 1);
        }
        // The model holds to it even when a caller repeats a key.
        TreeRow row{QStringLiteral("k"), {QStringLiteral("first")}};
        TreeRow again{QStringLiteral("k"), {QStringLiteral("second")}};
        model.merge({row, again});
        model.merge({row, again});
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("first"));
    }

    void blockingCycleTerminates()
    {
        auto a = session(20, "a", "active");
        auto b = session(21, "b", "active");
        a.blockedBy = {21};
        b.blockedBy = {20};
        const QList<TreeRow> rows = blockingRows(*snapshotOf({a, b}));
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].children.size(), 1);
        QCOMPARE(rows[0].children[0].children.size(), 0); // the cycle is not followed round again
    }

    // Without pg_monitor another role's session has no owner, state or start to show: the
    // confirmation says plainly that it cannot be identified, and asks again before acting.
    void confirmationAsksAgainForUnidentifiedSessions_data()
    {
        QTest::addColumn<bool>("anyway");
        QTest::newRow("declined the second time") << false;
        QTest::newRow("confirmed the second time") << true;
    }

    void confirmationAsksAgainForUnidentifiedSessions()
    {
        QFETCH(bool, anyway);
        Session hidden;
        hidden.pid = 4711;
        hidden.user = QStringLiteral("other");
        hidden.visible = false;
        hidden.sessionClass = SessionClass::Hidden;
        const QList<Session> sessions{session(4712, "billing", "idle in transaction"), hidden};
        ConfirmSessionsDialog dialog(QStringLiteral("db1"), sessions, true);
        auto *table = dialog.findChild<QTableWidget *>(QStringLiteral("confirmSessions"));
        QVERIFY(table);
        QCOMPARE(table->item(1, 0)->text(), QStringLiteral("4711"));
        QCOMPARE(table->item(1, 2)->text(), QStringLiteral("cannot be identified"));
        auto *warning = dialog.findChild<QLabel *>(QStringLiteral("unidentifiedWarning"));
        QVERIFY(warning);
        QVERIFY2(warning->text().contains(u"cannot be identified") && warning->text().contains(u"pg_monitor"),
                 qPrintable(warning->text()));
        bool asked = false;
        QTimer::singleShot(0, &dialog, [&] {
            dialog.findChild<QPushButton *>(QStringLiteral("confirmAction"))->click();
        });
        // The second question is modal in its turn: answered from the event loop it runs.
        std::function<void()> answer = [&] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box || box->objectName() != u"unidentifiedQuestion") {
                QTimer::singleShot(20, answer);
                return;
            }
            asked = true;
            if (anyway)
                box->findChild<QPushButton *>(QStringLiteral("actAnyway"))->click();
            else
                box->button(QMessageBox::Cancel)->click();
        };
        QTimer::singleShot(20, answer);
        const int result = dialog.exec();
        QVERIFY(asked);
        QCOMPARE(result, anyway ? int(QDialog::Accepted) : int(QDialog::Rejected));
    }

    void confirmationOfIdentifiedSessionsAsksOnce()
    {
        ConfirmSessionsDialog dialog(QStringLiteral("db1"), {session(4712, "billing", "idle in transaction")}, true);
        QVERIFY(!dialog.findChild<QLabel *>(QStringLiteral("unidentifiedWarning")));
        QTimer::singleShot(0, &dialog, [&] { dialog.findChild<QPushButton *>(QStringLiteral("confirmAction"))->click(); });
        QCOMPARE(dialog.exec(), int(QDialog::Accepted));
    }
};

QTEST_MAIN(TestUiModels)
#include "tst_uimodels.moc"
