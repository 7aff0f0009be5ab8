#include "analysis/classifier.h"
#include "analysis/querytags.h"
#include "model/duration.h"

#include <QTest>

using namespace poolscope;

Q_DECLARE_METATYPE(poolscope::SessionClass)
Q_DECLARE_METATYPE(poolscope::LeakVerdict)

namespace {

constexpr qint64 kNow = 1'800'000'000'000; // server clock of every fixture snapshot

Session session(int pid, const char *state, double secondsInState, const char *waitType = "")
{
    Session s;
    s.pid = pid;
    s.user = QStringLiteral("app");
    s.database = QStringLiteral("shop");
    s.applicationName = QStringLiteral("orders");
    s.state = QString::fromLatin1(state);
    s.waitEventType = QString::fromLatin1(waitType);
    s.waitEvent = s.waitEventType.isEmpty() ? QString() : QStringLiteral("transactionid");
    s.backendStartMs = kNow - 3'600'000;
    s.stateChangeMs = kNow - qint64(secondsInState * 1000);
    return s;
}

Snapshot snapshotOf(QList<Session> sessions, int maxConnections = 100)
{
    Snapshot snapshot;
    snapshot.takenAtMs = kNow;
    snapshot.limits.maxConnections = maxConnections;
    snapshot.limits.superuserReserved = 3;
    snapshot.sessions = std::move(sessions);
    return snapshot;
}

bool anyReasonContains(const Session &s, const QString &text)
{
    for (const QString &reason : s.reasons) {
        if (reason.contains(text))
            return true;
    }
    return false;
}

} // namespace

class TestClassifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rules_data()
    {
        QTest::addColumn<QString>("state");
        QTest::addColumn<double>("seconds");
        QTest::addColumn<QString>("waitType");
        QTest::addColumn<bool>("blocksAnother");
        QTest::addColumn<SessionClass>("expectedClass");
        QTest::addColumn<LeakVerdict>("expectedVerdict");
        QTest::addColumn<QString>("reason");

        const auto row = [](const char *name, const char *state, double seconds, const char *wait, bool blocks,
                            SessionClass c, LeakVerdict v, const char *reason) {
            QTest::newRow(name) << QString::fromLatin1(state) << seconds << QString::fromLatin1(wait) << blocks << c
                                << v << QString::fromLatin1(reason);
        };
        using C = SessionClass;
        using V = LeakVerdict;
        row("active", "active", 3, "", false, C::Active, V::None, "");
        row("active on IO is waiting", "active", 3, "IO", false, C::Waiting, V::None, "waiting on IO");
        row("lock wait", "active", 12, "Lock", false, C::Waiting, V::None, "waiting on Lock/transactionid for 12 s");
        row("pg_sleep is active, not waiting", "active", 3, "Timeout", false, C::Active, V::None, "");
        row("idle", "idle", 600, "", false, C::Idle, V::None, "");
        row("idle in tx, fresh", "idle in transaction", 1, "", false, C::IdleInTransaction, V::None, "");
        row("idle in tx, warn", "idle in transaction", 7, "", false, C::IdleInTransaction, V::None,
            "idle in transaction for 7.0 s");
        row("idle in tx, warn but blocking", "idle in transaction", 7, "", true, C::IdleInTransaction, V::Suspected,
            "blocks 1 session");
        row("idle in tx, suspect", "idle in transaction", 31, "", false, C::IdleInTransaction, V::Suspected,
            "idle in transaction for 31 s");
        row("idle in tx, suspect and blocking", "idle in transaction", 31, "", true, C::IdleInTransaction, V::Leaked,
            "blocks 1 session");
        row("idle in tx, leaked", "idle in transaction", 74, "", false, C::IdleInTransaction, V::Leaked,
            "idle in transaction for 74 s");
        row("aborted, fresh", "idle in transaction (aborted)", 9, "", false, C::IdleInTransactionAborted, V::None, "");
        row("aborted, leaked", "idle in transaction (aborted)", 10, "", false, C::IdleInTransactionAborted, V::Leaked,
            "idle in transaction (aborted) for 10 s");
        row("fastpath", "fastpath function call", 1, "", false, C::Other, V::None, "");
        row("disabled", "disabled", 1, "", false, C::Other, V::None, "");
    }

    void rules()
    {
        QFETCH(QString, state);
        QFETCH(double, seconds);
        QFETCH(QString, waitType);
        QFETCH(bool, blocksAnother);
        QFETCH(SessionClass, expectedClass);
        QFETCH(LeakVerdict, expectedVerdict);
        QFETCH(QString, reason);

        Session subject = session(100, "", seconds);
        subject.state = state;
        subject.waitEventType = waitType;
        subject.waitEvent = waitType.isEmpty() ? QString() : QStringLiteral("transactionid");
        QList<Session> sessions{subject};
        if (blocksAnother) {
            Session waiter = session(200, "active", 2, "Lock");
            waiter.blockedBy = {100};
            sessions.append(waiter);
        }
        Snapshot snapshot = snapshotOf(sessions);
        classify(snapshot, LeakRules{});
        const Session &s = snapshot.sessions.first();
        QCOMPARE(s.sessionClass, expectedClass);
        QCOMPARE(s.leak, expectedVerdict);
        if (reason.isEmpty())
            QVERIFY2(s.reasons.isEmpty() || blocksAnother, qPrintable(s.reasons.join(u';')));
        else
            QVERIFY2(anyReasonContains(s, reason), qPrintable(s.reasons.join(u';')));
        QCOMPARE(s.stateSeconds, seconds);
    }

    void thresholdsAreConfigurable()
    {
        LeakRules rules;
        rules.idleInTxLeakedAfter = 20;
        rules.idleInTxSuspectAfter = 10;
        Snapshot snapshot = snapshotOf({session(1, "idle in transaction", 21)});
        classify(snapshot, rules);
        QCOMPARE(snapshot.sessions[0].leak, LeakVerdict::Leaked);
        rules.idleInTxLeakedAfter = 600;
        classify(snapshot, rules);
        QCOMPARE(snapshot.sessions[0].leak, LeakVerdict::Suspected);
    }

    void holdsXidIsAReason()
    {
        Session s = session(1, "idle in transaction", 90);
        s.backendXid = QStringLiteral("7411");
        Snapshot snapshot = snapshotOf({s});
        classify(snapshot, LeakRules{});
        QVERIFY(anyReasonContains(snapshot.sessions[0], QStringLiteral("holds transaction id 7411")));
    }

    void blockersAndBlocking()
    {
        Session holder = session(10, "idle in transaction", 40);
        Session waiterA = session(11, "active", 5, "Lock");
        waiterA.blockedBy = {10};
        Session waiterB = session(12, "active", 4, "Lock");
        waiterB.blockedBy = {11, 10};
        Snapshot snapshot = snapshotOf({holder, waiterA, waiterB});
        classify(snapshot, LeakRules{});
        QCOMPARE(snapshot.sessions[0].blocking, (QList<int>{11, 12}));
        QCOMPARE(snapshot.sessions[1].blocking, (QList<int>{12}));
        QVERIFY(anyReasonContains(snapshot.sessions[0], QStringLiteral("blocks 2 sessions")));
        QVERIFY(anyReasonContains(snapshot.sessions[2], QStringLiteral("blocked by 11, 10")));
        QCOMPARE(snapshot.sessions[0].leak, LeakVerdict::Leaked); // suspect age, and it blocks others
    }

    void idleWhileRoleStarved()
    {
        QList<Session> sessions;
        for (int i = 0; i < 4; ++i)
            sessions.append(session(100 + i, "idle", 30));
        Snapshot snapshot = snapshotOf(sessions);
        snapshot.limits.roles = {{QStringLiteral("app"), 4}};
        classify(snapshot, LeakRules{});
        QCOMPARE(snapshot.totals.suspected, 4);
        QVERIFY(anyReasonContains(snapshot.sessions[0], QStringLiteral("role app is at its connection limit (4 of 4)")));
        QVERIFY(std::any_of(snapshot.findings.cbegin(), snapshot.findings.cend(),
                            [](const Finding &f) { return f.code == QLatin1String("role-limit"); }));

        snapshot.limits.roles = {{QStringLiteral("app"), 10}};
        classify(snapshot, LeakRules{});
        QCOMPARE(snapshot.totals.suspected, 0);
    }

    // Both ages of a session in a transaction: time in its state and since the transaction
    // began. A transaction held long across short pauses is a checkout held across other work.
    void bothAges_data()
    {
        QTest::addColumn<double>("stateSeconds");
        QTest::addColumn<double>("transactionSeconds");
        QTest::addColumn<LeakVerdict>("expected");
        QTest::addColumn<QString>("reason");
        QTest::newRow("short pause, young transaction") << 7.0 << 7.0 << LeakVerdict::None << QStringLiteral("idle in transaction for 7.0 s");
        QTest::newRow("short pause, transaction held 90 s") << 7.0 << 90.0 << LeakVerdict::Suspected
                                                             << QStringLiteral("idle in transaction for 7.0 s, its transaction open for 90 s");
        QTest::newRow("between statements, old transaction") << 3.0 << 300.0 << LeakVerdict::None << QString();
        QTest::newRow("long pause, old transaction") << 31.0 << 300.0 << LeakVerdict::Suspected
                                                      << QStringLiteral("its transaction open for 5 min 00 s");
    }

    void bothAges()
    {
        QFETCH(double, stateSeconds);
        QFETCH(double, transactionSeconds);
        QFETCH(LeakVerdict, expected);
        QFETCH(QString, reason);
        Session subject = session(100, "", stateSeconds);
        subject.state = QStringLiteral("idle in transaction");
        subject.xactStartMs = kNow - qint64(transactionSeconds * 1000);
        Snapshot snapshot = snapshotOf({subject});
        classify(snapshot, LeakRules{});
        const Session &s = snapshot.sessions.first();
        QCOMPARE(s.transactionSeconds, transactionSeconds);
        QCOMPARE(s.stateSeconds, stateSeconds);
        QCOMPARE(s.leak, expected);
        if (reason.isEmpty())
            QVERIFY2(s.reasons.isEmpty(), qPrintable(s.reasons.join(u';')));
        else
            QVERIFY2(anyReasonContains(s, reason), qPrintable(s.reasons.join(u';')));
    }

    void ignoreRules_data()
    {
        QTest::addColumn<QString>("application");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("query");
        QTest::addColumn<QStringList>("rules");
        QTest::addColumn<QString>("ignoredBecause");
        const auto row = [](const char *name, const char *application, const char *user, const char *query,
                            const QStringList &rules, const char *because) {
            QTest::newRow(name) << QString::fromUtf8(application) << QString::fromUtf8(user) << QString::fromUtf8(query)
                                << rules << QString::fromUtf8(because);
        };
        const QStringList none;
        row("pg_dump by default", "pg_dump", "dba", "COPY t TO stdout", none, "application pg_dump");
        row("pg_basebackup by default", "pg_basebackup", "dba", "", none, "application pg_basebackup");
        row("an application", "billing", "app", "SELECT 1", none, "");
        row("user rule", "etl", "batch", "SELECT 1", {QStringLiteral("user=batch")}, "user batch");
        row("database rule", "etl", "app", "SELECT 1", {QStringLiteral("database=shop")}, "database shop");
        row("application rule", "nightly", "app", "SELECT 1", {QStringLiteral("application=nightly")}, "application nightly");
        row("query comment", "etl", "app", "SELECT 1 /* poolscope:ignore */", none, "its query comment poolscope:ignore");
        row("comment among tags", "etl", "app", "SELECT 1 /*controller='x',poolscope='ignore'*/", none,
            "its query comment poolscope:ignore");
        row("another comment", "etl", "app", "SELECT 1 /* poolscope:watch */", none, "");
        row("defaults dropped", "pg_dump", "dba", "", {QStringLiteral("none")}, "");
    }

    void ignoreRules()
    {
        QFETCH(QString, application);
        QFETCH(QString, user);
        QFETCH(QString, query);
        QFETCH(QStringList, rules);
        QFETCH(QString, ignoredBecause);
        LeakRules leakRules;
        for (const QString &rule : rules) {
            if (rule == u"none")
                leakRules.ignore = IgnoreRules{{}, {}, {}};
            else
                QVERIFY(leakRules.ignore.add(rule));
        }
        Session subject = session(100, "", 120); // idle in transaction for 2 min: leaked unless ignored
        subject.state = QStringLiteral("idle in transaction");
        subject.applicationName = application;
        subject.user = user;
        subject.query = query;
        subject.tags = parseQueryTags(query).tags;
        Snapshot snapshot = snapshotOf({subject});
        classify(snapshot, leakRules);
        const Session &s = snapshot.sessions.first();
        QCOMPARE(s.ignoredBecause, ignoredBecause);
        QCOMPARE(s.leak, ignoredBecause.isEmpty() ? LeakVerdict::Leaked : LeakVerdict::None);
        QCOMPARE(snapshot.totals.ignored, ignoredBecause.isEmpty() ? 0 : 1);
        QCOMPARE(snapshot.totals.leaked, ignoredBecause.isEmpty() ? 1 : 0);
        QCOMPARE(snapshot.totals.total, 1); // shown, counted, not judged
    }

    void ignoreRuleSyntax_data()
    {
        QTest::addColumn<QString>("rule");
        QTest::addColumn<bool>("accepted");
        const auto row = [](const char *name, const char *rule, bool accepted) {
            QTest::newRow(name) << QString::fromUtf8(rule) << accepted;
        };
        row("application", "application=pg_dump", true);
        row("spaces", " user = batch ", true);
        row("database", "database=warehouse", true);
        row("unknown kind", "host=10.0.0.1", false);
        row("no value", "user=", false);
        row("no kind", "=x", false);
        row("no equals", "pg_dump", false);
    }

    void ignoreRuleSyntax()
    {
        QFETCH(QString, rule);
        QFETCH(bool, accepted);
        IgnoreRules rules{{}, {}, {}};
        QCOMPARE(rules.add(rule), accepted);
        QCOMPARE(rules.toStrings().size(), accepted ? 1 : 0);
    }

    void flood_data()
    {
        QTest::addColumn<int>("sessions");
        QTest::addColumn<int>("maxConnections");
        QTest::addColumn<QString>("severity");

        QTest::newRow("quiet") << 10 << 100 << QString();
        QTest::newRow("79 %") << 76 << 100 << QString(); // 76 of 97 usable
        QTest::newRow("warn at 80 %") << 78 << 100 << QStringLiteral("warning");
        QTest::newRow("critical at 95 %") << 93 << 100 << QStringLiteral("critical");
    }

    void flood()
    {
        QFETCH(int, sessions);
        QFETCH(int, maxConnections);
        QFETCH(QString, severity);
        QList<Session> list;
        for (int i = 0; i < sessions; ++i)
            list.append(session(1000 + i, "active", 1));
        Snapshot snapshot = snapshotOf(list, maxConnections);
        classify(snapshot, LeakRules{});
        const auto flood = std::find_if(snapshot.findings.cbegin(), snapshot.findings.cend(),
                                        [](const Finding &f) { return f.code == QLatin1String("flood"); });
        if (severity.isEmpty()) {
            QVERIFY(flood == snapshot.findings.cend());
        } else {
            QVERIFY(flood != snapshot.findings.cend());
            QCOMPARE(flood->severity == Finding::Severity::Critical ? QStringLiteral("critical") : QStringLiteral("warning"),
                     severity);
        }
    }

    void totalsExcludeOwnSession()
    {
        Session own = session(1, "active", 0);
        own.own = true;
        Snapshot snapshot = snapshotOf({own, session(2, "idle", 1), session(3, "idle in transaction (aborted)", 60)});
        classify(snapshot, LeakRules{});
        QCOMPARE(snapshot.totals.total, 2);
        QCOMPARE(snapshot.totals.count(SessionClass::Idle), 1);
        QCOMPARE(snapshot.totals.count(SessionClass::Active), 0);
        QCOMPARE(snapshot.totals.leaked, 1);
    }

    void hiddenSessionsWithoutPgMonitor()
    {
        Session hidden;
        hidden.pid = 5;
        hidden.user = QStringLiteral("postgres");
        hidden.visible = false;
        Snapshot snapshot = snapshotOf({hidden, session(6, "idle in transaction", 90)});
        snapshot.fullVisibility = false;
        snapshot.hiddenColumns = {QStringLiteral("query"), QStringLiteral("state")};
        classify(snapshot, LeakRules{});
        QCOMPARE(snapshot.sessions[0].sessionClass, SessionClass::Hidden);
        QCOMPARE(snapshot.sessions[0].leak, LeakVerdict::None);
        QCOMPARE(snapshot.sessions[1].leak, LeakVerdict::Leaked); // what it can see still works
        QCOMPARE(snapshot.totals.count(SessionClass::Hidden), 1);
        QVERIFY(std::any_of(snapshot.findings.cbegin(), snapshot.findings.cend(), [](const Finding &f) {
            return f.code == QLatin1String("visibility") && f.message.contains(QLatin1String("pg_monitor"));
        }));
    }

    void durations_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<QString>("text");
        QTest::newRow("fraction") << 7.04 << QStringLiteral("7.0 s");
        QTest::newRow("seconds") << 74.0 << QStringLiteral("74 s");
        QTest::newRow("minutes") << 250.0 << QStringLiteral("4 min 10 s");
        QTest::newRow("hours") << 7500.0 << QStringLiteral("2 h 05 min");
        QTest::newRow("days") << 190000.0 << QStringLiteral("2 d 4 h");
        QTest::newRow("negative clock skew") << -3.0 << QStringLiteral("0.0 s");
    }

    void durations()
    {
        QFETCH(double, seconds);
        QFETCH(QString, text);
        QCOMPARE(formatDuration(seconds), text);
    }

    // The one duration reader of every option and field: a bare number is seconds everywhere.
    void parsingDurations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms"); // -1: refused
        QTest::newRow("bare number is seconds") << QStringLiteral("60") << qint64(60000);
        QTest::newRow("seconds") << QStringLiteral("30s") << qint64(30000);
        QTest::newRow("sec") << QStringLiteral("2 sec") << qint64(2000);
        QTest::newRow("m is minutes") << QStringLiteral("5m") << qint64(300000);
        QTest::newRow("min") << QStringLiteral("1.5min") << qint64(90000);
        QTest::newRow("ms") << QStringLiteral("250ms") << qint64(250);
        QTest::newRow("h") << QStringLiteral("2h") << qint64(7200000);
        QTest::newRow("d") << QStringLiteral("1d") << qint64(86400000);
        QTest::newRow("fraction of a second") << QStringLiteral("0.1s") << qint64(100);
        QTest::newRow("leading point") << QStringLiteral(".5") << qint64(500);
        QTest::newRow("zero") << QStringLiteral("0") << qint64(0);
        QTest::newRow("spaces") << QStringLiteral("  10 s ") << qint64(10000);
        QTest::newRow("negative") << QStringLiteral("-5s") << qint64(-1);
        QTest::newRow("unknown unit") << QStringLiteral("5 parsecs") << qint64(-1);
        QTest::newRow("empty") << QString() << qint64(-1);
        QTest::newRow("word") << QStringLiteral("soon") << qint64(-1);
        QTest::newRow("two numbers") << QStringLiteral("1 2") << qint64(-1);
        QTest::newRow("injection") << QStringLiteral("1 h; DROP") << qint64(-1);
        QTest::newRow("too long to hold") << QStringLiteral("99999999999999999999d") << qint64(-1);
    }

    void parsingDurations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        const std::optional<std::chrono::milliseconds> parsed = parseDuration(text);
        QCOMPARE(parsed.has_value(), ms >= 0);
        if (parsed)
            QCOMPARE(qint64(parsed->count()), ms);
    }

    // With its unit, as PostgreSQL and PgBouncer read it back.
    void durationSettings()
    {
        QCOMPARE(durationSetting(std::chrono::seconds(60)), QStringLiteral("60s"));
        QCOMPARE(durationSetting(std::chrono::milliseconds(1500)), QStringLiteral("1500ms"));
        QCOMPARE(durationSetting(std::chrono::milliseconds(0)), QStringLiteral("0"));
    }
};

QTEST_GUILESS_MAIN(TestClassifier)
#include "tst_classifier.moc"
