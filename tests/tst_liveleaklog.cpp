// The real thing: a Java shop leaks connections on its error path through HikariCP, c3p0,
// DBCP2 and Tomcat JDBC against the bench (tests/leakapps/), each pool writes its own leak
// report to its own log, and PoolScope, sampling the bench, joins each report to the session
// that holds (or held) the connection, with the stack of the checkout. Then the command line
// does the same read.
#include "livesampler.h"
#include "screenshots.h"
#include "testsupport.h"

#include "leaklogdialog.h"
#include "leaklogpanel.h"
#include "mainwindow.h"
#include "sessionspanel.h"
#include "sessiontablemodel.h"
#include "targetcontroller.h"
#include "targetview.h"
#include "treepanel.h"

#include <QAction>
#include <QApplication>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QPlainTextEdit>
#include <QSettings>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace poolscope;
using namespace poolscope::ui;

namespace {

// "host=127.0.0.1 password=x port=5432 dbname=appdb user=ps_app" -> its keywords.
QHash<QString, QString> keywordsOf(const QString &conninfo)
{
    QHash<QString, QString> keywords;
    for (const QString &pair : conninfo.split(u' ', Qt::SkipEmptyParts)) {
        const qsizetype equals = pair.indexOf(u'=');
        if (equals > 0)
            keywords.insert(pair.left(equals), pair.mid(equals + 1));
    }
    return keywords;
}

// Where a leaking order checks its connection out, in LeakApp.java and sqlalchemy_leak.py.
const QString kLeakSite = QStringLiteral("OrderRepository.reserveStock(");

// A leaking application, started, with the pids of the sessions it leaked.
struct LeakingApp
{
    std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
    QList<int> pids;
    QString log;
    qint64 startedAtMs = 0;

    ~LeakingApp()
    {
        if (process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(5000);
        }
    }
};

} // namespace

class TestLiveLeakLog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QHash<QString, QString> m_app;

    // Starts `pool` leaking `leaks` connections, held `hold` seconds; waits for its READY line.
    bool start(LeakingApp &app, const QString &pool, int leaks, int hold)
    {
        app.log = m_dir.filePath(pool + QStringLiteral(".log"));
        app.startedAtMs = QDateTime::currentMSecsSinceEpoch();
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PGPASSWORD"), m_app.value(QStringLiteral("password")));
        app.process->setProcessEnvironment(environment);
        app.process->setProcessChannelMode(QProcess::SeparateChannels);
        const QString url = QStringLiteral("jdbc:postgresql://%1:%2/%3")
                                .arg(m_app.value(QStringLiteral("host")), m_app.value(QStringLiteral("port")),
                                     m_app.value(QStringLiteral("dbname")));
        app.process->start(QStringLiteral(POOLSCOPE_LEAKAPPS "/run-leakapp.sh"),
                           {QStringLiteral("-d"), QStringLiteral(POOLSCOPE_LEAKAPP_CLASSES), pool, url,
                            m_app.value(QStringLiteral("user")), QString::number(leaks), QString::number(hold), app.log});
        QElapsedTimer timer;
        timer.start();
        // The first run compiles LeakApp.java.
        while (timer.elapsed() < 90'000 && app.process->state() != QProcess::NotRunning) {
            app.process->waitForReadyRead(500);
            const QString out = QString::fromUtf8(app.process->readAllStandardOutput());
            const QRegularExpressionMatch ready = QRegularExpression(QStringLiteral("READY ([0-9 ]+)")).match(out);
            if (ready.hasMatch()) {
                for (const QString &pid : ready.captured(1).split(u' ', Qt::SkipEmptyParts))
                    app.pids.append(pid.toInt());
                return true;
            }
        }
        qWarning("%s did not leak: %s", qPrintable(pool), app.process->readAllStandardError().constData());
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        m_app = keywordsOf(POOLSCOPE_TEST_PG_APP);
        QVERIFY(m_dir.isValid());
        // The test command installs the JDK and the pools (installer/dev.sh); without them this
        // test fails rather than passing with nothing run.
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("javac")).isEmpty(),
                 "javac is missing: install default-jdk-headless (installer/dev.sh test does)");
        qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8()); // not the user's settings
    }

    void pools_data()
    {
        QTest::addColumn<QString>("pool");
        QTest::addColumn<QString>("spec");      // what the operator gives --leak-log, less the file
        QTest::addColumn<bool>("closes");       // the pool closes the connection as it reports
        QTest::addColumn<int>("leastJoin");     // the weakest join that passes
        QTest::newRow("HikariCP, threshold given") << "hikari" << "leakapp-hikari=%1,threshold=2s" << false
                                                   << int(LeakJoin::ExactTime);
        QTest::newRow("c3p0, threshold given") << "c3p0" << "leakapp-c3p0=%1,threshold=3s" << true
                                               << int(LeakJoin::TimeWindow);
        QTest::newRow("DBCP2, time in the text") << "dbcp2" << "leakapp-dbcp2=%1" << true << int(LeakJoin::TimeWindow);
        QTest::newRow("Tomcat JDBC, elapsed in the text, no owner") << "tomcat" << "%1" << false
                                                                    << int(LeakJoin::ExactTime);
    }
    void pools()
    {
        QFETCH(QString, pool);
        QFETCH(QString, spec);
        QFETCH(bool, closes);
        QFETCH(int, leastJoin);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);

        LeakingApp app;
        QVERIFY(start(app, pool, 2, 15));
        QCOMPARE(app.pids.size(), 2);

        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        QString error;
        sampler.setLeakLogs({*LeakLogSpec::parse(spec.arg(app.log), &error)});

        // Sample until every leaked session is explained by a report (the pools report 2-3 s
        // after the checkout and check every second or so).
        AnalysedSamplePtr sample;
        QSet<int> explained;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 30'000 && explained.size() < app.pids.size()) {
            sample = sampler.readAnalysed();
            QVERIFY2(sample, qPrintable(sampler.error()));
            QVERIFY(sample->leakLog);
            QVERIFY2(sample->leakLog->files.first().problem.isEmpty(), qPrintable(sample->leakLog->files.first().problem));
            for (const JoinedLeakReport &r : sample->leakLog->reports) {
                if (!app.pids.contains(r.pid))
                    continue;
                QVERIFY2(int(r.join) >= leastJoin, qPrintable(QStringLiteral("pid %1 joined by %2").arg(r.pid).arg(leakJoinName(r.join))));
                QVERIFY2(!r.report->stack.isEmpty() && r.report->stack.first().contains(kLeakSite),
                         qPrintable(r.report->stack.value(0)));
                explained.insert(r.pid);
                if (r.sessionEnded || r.withdrawn)
                    continue;
                // A session still open carries the report and its stack, marked as the log's,
                // and its owner groups under the checkout's code location.
                const auto session = std::find_if(sample->postgres->sessions.cbegin(), sample->postgres->sessions.cend(),
                                                  [&](const Session &s) { return s.pid == r.pid; });
                QVERIFY(session != sample->postgres->sessions.cend());
                QVERIFY(session->leakReport);
                QVERIFY(session->stackFromLeakLog);
                QVERIFY(session->stack.first().contains(kLeakSite));
                const auto located = std::find_if(sample->byCodeLocation.cbegin(), sample->byCodeLocation.cend(),
                                                  [](const OwnerSummary &o) { return o.owner.contains(kLeakSite); });
                QVERIFY(located != sample->byCodeLocation.cend());
            }
            QTest::qWait(500);
        }
        QCOMPARE(explained.size(), app.pids.size());
        for (const JoinedLeakReport &r : sample->leakLog->reports)
            qInfo("%s line %lld: pid %d, %s, %.2f s from the checkout to its transaction%s%s", qPrintable(pool),
                  r.report->line, r.pid, qPrintable(leakJoinName(r.join)), r.gapSeconds,
                  r.sessionEnded ? ", session ended" : "", r.withdrawn ? ", withdrawn" : "");
        // No report was pinned on a session that did not leak.
        for (const JoinedLeakReport &r : sample->leakLog->reports)
            QVERIFY2(r.pid == 0 || app.pids.contains(r.pid), qPrintable(QString::number(r.pid)));
        if (closes) {
            // The pool closed them as it reported: the reports say so, and the sessions are gone.
            for (const JoinedLeakReport &r : sample->leakLog->reports) {
                if (app.pids.contains(r.pid))
                    QVERIFY(r.report->closesConnection);
            }
        }
    }

    // SQLAlchemy 1.4 (Debian 12's) writes no leak report: it rolls a garbage-collected
    // connection back and takes it home, saying so only at DEBUG, as it says of every return.
    // PoolScope reads its log and pins nothing on anyone; the sessions stay what the server
    // shows (2.0's warning is read: tst_leaklog).
    void sqlalchemy14()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QVERIFY2(QFile::exists(QStringLiteral("/usr/bin/python3")), "install python3-sqlalchemy (installer/dev.sh test does)");
        const QString log = m_dir.filePath(QStringLiteral("sqlalchemy.log"));
        QProcess app;
        app.start(QStringLiteral("/usr/bin/python3"),
                  {QStringLiteral(POOLSCOPE_LEAKAPPS "/sqlalchemy_leak.py"), QStringLiteral("--release-after"), QStringLiteral("3"),
                   QStringLiteral("postgresql+psycopg2://%1:%2@%3:%4/%5")
                       .arg(m_app.value(QStringLiteral("user")), m_app.value(QStringLiteral("password")),
                            m_app.value(QStringLiteral("host")), m_app.value(QStringLiteral("port")),
                            m_app.value(QStringLiteral("dbname"))),
                   QStringLiteral("2"), QStringLiteral("8"), log});
        QVERIFY2(app.waitForReadyRead(30'000), app.readAllStandardError().constData());
        const QString ready = QString::fromUtf8(app.readAllStandardOutput());
        QVERIFY2(ready.startsWith(QStringLiteral("READY ")), qPrintable(ready));
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QString error;
        sampler.setLeakLogs({*LeakLogSpec::parse(QStringLiteral("leakapp-sqlalchemy=") + log, &error)});
        AnalysedSamplePtr sample;
        for (int i = 0; i < 12; ++i) { // past the release and the collection (3 s, then 1 s)
            sample = sampler.readAnalysed();
            QVERIFY(sample && sample->leakLog);
            QVERIFY(sample->leakLog->files.first().problem.isEmpty());
            QVERIFY(sample->leakLog->files.first().lines > 0);
            QVERIFY(sample->leakLog->reports.isEmpty());
            for (const Session &s : sample->postgres->sessions)
                QVERIFY(!s.leakReport);
            QTest::qWait(500);
        }
        app.waitForFinished(15'000);
    }

    // The window: File > Open leak logs, the Leak log tab with the report joined to its session
    // and the stack below it, the Owners view by code location marking the log's stack, and a
    // double-click that finds the session.
    void window()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        LeakingApp app;
        QVERIFY(start(app, QStringLiteral("hikari"), 2, 20));
        WindowOptions options;
        options.auditLogPath = m_dir.filePath(QStringLiteral("audit.jsonl"));
        options.sampler.interval = std::chrono::milliseconds(500);
        options.restoreTargets = false;
        MainWindow window(options);
        window.resize(1280, 800);
        window.show();
        QString error;
        TargetView *view = window.openTarget(*ConnInfo::parse(POOLSCOPE_TEST_PG, &error), POOLSCOPE_TEST_PG, false);
        QVERIFY(view);

        QAction *open = nullptr;
        for (QAction *action : window.findChildren<QAction *>()) {
            if (action->text() == u"Open &leak logs…")
                open = action;
        }
        QVERIFY(open);
        QCOMPARE(open->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
        const QString spec = QStringLiteral("leakapp-hikari=%1,threshold=2s").arg(app.log);
        QTimer::singleShot(200, qApp, [spec] {
            auto *dialog = qobject_cast<LeakLogDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            dialog->editor()->setPlainText(QStringLiteral("not a log,threshold=soon"));
            dialog->accept(); // refused: the line does not read, the dialog stays
            QVERIFY(dialog->isVisible());
            dialog->editor()->setPlainText(spec);
            dialog->accept();
        });
        open->trigger();
        QCOMPARE(QSettings().value(QStringLiteral("leaklogs/files")).toStringList(),
                 QStringList{QStringLiteral("leakapp-hikari=%1,threshold=2000ms").arg(app.log)});

        view->tabs()->setCurrentWidget(view->leakLog());
        QTableWidget *table = view->leakLog()->table();
        const auto joinedRow = [&] {
            for (int row = 0; row < table->rowCount(); ++row) {
                if (table->item(row, LeakLogPanel::Join)->text() == u"exact time match"
                    && table->item(row, LeakLogPanel::Session)->text().contains(QString::number(app.pids.last())))
                    return row;
            }
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(joinedRow() >= 0, 20000);
        // The log holds the earlier runs' reports too (the same file, appended; the same
        // connection names, Java's hash codes being what they are): none is pinned on this
        // run's sessions.
        for (const JoinedLeakReport &r : view->target().sample()->leakLog->reports) {
            const bool thisRun = r.report->loggedAtMs >= app.startedAtMs;
            QVERIFY2(thisRun || !app.pids.contains(r.pid) || r.sessionEnded,
                     qPrintable(QStringLiteral("line %1 joined to pid %2").arg(r.report->line).arg(r.pid)));
        }
        table->selectRow(joinedRow());
        const QString details = view->leakLog()->details()->toPlainText();
        QVERIFY2(details.contains(u"    at " + kLeakSite) && details.contains(u"joined to pid"), qPrintable(details));
        QVERIFY2(view->tabs()->tabText(view->tabs()->currentIndex()).startsWith(u"Leak lo&g ("),
                 qPrintable(view->tabs()->tabText(view->tabs()->currentIndex())));
        saveScreenshot(&window, QStringLiteral("leaklog"), m_dir);

        // A double-click finds the session in the Sessions tab, its code location marked.
        Q_EMIT table->itemDoubleClicked(table->item(joinedRow(), LeakLogPanel::Session));
        QCOMPARE(view->tabs()->currentWidget(), view->sessions());
        const QModelIndexList selected = view->sessions()->view()->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().data(SessionTableModel::PidRole).toInt(), app.pids.last());
        QVERIFY(selected.first().siblingAtColumn(SessionTableModel::CodeLocation).data().toString().endsWith(u"[leak log]"));
    }

    // The command line reads the same: `snapshot --json --leak-log` names the report on the
    // session and marks its stack as the log's.
    void commandLine()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        LeakingApp app;
        QVERIFY(start(app, QStringLiteral("hikari"), 1, 15));
        QTest::qWait(3000); // HikariCP reports 2 s after the checkout, and gives the connection back at 5 s
        QProcess snapshot;
        snapshot.start(qEnvironmentVariable("POOLSCOPE_BINARY"),
                       {QStringLiteral("snapshot"), POOLSCOPE_TEST_PG, QStringLiteral("--json"),
                        QStringLiteral("--leak-log"), QStringLiteral("leakapp-hikari=%1,threshold=2s").arg(app.log)});
        QVERIFY(snapshot.waitForFinished(30'000));
        QCOMPARE(snapshot.exitCode(), 0);
        const QJsonObject document = QJsonDocument::fromJson(snapshot.readAllStandardOutput()).object();
        const QJsonObject logs = document.value(QStringLiteral("leak_logs")).toObject();
        QCOMPARE(logs.value(QStringLiteral("joined")).toInt(), 1);
        bool found = false;
        for (const QJsonValue &value : document.value(QStringLiteral("sessions")).toArray()) {
            const QJsonObject session = value.toObject();
            if (session.value(QStringLiteral("pid")).toInt() != app.pids.first())
                continue;
            found = true;
            QCOMPARE(session.value(QStringLiteral("stack_from")).toString(), QStringLiteral("leak_log"));
            const QJsonObject report = session.value(QStringLiteral("leak_report")).toObject();
            QCOMPARE(report.value(QStringLiteral("pool")).toString(), QStringLiteral("HikariCP"));
            QCOMPARE(report.value(QStringLiteral("join")).toString(), QStringLiteral("exact"));
            QVERIFY(session.value(QStringLiteral("stack")).toArray().first().toString().contains(kLeakSite));
        }
        QVERIFY(found);
    }
};

QTEST_MAIN(TestLiveLeakLog)
#include "tst_liveleaklog.moc"
