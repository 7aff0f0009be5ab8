// Hostile database content, live: sessions on the bench whose query text, tag comments,
// application_name and PgBouncer client fields carry terminal escapes (CSI, OSC title, OSC 8
// hyperlinks), the 8-bit CSI, bidi overrides, bytes that are not UTF-8, a 1 MB tag comment and
// spreadsheet formulas; then every face PoolScope has is read: `snapshot` and `watch` as text
// and JSON, the Markdown report of a recording, the CSV exports and the window's models.
#include "hostilesupport.h"
#include "testsupport.h"

#include "alertviews.h"
#include "analysis/alerts.h"
#include "analysis/linker.h"
#include "keyedtreemodel.h"
#include "output/csvexport.h"
#include "output/safetext.h"
#include "pgbouncer/bouncerreader.h"
#include "analysis/pipeline.h"
#include "postgres/pgreader.h"
#include "sampling/sampler.h"
#include "sessiontablemodel.h"
#include "treepanel.h"
#include "treerows.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QTemporaryDir>
#include <QTreeView>

using namespace poolscope;
using namespace poolscope::ui;
using namespace poolscope::hostile;

namespace {

// What the escape session sends, and the owner (its innermost frame) it must show up as.
const QString kScreen = QStringLiteral("\x1b[2J\x1b]0;PWNED\x07");
const QString kLinkFrame = QStringLiteral("Evil\x1b]8;;https://evil.example/\x07" "click\x1b]8;;\x07::frame evil.cpp:1");
const QString kC1Route = QString(QChar(0x9B)) + QStringLiteral("2J") + QChar(0x202E) + QStringLiteral("desrever")
                         + QChar(0x2066) + QStringLiteral("iso");
const QString kFormula = QStringLiteral("=cmd|' /C calc'!A0");
// PgBouncer, like PostgreSQL, turns every byte of an application_name outside printable ASCII
// into '?': markup and formulas are what a client can put there.
const QString kBouncerApp = QStringLiteral("<b>=cmd|' /C calc'!A0</b>");
// A call site the default patterns read: owner "hostile", frame "Evil<b>.java:1".
const char kCallSiteApp[] = "hostile@Evil<b>.java:1";

// Every session as the text outputs must show it (with --owner-by code): visible escapes.
const QStringList kVisible{
    QStringLiteral("\\x1b[2J\\x1b]0;PWNED\\x07"),                              // the query, in the table
    QStringLiteral("Evil\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07"), // its owner
    QStringLiteral("\\x9b2J\\u202edesrever\\u2066iso"),                          // C1 and bidi, percent-encoded in a tag
    QStringLiteral("\\u202e reversed"),                                          // … and raw in the query
    kFormula,                                                                    // owner and application_name
    QStringLiteral("bad") + QChar(0xFFFD),                                       // %FF in a tag
    QStringLiteral("raw ") + QChar(0xFFFD),                                      // 0xFF sent raw (SQL_ASCII)
    QStringLiteral("Big\\x1b[2J  "),                                             // owner, from the truncated 1 MB comment
};

} // namespace

class TestHostile : public QObject
{
    Q_OBJECT

private:
    std::vector<std::unique_ptr<ClientSession>> m_sessions;
    std::unique_ptr<RawSession> m_raw;
    std::unique_ptr<ClientSession> m_bouncerClient;
    QHash<QString, int> m_pids; // session name -> backend pid
    QString m_pg, m_bouncer;
    QTemporaryDir m_dir;

    Snapshot snapshot()
    {
        QString error;
        PgConnection connection;
        Snapshot snapshot;
        if (connection.open(*ConnInfo::parse(m_pg, &error), QByteArrayLiteral("poolscope")).isError())
            return snapshot;
        PgReader reader(connection);
        LeakRules rules;
        rules.idleInTxLeakedAfter = 1;
        AnalysisPipeline pipeline(QStringLiteral("hostile"), AnalysisSettings{rules, {}, {}});
        AnalysedSamplePtr sample;
        if (!sampleOnce(connection, reader, pipeline, std::chrono::seconds(5), &sample).isError())
            snapshot = *sample->postgres;
        return snapshot;
    }

    BouncerSnapshot bouncerSnapshot()
    {
        QString error;
        PgConnection connection;
        BouncerSnapshot snapshot;
        if (!connection.open(*ConnInfo::parse(m_bouncer, &error), QByteArrayLiteral("poolscope")).isError())
            BouncerReader().read(connection, std::chrono::seconds(5), &snapshot);
        return snapshot;
    }

    const Session *sessionNamed(const Snapshot &s, const QString &name)
    {
        for (const Session &session : s.sessions) {
            if (session.pid == m_pids.value(name))
                return &session;
        }
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(qEnvironmentVariable("POOLSCOPE_BINARY")), "POOLSCOPE_BINARY must name the built binary");
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        m_pg = POOLSCOPE_TEST_PG;
        m_bouncer = POOLSCOPE_TEST_BOUNCER;
        QVERIFY(m_dir.isValid());

        // Those marked true are left idle in transaction with their query, to be leaked a second
        // later (and named in leak lines, the report's peak and an alert); the others idle.
        const QList<std::tuple<QString, QString, bool>> sessions{
            {QStringLiteral("escapes"),
             QStringLiteral("SELECT '%1' AS screen /*controller='\x1b[31mred',"
                            "action='<img src=x onerror=alert(1)>[click](https://evil.example/)',"
                            "stack='%2|```fence```|Outer outer.cpp:2'*/").arg(kScreen, kLinkFrame), true},
            {QStringLiteral("c1"), QStringLiteral("SELECT 1 AS c1 /*route='%C2%9B2J%E2%80%AEdesrever%E2%81%A6iso',"
                                                  "db_driver='x'*/ -- ") + QChar(0x9B) + QStringLiteral("[31m ")
                                       + QChar(0x202E) + QStringLiteral(" reversed"), true},
            {QStringLiteral("utf8"), QStringLiteral("SELECT 1 AS utf8 /*route='bad%FF%FE%C0%9Bbytes',db_driver='x'*/"), false},
            {QStringLiteral("formula"), QStringLiteral("SELECT 1 AS formula /*controller='%3Dcmd%7C%27%20%2FC%20calc%27%21A0',"
                                                       "db_driver='x'*/"), true},
            {QStringLiteral("big"), bigTagQuery(), false},
        };
        for (const auto &[name, sql, inTransaction] : sessions) {
            // application_name: PostgreSQL keeps printable ASCII only (others become '?'), so
            // the formula and a pipe go there; the rest comes through the query text.
            const QByteArray app = name == QLatin1String("formula") ? kFormula.toUtf8() : QByteArray("hostile|" + name.toUtf8());
            m_sessions.push_back(std::make_unique<ClientSession>(POOLSCOPE_TEST_PG_APP, app.constData()));
            ClientSession &s = *m_sessions.back();
            QVERIFY2(s.ok(), qPrintable(s.error()));
            QVERIFY(!inTransaction || s.exec(QStringLiteral("BEGIN")));
            QVERIFY2(s.exec(sql), qPrintable(name));
            m_pids.insert(name, s.pid());
        }
        // Bytes that are not UTF-8 reach pg_stat_activity only from a SQL_ASCII database: a
        // UTF-8 one rejects them, and PoolScope reads them through its UTF-8 connection as
        // they are. 0x9B alone is the 8-bit CSI in a Latin-1 terminal.
        m_raw = std::make_unique<RawSession>(POOLSCOPE_TEST_PG, QByteArrayLiteral("hostile_ascii"));
        QVERIFY2(m_raw->ok(), qPrintable(m_raw->error()));
        QVERIFY2(m_raw->exec("SELECT 'raw \xFF\xFE \x9B" "2J \x1B[2J' AS ascii /*route='ascii'*/"), qPrintable(m_raw->error()));
        m_pids.insert(QStringLiteral("ascii"), m_raw->pid());
        // A call site in application_name, with markup in its frame, and a traceparent that tries
        // to carry a path, a query and an escape into the trace link: no trace id comes of it.
        m_sessions.push_back(std::make_unique<ClientSession>(POOLSCOPE_TEST_PG_APP, kCallSiteApp));
        QVERIFY(m_sessions.back()->exec(QStringLiteral(
            "SELECT 1 AS callsite /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01%2F..%2F..%3Fx%3D%1B[2J',"
            "trace_id='..%2F..%2Fadmin%3Fx%3D4bf92f3577b34da6a3ce929d'*/")));
        m_pids.insert(QStringLiteral("callsite"), m_sessions.back()->pid());
        m_bouncerClient = std::make_unique<ClientSession>(POOLSCOPE_TEST_BOUNCER_APP, kBouncerApp.toUtf8().constData());
        QVERIFY2(m_bouncerClient->ok(), qPrintable(m_bouncerClient->error()));
        QVERIFY(m_bouncerClient->exec(QStringLiteral("BEGIN")));
        QVERIFY(m_bouncerClient->exec(QStringLiteral("SELECT 1 /*stack='%1B%5B2Jvia-bouncer bouncer.cpp:1'*/")));
        QTest::qWait(1500); // idle in transaction for more than --idle-tx-leaked-after 1s
    }

    void cleanupTestCase()
    {
        m_sessions.clear();
        m_bouncerClient.reset();
        m_raw.reset();
        dropAsciiDatabase(qEnvironmentVariable("POOLSCOPE_TEST_PG"));
    }

    // What PostgreSQL shows of the 1 MB comment: the first 1023 bytes, cut at a character.
    void truncatedTagComment()
    {
        const Snapshot s = snapshot();
        const Session *big = sessionNamed(s, QStringLiteral("big"));
        QVERIFY(big);
        QVERIFY2(big->query.toUtf8().size() <= 1023, qPrintable(QString::number(big->query.toUtf8().size())));
        QVERIFY(big->query.startsWith(u"/*controller='Big\x1b[2J',stack='Frame1"));
        QVERIFY(!big->query.contains(QChar(0xFFFD))); // not cut inside a character
        QVERIFY(big->stack.isEmpty());                 // its segment was cut: not a stack
        QCOMPARE(int(big->tags.size()), 1);
        QCOMPARE(big->tags.first().value, QStringLiteral("Big\x1b[2J"));
        QCOMPARE(ownerOf(*big, OwnerKey::CodeLocation), QStringLiteral("Big\x1b[2J"));
    }

    void textOutputs_data()
    {
        QTest::addColumn<QStringList>("arguments");
        const QStringList common{QStringLiteral("--owner-by"), QStringLiteral("code"), QStringLiteral("--max-sessions"),
                                 QStringLiteral("500"), QStringLiteral("--idle-tx-leaked-after"), QStringLiteral("1s")};
        QTest::newRow("snapshot") << QStringList{QStringLiteral("snapshot"), qEnvironmentVariable("POOLSCOPE_TEST_PG")} + common;
        QTest::newRow("watch --count 1") << QStringList{QStringLiteral("watch"), qEnvironmentVariable("POOLSCOPE_TEST_PG"),
                                                        QStringLiteral("--count"), QStringLiteral("1")} + common;
    }

    void textOutputs()
    {
        QFETCH(QStringList, arguments);
        const CliRun run = runPoolscope(arguments);
        QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
        QVERIFY2(rawControlIn(run.out, false).isEmpty(), qPrintable(rawControlIn(run.out, false) + run.describe()));
        QVERIFY2(rawControlIn(run.err, false).isEmpty(), qPrintable(run.describe()));
        const QString text = QString::fromUtf8(run.out);
        for (const QString &visible : kVisible)
            QVERIFY2(text.contains(visible), qPrintable(visible + u'\n' + text));
        // The leak lines and the leaking stacks name the frame, visibly.
        QVERIFY2(text.contains(u"      at " + safeLine(kLinkFrame)), qPrintable(text));
        QVERIFY2(text.contains(u"    " + safeLine(kLinkFrame) + u'\n'), qPrintable(text));
        QVERIFY2(text.contains(u"Evil<b>.java:1"), qPrintable(text)); // the call site, as the owner by code
    }

    // JSON keeps every value exact (and valid), and still sends no raw C1 or bidi character.
    void jsonIsExact()
    {
        const CliRun run = runPoolscope({QStringLiteral("snapshot"), m_pg, QStringLiteral("--json")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.describe()));
        QVERIFY2(rawControlIn(run.out, true).isEmpty(), qPrintable(rawControlIn(run.out, true)));
        QJsonParseError error;
        const QJsonObject root = QJsonDocument::fromJson(run.out, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        const QHash<int, QPair<QString, QString>> truth = activityOf(m_pg, m_pids.values());
        int found = 0;
        for (const QJsonValue &value : root.value(u"sessions").toArray()) {
            const QJsonObject session = value.toObject();
            const int pid = session.value(u"pid").toInt();
            if (!truth.contains(pid))
                continue;
            ++found;
            QCOMPARE(session.value(u"query").toString(), truth[pid].first);
            QCOMPARE(session.value(u"application_name").toString(), truth[pid].second);
            if (pid == m_pids.value(QStringLiteral("escapes"))) {
                QCOMPARE(session.value(u"stack").toArray().first().toString(), kLinkFrame);
                QCOMPARE(session.value(u"tags").toObject().value(u"controller").toString(), QStringLiteral("\x1b[31mred"));
            }
            if (pid == m_pids.value(QStringLiteral("c1")))
                QCOMPARE(session.value(u"tags").toObject().value(u"route").toString(), kC1Route);
            if (pid == m_pids.value(QStringLiteral("formula")))
                QCOMPARE(session.value(u"application_name").toString(), kFormula);
            if (pid == m_pids.value(QStringLiteral("callsite"))) {
                QCOMPARE(session.value(u"owner").toString(), QStringLiteral("hostile"));
                QCOMPARE(session.value(u"stack").toArray().first().toString(), QStringLiteral("Evil<b>.java:1"));
                QVERIFY2(session.value(u"trace_id").isNull(), qPrintable(session.value(u"trace_id").toString()));
            }
        }
        QCOMPARE(found, int(m_pids.size()));
        QVERIFY(truth.value(m_pids.value(QStringLiteral("ascii"))).first.contains(QChar(0xFFFD)));

        // watch --json: one compact document a line, the same guarantees.
        const CliRun watch = runPoolscope({QStringLiteral("watch"), m_pg, QStringLiteral("--json"), QStringLiteral("--count"),
                                           QStringLiteral("1")});
        QVERIFY2(watch.exitCode == 0, qPrintable(watch.describe()));
        QVERIFY(rawControlIn(watch.out, true).isEmpty());
        QCOMPARE(QJsonDocument::fromJson(watch.out.trimmed(), &error).isObject(), true);
    }

    // The diagnosis names owners and code from the same hostile sessions: visible and harmless
    // in its text, exact in its JSON.
    void diagnosisOutputs()
    {
        const QStringList common{QStringLiteral("--for"), QStringLiteral("1s"), QStringLiteral("--interval"),
                                 QStringLiteral("0.5s"), QStringLiteral("--idle-tx-leaked-after"), QStringLiteral("1s")};
        const CliRun text = runPoolscope(QStringList{QStringLiteral("diagnose"), m_pg} + common);
        QVERIFY2(text.exitCode == 0, qPrintable(text.describe()));
        QVERIFY2(rawControlIn(text.out, false).isEmpty(), qPrintable(rawControlIn(text.out, false) + text.describe()));
        QVERIFY2(rawControlIn(text.err, false).isEmpty(), qPrintable(text.describe()));
        const QString out = QString::fromUtf8(text.out);
        QVERIFY2(out.contains(u"Forgotten checkout - " + safeLine(QStringLiteral("hostile|escapes"))), qPrintable(out));
        QVERIFY2(out.contains(u"   at        " + safeLine(kLinkFrame) + u'\n'), qPrintable(out));
        QVERIFY2(out.contains(u" - " + safeLine(kFormula)), qPrintable(out));

        const CliRun json = runPoolscope(QStringList{QStringLiteral("diagnose"), m_pg, QStringLiteral("--json")} + common);
        QVERIFY2(json.exitCode == 0, qPrintable(json.describe()));
        QVERIFY2(rawControlIn(json.out, true).isEmpty(), qPrintable(rawControlIn(json.out, true)));
        QJsonParseError error;
        const QJsonObject root = QJsonDocument::fromJson(json.out, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        const QJsonArray causes = root.value(u"targets").toArray().first().toObject().value(u"diagnosis").toObject()
                                      .value(u"causes").toArray();
        bool escapes = false, formula = false;
        for (const QJsonValue &value : causes) {
            const QJsonObject cause = value.toObject();
            if (cause.value(u"owner").toString() == u"hostile|escapes")
                escapes = cause.value(u"code_location").toString() == kLinkFrame;
            formula = formula || cause.value(u"owner").toString() == kFormula;
        }
        QVERIFY2(escapes && formula, json.out.constData());
    }

    void pgbouncerOutputs()
    {
        const CliRun text = runPoolscope({QStringLiteral("snapshot"), m_bouncer, QStringLiteral("--postgres"), m_pg,
                                          QStringLiteral("--max-sessions"), QStringLiteral("500")});
        QVERIFY2(text.exitCode == 0, qPrintable(text.describe()));
        QVERIFY2(rawControlIn(text.out, false).isEmpty(), qPrintable(rawControlIn(text.out, false)));
        QVERIFY2(QString::fromUtf8(text.out).contains(safeLine(kBouncerApp)), qPrintable(QString::fromUtf8(text.out)));
        QVERIFY2(QString::fromUtf8(text.out).contains(u"\\x1b[2Jvia-bouncer"), qPrintable(QString::fromUtf8(text.out)));

        const CliRun json = runPoolscope({QStringLiteral("snapshot"), m_bouncer, QStringLiteral("--json")});
        QVERIFY2(json.exitCode == 0, qPrintable(json.describe()));
        QVERIFY(rawControlIn(json.out, true).isEmpty());
        bool exact = false;
        for (const QJsonValue &client : QJsonDocument::fromJson(json.out).object().value(u"clients").toArray())
            exact = exact || client.toObject().value(u"application_name").toString() == kBouncerApp;
        QVERIFY2(exact, json.out.constData());
    }

    void markdownReport()
    {
        const QString file = m_dir.filePath(QStringLiteral("hostile.psrec"));
        const CliRun record = runPoolscope({QStringLiteral("record"), m_pg, QStringLiteral("--duration"), QStringLiteral("3s"),
                                            QStringLiteral("-o"), file, QStringLiteral("--idle-tx-leaked-after"), QStringLiteral("1s")});
        QVERIFY2(record.exitCode == 0, qPrintable(record.describe()));
        const CliRun report = runPoolscope({QStringLiteral("report"), file, QStringLiteral("--owner"), QStringLiteral("code"),
                                            QStringLiteral("--no-chart")});
        QVERIFY2(report.exitCode == 0, qPrintable(report.describe()));
        QVERIFY2(rawControlIn(report.out, true).isEmpty(), qPrintable(rawControlIn(report.out, true)));
        const QString md = QString::fromUtf8(report.out);
        QVERIFY2(markdownTablesIntact(md).isEmpty(), qPrintable(markdownTablesIntact(md)));
        // The owners at the peak, with their escapes visible once rendered (\\ renders as \).
        QVERIFY2(md.contains(u"| Evil\\\\x1b\\]8;;https://evil.example/\\\\x07click"), qPrintable(md));
        QVERIFY2(md.contains(u"| \\\\x9b2J\\\\u202edesrever\\\\u2066iso |"), qPrintable(md));
        QVERIFY2(md.contains(u"| =cmd\\|' /C calc'!A0 |"), qPrintable(md));
        // The leaking stack in a fence its "```" frame cannot close.
        QVERIFY2(md.contains(u"\n````\n" + safeLine(kLinkFrame) + u"\n```fence```\nOuter outer.cpp:2\n````\n"), qPrintable(md));
    }

    // A pool's leak log is written by the application, and by whoever can make it log: its
    // thread names, connection names and frames reach the text, the JSON and the report visible
    // and harmless, and exact in the JSON.
    void leakLogOutputs()
    {
        const QString thread = QStringLiteral("\x1b[2Jworker|one\u202e") + QChar(0x9B) + QStringLiteral("[31m");
        const QString frame = QStringLiteral("Evil\x1b]8;;https://evil.example/\x07click.run(Evil.java:1)");
        const QString log = m_dir.filePath(QStringLiteral("hostile-leaks.log"));
        QFile file(log);
        QVERIFY(file.open(QIODevice::WriteOnly));
        // Logged now, so the idle-in-transaction "escapes" session began before it.
        const QString now = QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
        file.write((now + QStringLiteral(" [housekeeper] WARN  com.zaxxer.hikari.pool.ProxyLeakTask - Connection leak "
                                         "detection triggered for conn<img src=x>@1 on thread %1, stack trace follows\n"
                                         "java.lang.Exception: Apparent connection leak detected\n"
                                         "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)\n"
                                         "\tat %2\n\tat ```fence```.x(A.java:2)\n\tat Outer|pipe.main(Outer.java:3)\n")
                                .arg(thread, frame))
                       .toUtf8());
        file.close();
        const QString spec = QStringLiteral("hostile|escapes=") + log;

        const CliRun text = runPoolscope({QStringLiteral("snapshot"), m_pg, QStringLiteral("--leak-log"), spec});
        QVERIFY2(text.exitCode == 0, qPrintable(text.describe()));
        QVERIFY2(rawControlIn(text.out, false).isEmpty(), qPrintable(rawControlIn(text.out, false) + text.describe()));
        const QString out = QString::fromUtf8(text.out);
        QVERIFY2(out.contains(safeLine(thread)), qPrintable(out));
        QVERIFY2(out.contains(safeLine(frame).left(40)), qPrintable(out)); // the table's last column, cut to fit
        QVERIFY2(out.contains(QStringLiteral("Leak logs: 1 report(s) joined")), qPrintable(out));

        const CliRun json = runPoolscope({QStringLiteral("snapshot"), m_pg, QStringLiteral("--json"), QStringLiteral("--leak-log"), spec});
        QVERIFY2(json.exitCode == 0, qPrintable(json.describe()));
        QVERIFY2(rawControlIn(json.out, true).isEmpty(), qPrintable(rawControlIn(json.out, true)));
        const QJsonObject report = QJsonDocument::fromJson(json.out).object().value(u"leak_logs").toObject()
                                       .value(u"reports").toArray().first().toObject();
        QCOMPARE(report.value(u"pid").toInt(), m_pids.value(QStringLiteral("escapes")));
        QCOMPARE(report.value(u"report").toObject().value(u"thread").toString(), thread);
        QCOMPARE(report.value(u"report").toObject().value(u"stack").toArray().first().toString(), frame);

        const QString recording = m_dir.filePath(QStringLiteral("hostile-leaks.psrec"));
        const CliRun record = runPoolscope({QStringLiteral("record"), m_pg, QStringLiteral("--duration"), QStringLiteral("2s"),
                                            QStringLiteral("-o"), recording, QStringLiteral("--leak-log"), spec});
        QVERIFY2(record.exitCode == 0, qPrintable(record.describe()));
        const CliRun md = runPoolscope({QStringLiteral("report"), recording, QStringLiteral("--no-chart")});
        QVERIFY2(md.exitCode == 0, qPrintable(md.describe()));
        QVERIFY2(rawControlIn(md.out, true).isEmpty(), qPrintable(rawControlIn(md.out, true)));
        const QString markdown = QString::fromUtf8(md.out);
        QVERIFY2(markdownTablesIntact(markdown).isEmpty(), qPrintable(markdownTablesIntact(markdown)));
        QVERIFY2(markdown.contains(QStringLiteral("## Leak reports from the pools' logs")), qPrintable(markdown));
        // The checkout's frames in a fence their "```" cannot close.
        QVERIFY2(markdown.contains(u"\n````\n" + safeLine(frame) + u"\n```fence```.x(A.java:2)\n"), qPrintable(markdown));
    }

    void csvExports()
    {
        const Snapshot s = snapshot();
        QVERIFY(sessionNamed(s, QStringLiteral("formula")));
        for (const auto &[name, csv] : {std::pair{"sessions", sessionsCsv(s)},
                                         std::pair{"owners", ownersCsv(groupOwners(s, OwnerKey::CodeLocation), OwnerKey::CodeLocation)}}) {
            QVERIFY2(rawControlIn(QString(csv).replace(QLatin1String("\r\n"), QLatin1String("\n")).toUtf8(), true).isEmpty(), name);
            const QList<QStringList> rows = parseCsv(csv);
            QVERIFY2(rows.size() > 1, name);
            for (const QStringList &row : rows) {
                QCOMPARE(row.size(), rows.first().size());
                for (const QString &cell : row) {
                    bool number = false;
                    cell.toDouble(&number);
                    QVERIFY2(number || cell.isEmpty() || !QStringLiteral("=+-@\t\r").contains(cell.front()), qPrintable(cell));
                }
            }
            QVERIFY2(csv.contains(u"'" + kFormula), name); // the formula, quoted for RFC 4180 and neutralised
        }
        const QString sessions = sessionsCsv(s);
        QVERIFY(sessions.contains(u"\\x1b[2J\\x1b]0;PWNED\\x07"));
        QVERIFY(sessions.contains(u"\\x9b[31m \\u202e reversed"));
    }

    void windowModels()
    {
        const SnapshotPtr s = std::make_shared<Snapshot>(snapshot());
        SessionTableModel table;
        QAbstractItemModelTester tableTester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.merge(s, s->takenAtMs);
        QString cells = checkModel(table);
        QVERIFY2(!cells.startsWith(u"RAW"), qPrintable(cells));
        for (const QString &visible : kVisible.mid(0, 6))
            QVERIFY2(cells.contains(visible), qPrintable(visible));
        const int callSite = table.rowOfKey(sessionNamed(*s, QStringLiteral("callsite"))->key());
        QVERIFY(callSite >= 0);
        QCOMPARE(table.index(callSite, SessionTableModel::Application).data().toString(), QString::fromLatin1(kCallSiteApp));
        QCOMPARE(table.index(callSite, SessionTableModel::CodeLocation).data().toString(), QStringLiteral("Evil<b>.java:1"));
        QCOMPARE(table.index(callSite, SessionTableModel::Trace).data().toString(), QString());

        TreePanel owners(ownerColumns(), true);
        QAbstractItemModelTester ownersTester(owners.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        owners.merge(ownerRows(s, groupOwners(*s, OwnerKey::CodeLocation)));
        cells = checkModel(*owners.model());
        QVERIFY2(!cells.startsWith(u"RAW"), qPrintable(cells));
        QVERIFY(cells.contains(safeLine(kLinkFrame)));
        QVERIFY(cells.contains(u"\\x9b2J\\u202edesrever\\u2066iso"));
        // The stack pane of the escape session's owner.
        const QAbstractItemModel *shown = owners.view()->model();
        const QModelIndexList match = shown->match(shown->index(0, 0), Qt::DisplayRole, safeLine(kLinkFrame), 1, Qt::MatchExactly);
        QVERIFY(!match.isEmpty());
        owners.view()->setCurrentIndex(match.first());
        QVERIFY2(rawControlIn(owners.stackText().toUtf8(), true).isEmpty(), qPrintable(owners.stackText()));
        QVERIFY2(owners.stackText().contains(u"#1 ```fence```"), qPrintable(owners.stackText()));

        const BouncerSnapshot bouncer = bouncerSnapshot();
        const LinkedLayers linked = linkLayers(bouncer, s.get());
        KeyedTreeModel pools(poolColumns());
        pools.merge(poolRows(bouncer, s.get(), &linked));
        cells = checkModel(pools);
        QVERIFY2(!cells.startsWith(u"RAW"), qPrintable(cells));
        QVERIFY2(cells.contains(safeLine(kBouncerApp)), qPrintable(cells));

        // An alert naming the hostile owners, in the banner: a plain-text label, escapes shown.
        AlertTracker alerts;
        const AlertTracker::Changes changes = alerts.update(QStringLiteral("db1"), *s, groupOwners(*s, OwnerKey::CodeLocation),
                                                            QDateTime::currentMSecsSinceEpoch());
        QVERIFY(!changes.fired.isEmpty());
        AlertBanner banner;
        banner.setAlerts(changes.fired);
        QCOMPARE(banner.findChild<QLabel *>()->textFormat(), Qt::PlainText);
        QVERIFY2(rawControlIn(banner.text().toUtf8(), true).isEmpty(), qPrintable(banner.text()));
        QVERIFY2(banner.text().contains(u"\\x"), qPrintable(banner.text()));
    }
};

QTEST_MAIN(TestHostile)
#include "tst_hostile.moc"
