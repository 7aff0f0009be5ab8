// The `poolscope` binary as a user runs it: exit codes, messages, JSON, confirmation.
#include "testsupport.h"

#include "postgres/conninfo.h"
#include "recording/recordingreader.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
    qint64 elapsedMs = 0;
};

// Runs poolscope with stdin closed (no terminal), spinning the event loop so that fake
// servers in this process can answer.
Run runPoolscope(const QStringList &arguments, const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    // The command line must work over SSH: no display, ever, for these runs.
    QProcessEnvironment headless = environment;
    for (const char *variable : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        headless.remove(QString::fromLatin1(variable));
    process.setProcessEnvironment(headless);
    process.setStandardInputFile(QProcess::nullDevice());
    QElapsedTimer timer;
    timer.start();
    process.start(qEnvironmentVariable("POOLSCOPE_BINARY"), arguments);
    if (!process.waitForStarted())
        return {};
    QSignalSpy finished(&process, &QProcess::finished);
    if (!finished.wait(30000))
        process.kill();
    Run run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    run.elapsedMs = timer.elapsed();
    return run;
}

QString describe(const Run &run)
{
    return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(run.exitCode).arg(run.out.left(2000), run.err);
}

// The environment for an acting command: the audit log goes to a file in dir.
QProcessEnvironment withAuditLog(const QTemporaryDir &dir)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("POOLSCOPE_AUDIT_LOG"), dir.filePath(QStringLiteral("audit.jsonl")));
    return environment;
}

// A conninfo with the password replaced by a wrong one.
QString withPassword(QString conninfo, const QString &password)
{
    static const QRegularExpression pattern(QStringLiteral(R"(password=\S+)"));
    return conninfo.replace(pattern, QStringLiteral("password=") + password);
}

// `conninfo` with `key` set to `value` (replaced, or added).
QString withKey(const QString &conninfo, const QString &key, const QString &value)
{
    QString text = conninfo;
    const QRegularExpression pattern(QStringLiteral(R"((^|\s)%1=\S+)").arg(key));
    if (text.contains(pattern))
        return text.replace(pattern, QStringLiteral("\\1%1=%2").arg(key, value));
    return text + u' ' + key + u'=' + value;
}

// The same target as a postgresql:// URI, the password in its user info.
QString asUri(const QString &conninfo)
{
    QString error;
    const auto info = poolscope::ConnInfo::parse(conninfo, &error);
    if (!info)
        return {};
    return QStringLiteral("postgresql://%1:%2@%3:%4/%5?connect_timeout=5")
        .arg(info->value("user"), info->value("password"), info->value("host"), info->value("port"), info->value("dbname"));
}

// The conninfo without its password (which then comes from PGPASSWORD).
QString withoutPassword(const QString &conninfo)
{
    QString error;
    const auto info = poolscope::ConnInfo::parse(conninfo, &error);
    return info ? info->redacted() : QString();
}

// A SHOW CONFIG value of a PgBouncer console.
QString bouncerSetting(const QString &console, const QString &key)
{
    PGconn *conn = PQconnectdb(console.toUtf8().constData());
    PGresult *result = PQexec(conn, "SHOW CONFIG");
    QString value;
    const int keyColumn = PQfnumber(result, "key"), valueColumn = PQfnumber(result, "value");
    for (int r = 0; r < PQntuples(result); ++r) {
        if (QString::fromUtf8(PQgetvalue(result, r, keyColumn)) == key)
            value = QString::fromUtf8(PQgetvalue(result, r, valueColumn));
    }
    PQclear(result);
    PQfinish(conn);
    return value;
}

QList<QJsonObject> auditLines(const QString &path)
{
    QFile file(path);
    QList<QJsonObject> lines;
    if (file.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : file.readAll().split('\n')) {
            if (!line.trimmed().isEmpty())
                lines.append(QJsonDocument::fromJson(line).object());
        }
    }
    return lines;
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(qEnvironmentVariable("POOLSCOPE_BINARY")), "POOLSCOPE_BINARY must name the built binary");
    }

    void versionAndHelp_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("text");
        QTest::newRow("--version") << QStringList{QStringLiteral("--version")} << 0 << QStringLiteral("poolscope 0.");
        QTest::newRow("--help") << QStringList{QStringLiteral("--help")} << 0 << QStringLiteral("Exit codes");
        for (const char *verb : {"snapshot", "watch", "terminate", "cancel", "limit"})
            QTest::newRow(verb) << QStringList{QString::fromLatin1(verb), QStringLiteral("--help")} << 0
                                << QStringLiteral("Usage:");
        // Without a verb the window would open; with no display to open it on, say how to go on.
        QTest::newRow("no verb, no display") << QStringList() << 2 << QStringLiteral("no display");
        QTest::newRow("conninfo, no display") << QStringList{QStringLiteral("host=x")} << 2 << QStringLiteral("poolscope snapshot");
        QTest::newRow("unknown verb") << QStringList{QStringLiteral("frobnicate")} << 2 << QStringLiteral("unknown verb");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("snapshot"), QStringLiteral("--frob"),
                                                       QStringLiteral("host=x")}
                                        << 2 << QStringLiteral("Unknown option");
        QTest::newRow("bad threshold") << QStringList{QStringLiteral("snapshot"), QStringLiteral("host=x"),
                                                      QStringLiteral("--idle-tx-leaked-after"), QStringLiteral("soon")}
                                       << 2 << QStringLiteral("is not a duration");
        QTest::newRow("--app-callsite without a frame group")
            << QStringList{QStringLiteral("snapshot"), QStringLiteral("host=x"), QStringLiteral("--app-callsite"),
                           QStringLiteral("(?<owner>\\w+)@.+")}
            << 2 << QStringLiteral("--app-callsite: '(?<owner>\\w+)@.+' has no (?<frame>…) group");
        QTest::newRow("--app-callsite not a regular expression")
            << QStringList{QStringLiteral("watch"), QStringLiteral("host=x"), QStringLiteral("--app-callsite"),
                           QStringLiteral("(?<owner>\\w+@(?<frame>.+)")}
            << 2 << QStringLiteral("is not a regular expression");
        QTest::newRow("--app-callsite, record")
            << QStringList{QStringLiteral("record"), QStringLiteral("host=x"), QStringLiteral("-o"), QStringLiteral("/nonexistent/x"),
                           QStringLiteral("--app-callsite"), QStringLiteral("owner@frame")}
            << 2 << QStringLiteral("has no (?<owner>…) or (?<frame>…) group");
        QTest::newRow("malformed conninfo")
            << QStringList{QStringLiteral("snapshot"), QStringLiteral("hots=db1 password=s3cret")} << 2
            << QStringLiteral("invalid connection option \"hots\"");
        // libpq quotes the token it cannot decode, and here that is the password.
        QTest::newRow("malformed URI password")
            << QStringList{QStringLiteral("snapshot"), QStringLiteral("postgresql://postgres:s3cret%zzPW@host/db")} << 2
            << QStringLiteral("invalid percent-encoded token: \"***\"");
        QTest::newRow("malformed URI query password")
            << QStringList{QStringLiteral("terminate"), QStringLiteral("postgresql://host/db?password=s3cret%00"),
                           QStringLiteral("--pid"), QStringLiteral("1")}
            << 2 << QStringLiteral("forbidden value %00");
        QTest::newRow("malformed URI host, password in it")
            << QStringList{QStringLiteral("watch"), QStringLiteral("postgresql://u:s3cret@[::1/db")} << 2
            << QStringLiteral("IPv6 host address");
        // Refused by libpq before it connects: a usage error, not an unreachable server.
        QTest::newRow("sslmode=bogus") << QStringList{QStringLiteral("snapshot"), QStringLiteral("host=127.0.0.1 port=1 sslmode=bogus")}
                                       << 2 << QStringLiteral("invalid sslmode value");
        QTest::newRow("sslmode=bogus, watch")
            << QStringList{QStringLiteral("watch"), QStringLiteral("host=127.0.0.1 port=1 sslmode=bogus"), QStringLiteral("--count"),
                           QStringLiteral("1")}
            << 2 << QStringLiteral("invalid sslmode value");
        QTest::newRow("sslmode=bogus, terminate")
            << QStringList{QStringLiteral("terminate"), QStringLiteral("host=127.0.0.1 port=1 sslmode=bogus password=s3cret"),
                           QStringLiteral("--pid"), QStringLiteral("1"), QStringLiteral("--yes")}
            << 2 << QStringLiteral("invalid sslmode value");
        QTest::newRow("missing service file")
            << QStringList{QStringLiteral("snapshot"), QStringLiteral("service=nosuch")} << 2 << QStringLiteral("not found");
        // PgBouncer would wrap these without a word: refused before anything is sent.
        QTest::newRow("set: out of an int's range")
            << QStringList{QStringLiteral("set"), QStringLiteral("host=127.0.0.1 port=1 dbname=pgbouncer"),
                           QStringLiteral("default_pool_size=99999999999"), QStringLiteral("--yes")}
            << 2 << QStringLiteral("from 0 to 2147483647");
        QTest::newRow("set: negative size")
            << QStringList{QStringLiteral("set"), QStringLiteral("host=127.0.0.1 port=1 dbname=pgbouncer"),
                           QStringLiteral("max_client_conn=-1"), QStringLiteral("--yes")}
            << 2 << QStringLiteral("from 0 to 2147483647");
        QTest::newRow("set: not a choice")
            << QStringList{QStringLiteral("set"), QStringLiteral("host=127.0.0.1 port=1 dbname=pgbouncer"),
                           QStringLiteral("pool_mode=sometimes"), QStringLiteral("--yes")}
            << 2 << QStringLiteral("session, transaction, statement");
        QTest::newRow("limit: not a duration")
            << QStringList{QStringLiteral("limit"), QStringLiteral("host=127.0.0.1 port=1"), QStringLiteral("--role"),
                           QStringLiteral("x"), QStringLiteral("--idle-in-transaction-timeout"), QStringLiteral("soon")}
            << 2 << QStringLiteral("a bare number is seconds");
    }

    void versionAndHelp()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, text);
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PGSERVICEFILE"), QStringLiteral("/nonexistent/pg_service.conf"));
        const Run run = runPoolscope(arguments, environment);
        QVERIFY2(run.exitCode == exitCode, qPrintable(describe(run)));
        QVERIFY2(QString(run.out + run.err).contains(text), qPrintable(describe(run)));
        QVERIFY(!QString(run.out + run.err).contains(QLatin1String("s3cret")));
    }

    void wrongPassword()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        const Run run = runPoolscope({QStringLiteral("snapshot"), withPassword(POOLSCOPE_TEST_PG, QStringLiteral("wr0ng-s3cret"))});
        QVERIFY2(run.exitCode == 3, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(QLatin1String("password authentication failed")), qPrintable(describe(run)));
        QVERIFY2(run.err.contains(QLatin1String("pg_hba.conf")), qPrintable(describe(run))); // advice
        QVERIFY(!QString(run.out + run.err).contains(QLatin1String("wr0ng-s3cret")));
    }

    void refusedPort()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        const quint16 port = server.serverPort();
        server.close(); // now nothing listens there
        const Run run = runPoolscope(
            {QStringLiteral("snapshot"), QStringLiteral("host=127.0.0.1 port=%1 user=x dbname=x").arg(port)});
        QVERIFY2(run.exitCode == 3, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(QLatin1String("Connection refused")), qPrintable(describe(run)));
    }

    void portThatIsNotPostgres()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        connect(&server, &QTcpServer::newConnection, this, [&server] {
            QTcpSocket *socket = server.nextPendingConnection();
            socket->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            socket->disconnectFromHost();
        });
        const Run run = runPoolscope({QStringLiteral("snapshot"),
                                      QStringLiteral("host=127.0.0.1 port=%1 user=x dbname=x sslmode=disable")
                                          .arg(server.serverPort())});
        QVERIFY2(run.exitCode == 3, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(QLatin1String("cannot connect")), qPrintable(describe(run)));
    }

    // A peer that accepts and never answers: the deadline holds.
    void hungServerTimesOut()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QList<QTcpSocket *> held;
        connect(&server, &QTcpServer::newConnection, this, [&] { held.append(server.nextPendingConnection()); });
        const Run run = runPoolscope({QStringLiteral("snapshot"),
                                      QStringLiteral("host=127.0.0.1 port=%1 user=x dbname=x connect_timeout=2")
                                          .arg(server.serverPort())});
        QVERIFY2(run.exitCode == 3, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(QLatin1String("timeout")), qPrintable(describe(run)));
        QVERIFY2(run.elapsedMs < 8000, qPrintable(QString::number(run.elapsedMs)));
    }

    void snapshotJson()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession leaked(POOLSCOPE_TEST_PG_APP, "json-app");
        QVERIFY(leaked.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaked.exec(QStringLiteral("SELECT 1/0 /*route='%2Fpay',stack='pay.cpp%3A1|main.cpp%3A2'*/")));
        const Run run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_PG, QStringLiteral("--json"),
                                      QStringLiteral("--aborted-leaked-after"), QStringLiteral("0s")});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QJsonParseError parseError;
        const QJsonObject root = QJsonDocument::fromJson(run.out.toUtf8(), &parseError).object();
        QVERIFY2(parseError.error == QJsonParseError::NoError, qPrintable(parseError.errorString()));

        const QJsonObject target = root.value(QStringLiteral("target")).toObject();
        QCOMPARE(target.value(QStringLiteral("kind")).toString(), QStringLiteral("postgresql"));
        QVERIFY(target.value(QStringLiteral("server_version")).toString().startsWith(QLatin1String("1")));
        QCOMPARE(target.value(QStringLiteral("max_connections")).toInt(), 3100);
        QCOMPARE(target.value(QStringLiteral("reserved")).toInt(), 3);
        QVERIFY(!root.value(QStringLiteral("taken_at")).toString().isEmpty());
        const QJsonObject totals = root.value(QStringLiteral("totals")).toObject();
        for (const char *key : {"total", "active", "waiting", "idle", "idle_in_transaction",
                                "idle_in_transaction_aborted", "leaked", "suspected"})
            QVERIFY2(totals.contains(QLatin1String(key)), key);
        QVERIFY(totals.value(QStringLiteral("leaked")).toInt() >= 1);

        QJsonObject mine;
        for (const QJsonValue &value : root.value(QStringLiteral("sessions")).toArray()) {
            if (value.toObject().value(QStringLiteral("pid")).toInt() == leaked.pid())
                mine = value.toObject();
        }
        QVERIFY(!mine.isEmpty());
        for (const char *key : {"pid", "state", "class", "leak", "reasons", "owner", "application_name", "user",
                                "database", "client", "backend_start", "xact_start", "state_change", "state_seconds",
                                "wait_event_type", "wait_event", "blocked_by", "tags", "stack", "query"})
            QVERIFY2(mine.contains(QLatin1String(key)), key);
        QCOMPARE(mine.value(QStringLiteral("class")).toString(), QStringLiteral("idle_in_transaction_aborted"));
        QCOMPARE(mine.value(QStringLiteral("leak")).toString(), QStringLiteral("leaked"));
        QCOMPARE(mine.value(QStringLiteral("owner")).toString(), QStringLiteral("json-app"));
        QCOMPARE(mine.value(QStringLiteral("tags")).toObject().value(QStringLiteral("route")).toString(),
                 QStringLiteral("/pay"));
        QCOMPARE(mine.value(QStringLiteral("stack")).toArray().size(), 2);

        bool ownerFound = false;
        for (const QJsonValue &value : root.value(QStringLiteral("owners")).toArray()) {
            const QJsonObject owner = value.toObject();
            if (owner.value(QStringLiteral("owner")).toString() != QLatin1String("json-app"))
                continue;
            ownerFound = true;
            QCOMPARE(owner.value(QStringLiteral("leaked")).toInt(), 1);
            QCOMPARE(owner.value(QStringLiteral("by_class")).toObject().value(QStringLiteral("idle_in_transaction_aborted")).toInt(), 1);
            const QJsonArray stacks = owner.value(QStringLiteral("stacks")).toArray();
            QCOMPARE(stacks.size(), 1);
            QCOMPARE(stacks[0].toObject().value(QStringLiteral("frames")).toArray().first().toString(),
                     QStringLiteral("pay.cpp:1"));
        }
        QVERIFY(ownerFound);
        QVERIFY(!run.out.contains(QLatin1String("bench-secret")));
    }

    void snapshotTextByCode()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession leaked(POOLSCOPE_TEST_PG_APP, "text-app");
        QVERIFY(leaked.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaked.exec(QStringLiteral("SELECT 1/0 /*stack='refund.cpp%3A77|main.cpp%3A2'*/")));
        const Run run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_PG, QStringLiteral("--owner-by"),
                                      QStringLiteral("code"), QStringLiteral("--aborted-leaked-after"), QStringLiteral("0")});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QLatin1String("Owners by code")), qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QLatin1String("refund.cpp:77: 1 leaked of 1 session(s) checked out at")),
                 qPrintable(describe(run)));
        QVERIFY(run.out.contains(QLatin1String("    main.cpp:2")));
    }

    // application_name per call site: one owner, the call site as the stack, marked as read from
    // the name; the trace id of the query's traceparent; --app-callsite as the defaults' switch.
    void callSitesAndTraces()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession repo(POOLSCOPE_TEST_PG_APP, "clibilling@OrderRepo.java:212");
        ClientSession job(POOLSCOPE_TEST_PG_APP, "clibilling (jobs/invoice.go:48)");
        ClientSession custom(POOLSCOPE_TEST_PG_APP, "svc=cliorders;at=Cart.scala:7");
        QVERIFY(repo.exec(QStringLiteral("BEGIN")));
        QVERIFY(!repo.exec(QStringLiteral("SELECT 1/0 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/")));
        QVERIFY(job.exec(QStringLiteral("SELECT 1 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01?x=1'*/")));
        QVERIFY(custom.exec(QStringLiteral("SELECT 1")));
        const auto sessionsOf = [](const Run &run) {
            QHash<int, QJsonObject> sessions;
            for (const QJsonValue &value : QJsonDocument::fromJson(run.out.toUtf8()).object().value(u"sessions").toArray())
                sessions.insert(value.toObject().value(u"pid").toInt(), value.toObject());
            return sessions;
        };

        Run run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_PG, QStringLiteral("--json"),
                                QStringLiteral("--app-callsite"), QStringLiteral("^svc=(?<owner>\\w+);at=(?<frame>.+)$")});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QHash<int, QJsonObject> sessions = sessionsOf(run);
        const QJsonObject leaked = sessions.value(repo.pid());
        QCOMPARE(leaked.value(u"owner").toString(), QStringLiteral("clibilling"));
        QCOMPARE(leaked.value(u"application_name").toString(), QStringLiteral("clibilling@OrderRepo.java:212"));
        QCOMPARE(leaked.value(u"stack").toArray(), QJsonArray{QStringLiteral("OrderRepo.java:212")});
        QCOMPARE(leaked.value(u"stack_from_application_name").toBool(), true);
        QCOMPARE(leaked.value(u"trace_id").toString(), QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
        const QJsonObject other = sessions.value(job.pid());
        QCOMPARE(other.value(u"owner").toString(), QStringLiteral("clibilling"));
        QCOMPARE(other.value(u"stack").toArray(), QJsonArray{QStringLiteral("jobs/invoice.go:48")});
        QVERIFY(other.value(u"trace_id").isNull()); // its traceparent carries more than a trace context
        QCOMPARE(sessions.value(custom.pid()).value(u"owner").toString(), QStringLiteral("cliorders"));
        bool billing = false;
        for (const QJsonValue &value : QJsonDocument::fromJson(run.out.toUtf8()).object().value(u"owners").toArray()) {
            const QJsonObject owner = value.toObject();
            if (owner.value(u"owner").toString() != QLatin1String("clibilling"))
                continue;
            billing = true;
            QCOMPARE(owner.value(u"total").toInt(), 2);
            QCOMPARE(owner.value(u"stacks").toArray().size(), 2);
        }
        QVERIFY2(billing, qPrintable(run.out));

        // Without the defaults, each name is its own owner again.
        run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_PG, QStringLiteral("--json"),
                            QStringLiteral("--app-callsite"), QStringLiteral("none")});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        sessions = sessionsOf(run);
        QCOMPARE(sessions.value(repo.pid()).value(u"owner").toString(), QStringLiteral("clibilling@OrderRepo.java:212"));
        QVERIFY(sessions.value(repo.pid()).value(u"stack").toArray().isEmpty());
        QCOMPARE(sessions.value(repo.pid()).value(u"trace_id").toString(), QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));

        // The text report: the leak line says where its frame came from, and its trace.
        run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_PG, QStringLiteral("--aborted-leaked-after"),
                            QStringLiteral("0s"), QStringLiteral("--max-sessions"), QStringLiteral("500")});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QStringLiteral("      at OrderRepo.java:212 (from its application_name)\n"
                                                 "      trace 4bf92f3577b34da6a3ce929d0e0e4736\n")),
                 qPrintable(run.out));
    }

    void terminateNeedsConfirmation()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        QTemporaryDir dir;
        const QProcessEnvironment environment = withAuditLog(dir);
        const QString auditPath = dir.filePath(QStringLiteral("audit.jsonl"));
        ClientSession victim(POOLSCOPE_TEST_PG_APP, "victim-app");
        QVERIFY(victim.exec(QStringLiteral("BEGIN")));
        const QString pid = QString::number(victim.pid());

        Run run = runPoolscope({QStringLiteral("terminate"), POOLSCOPE_TEST_PG, QStringLiteral("--pid"), pid}, environment);
        QVERIFY2(run.exitCode == 2, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(QLatin1String("without a terminal")), qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QLatin1String("victim-app")), qPrintable(describe(run))); // the plan was shown
        QVERIFY(victim.alive());

        run = runPoolscope({QStringLiteral("terminate"), POOLSCOPE_TEST_PG, QStringLiteral("--pid"), pid,
                            QStringLiteral("--yes")},
                           environment);
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QStringLiteral("pid %1: done").arg(pid)), qPrintable(describe(run)));
        QVERIFY(!victim.alive());

        QFile audit(auditPath);
        QVERIFY(audit.open(QIODevice::ReadOnly));
        const QByteArray log = audit.readAll();
        QCOMPARE(log.count('\n'), 1);
        QVERIFY(log.contains("\"action\":\"terminate\""));
        QVERIFY(log.contains("\"status\":\"done\""));
        QVERIFY(!log.contains("bench-secret"));
    }

    void terminateWithoutPrivilege()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_PLAIN);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        QTemporaryDir dir;
        const QProcessEnvironment environment = withAuditLog(dir);
        ClientSession victim(POOLSCOPE_TEST_PG_APP, "victim-app");
        const Run run = runPoolscope({QStringLiteral("terminate"), POOLSCOPE_TEST_PG_PLAIN, QStringLiteral("--pid"),
                                      QString::number(victim.pid()), QStringLiteral("--yes")},
                                     environment);
        QVERIFY2(run.exitCode == 4, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QLatin1String("insufficient_privilege")), qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QLatin1String("pg_signal_backend")), qPrintable(describe(run)));
        QVERIFY(victim.alive());
    }

    void limitRole()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QTemporaryDir dir;
        const QProcessEnvironment environment = withAuditLog(dir);
        Run run = runPoolscope({QStringLiteral("limit"), POOLSCOPE_TEST_PG, QStringLiteral("--role"),
                                QStringLiteral("ps_stats"), QStringLiteral("5"), QStringLiteral("--yes")},
                               environment);
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QLatin1String("connection limit is now 5")), qPrintable(describe(run)));
        ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");
        QCOMPARE(probe.value(QStringLiteral("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'ps_stats'")),
                 QStringLiteral("5"));
        run = runPoolscope({QStringLiteral("limit"), POOLSCOPE_TEST_PG, QStringLiteral("--role"),
                            QStringLiteral("ps_stats"), QStringLiteral("-1"), QStringLiteral("--yes")},
                           environment);
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));

        run = runPoolscope({QStringLiteral("limit"), POOLSCOPE_TEST_PG, QStringLiteral("--role"), QStringLiteral("x"),
                            QStringLiteral("--database"), QStringLiteral("y"), QStringLiteral("3")},
                           environment);
        QVERIFY2(run.exitCode == 2, qPrintable(describe(run)));
    }

    void bouncerSnapshotLinksClients()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        ClientSession app(POOLSCOPE_TEST_BOUNCER_APP, "cli-billing");
        QVERIFY(app.exec(QStringLiteral("BEGIN")));
        QVERIFY(app.exec(QStringLiteral("SELECT 1 /*stack='cli.cpp%3A5'*/")));
        const Run run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_BOUNCER, QStringLiteral("--json"),
                                      QStringLiteral("--postgres"), POOLSCOPE_TEST_PG,
                                      QStringLiteral("--idle-tx-leaked-after"), QStringLiteral("0")});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        const QJsonObject root = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(root.value(QStringLiteral("target")).toObject().value(QStringLiteral("kind")).toString(),
                 QStringLiteral("pgbouncer"));
        QVERIFY(!root.value(QStringLiteral("pools")).toArray().isEmpty());
        QVERIFY(!root.value(QStringLiteral("servers")).toArray().isEmpty());
        bool found = false;
        for (const QJsonValue &value : root.value(QStringLiteral("clients")).toArray()) {
            const QJsonObject client = value.toObject();
            if (client.value(QStringLiteral("application_name")).toString() != QLatin1String("cli-billing"))
                continue;
            found = true;
            QCOMPARE(client.value(QStringLiteral("leak")).toString(), QStringLiteral("leaked"));
            const QJsonObject backend = client.value(QStringLiteral("backend")).toObject();
            QCOMPARE(backend.value(QStringLiteral("class")).toString(), QStringLiteral("idle_in_transaction"));
            QCOMPARE(backend.value(QStringLiteral("stack")).toArray().first().toString(), QStringLiteral("cli.cpp:5"));
        }
        QVERIFY(found);
    }

    // The other direction: each backend shows the PgBouncer client that holds it.
    void postgresSnapshotShowsPgBouncerClients()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        ClientSession app(POOLSCOPE_TEST_BOUNCER_APP, "via-app");
        QVERIFY(app.exec(QStringLiteral("BEGIN")) && app.exec(QStringLiteral("SELECT 1")));
        const Run run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_PG, QStringLiteral("--json"),
                                      QStringLiteral("--pgbouncer"), POOLSCOPE_TEST_BOUNCER});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        bool found = false;
        for (const QJsonValue &value :
             QJsonDocument::fromJson(run.out.toUtf8()).object().value(QStringLiteral("sessions")).toArray()) {
            const QJsonObject via = value.toObject().value(QStringLiteral("pgbouncer_client")).toObject();
            if (via.value(QStringLiteral("application_name")).toString() == QLatin1String("via-app")) {
                found = true;
                QCOMPARE(value.toObject().value(QStringLiteral("class")).toString(),
                         QStringLiteral("idle_in_transaction"));
                QCOMPARE(via.value(QStringLiteral("state")).toString(), QStringLiteral("active"));
            }
        }
        QVERIFY2(found, qPrintable(run.out.left(3000)));
    }

    void bouncerActionsFromTheCommandLine()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_STATS);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QTemporaryDir dir;
        const QProcessEnvironment environment = withAuditLog(dir);
        Run run = runPoolscope({QStringLiteral("set"), POOLSCOPE_TEST_BOUNCER, QStringLiteral("listen_port=7777"),
                                QStringLiteral("--yes")},
                               environment);
        QVERIFY2(run.exitCode == 1 && run.out.contains(QLatin1String("not_changeable")), qPrintable(describe(run)));
        run = runPoolscope({QStringLiteral("set"), POOLSCOPE_TEST_BOUNCER_STATS, QStringLiteral("default_pool_size=7"),
                            QStringLiteral("--yes")},
                           environment);
        QVERIFY2(run.exitCode == 4 && run.out.contains(QLatin1String("admin_users")), qPrintable(describe(run)));

        // One client, on a PgBouncer without KILL_CLIENT: through the backend it holds.
        ClientSession victim(POOLSCOPE_TEST_BOUNCER_APP, "cli-victim");
        QVERIFY(victim.exec(QStringLiteral("BEGIN")) && victim.exec(QStringLiteral("SELECT 1")));
        QString ptr; // 1.18 has no client ids: the ptr SHOW CLIENTS shows identifies one
        {
            PGconn *raw = PQconnectdb(POOLSCOPE_TEST_BOUNCER.toUtf8().constData());
            PGresult *clients = PQexec(raw, "SHOW CLIENTS");
            const int app = PQfnumber(clients, "application_name"), ptrColumn = PQfnumber(clients, "ptr");
            for (int r = 0; r < PQntuples(clients); ++r) {
                if (QByteArray(PQgetvalue(clients, r, app)) == "cli-victim")
                    ptr = QString::fromLatin1(PQgetvalue(clients, r, ptrColumn));
            }
            PQclear(clients);
            PQfinish(raw);
        }
        QVERIFY(!ptr.isEmpty());
        run = runPoolscope({QStringLiteral("kill"), POOLSCOPE_TEST_BOUNCER, QStringLiteral("--client"), ptr,
                            QStringLiteral("--postgres"), POOLSCOPE_TEST_PG, QStringLiteral("--yes")},
                           environment);
        QVERIFY2(run.exitCode == 0 && run.out.contains(QLatin1String("has no KILL_CLIENT")), qPrintable(describe(run)));
        QVERIFY(!victim.alive());

        QFile audit(dir.filePath(QStringLiteral("audit.jsonl")));
        QVERIFY(audit.open(QIODevice::ReadOnly));
        QCOMPARE(audit.readAll().count('\n'), 3);
    }

    void watchCountsSamples()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        const Run run = runPoolscope({QStringLiteral("watch"), POOLSCOPE_TEST_PG, QStringLiteral("--json"),
                                      QStringLiteral("--interval"), QStringLiteral("0.2s"), QStringLiteral("--count"),
                                      QStringLiteral("3")});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        const QStringList lines = run.out.trimmed().split(u'\n');
        QCOMPARE(lines.size(), 3);
        for (const QString &line : lines)
            QVERIFY(QJsonDocument::fromJson(line.toUtf8()).isObject());
    }

    void watchGivesUpOnDeadTargetWithCount()
    {
        const Run run = runPoolscope({QStringLiteral("watch"), QStringLiteral("host=127.0.0.1 port=1 user=x dbname=x"),
                                      QStringLiteral("--count"), QStringLiteral("1")});
        QVERIFY2(run.exitCode == 3, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(QLatin1String("refused")), qPrintable(describe(run)));
    }

    // No password in anything PoolScope writes or shows, nor in `ps` while it runs, whichever
    // way it was given: in the conninfo, in a URI, or in PGPASSWORD.
    void noPasswordAnywhere_data()
    {
        QTest::addColumn<QString>("form");
        QTest::newRow("password=") << QStringLiteral("keywords");
        QTest::newRow("URI") << QStringLiteral("uri");
        QTest::newRow("PGPASSWORD") << QStringLiteral("environment");
    }

    void noPasswordAnywhere()
    {
        QFETCH(QString, form);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        const QString secret = QStringLiteral("bench-secret");
        QVERIFY(POOLSCOPE_TEST_PG.contains(secret));
        QTemporaryDir dir;
        QProcessEnvironment environment = withAuditLog(dir);
        QString target = POOLSCOPE_TEST_PG;
        if (form == u"uri") {
            target = asUri(POOLSCOPE_TEST_PG);
        } else if (form == u"environment") {
            target = withoutPassword(POOLSCOPE_TEST_PG);
            environment.insert(QStringLiteral("PGPASSWORD"), secret);
        }
        QVERIFY(!target.isEmpty());
        QString shown; // everything printed
        const auto run = [&](const QStringList &arguments, int expected) {
            const Run result = runPoolscope(arguments, environment);
            shown += result.out + result.err;
            QVERIFY2(result.exitCode == expected, qPrintable(arguments.first() + u' ' + describe(result)));
        };

        run({QStringLiteral("snapshot"), target}, 0);
        run({QStringLiteral("snapshot"), target, QStringLiteral("--json")}, 0);
        ClientSession victim(POOLSCOPE_TEST_PG_APP, "password-check");
        QVERIFY(victim.ok());
        run({QStringLiteral("terminate"), target, QStringLiteral("--pid"), QString::number(victim.pid()), QStringLiteral("--yes")}, 0);
        const QString recording = dir.filePath(QStringLiteral("r.psrec"));
        run({QStringLiteral("record"), target, QStringLiteral("-o"), recording, QStringLiteral("--duration"),
             QStringLiteral("1.2s"), QStringLiteral("--interval"), QStringLiteral("0.2s")}, 0);
        run({QStringLiteral("report"), recording, QStringLiteral("-o"), dir.filePath(QStringLiteral("r.md"))}, 0);
        // Wrong ones, said wrongly: the messages must not quote the password either.
        run({QStringLiteral("snapshot"), withKey(target, QStringLiteral("sslmode"), secret)}, form == u"uri" ? 2 : 2);
        run({QStringLiteral("snapshot"), target + (form == u"uri" ? QStringLiteral("&nosuch=1") : QStringLiteral(" nosuch=1"))}, 2);

        // While it runs, its command line is what any user of the machine can read.
        QProcess watch;
        QProcessEnvironment headless = environment;
        headless.remove(QStringLiteral("DISPLAY"));
        watch.setProcessEnvironment(headless);
        watch.start(qEnvironmentVariable("POOLSCOPE_BINARY"),
                    {QStringLiteral("watch"), target, QStringLiteral("--interval"), QStringLiteral("0.2s"), QStringLiteral("--count"),
                     QStringLiteral("10"), QStringLiteral("--json")});
        QVERIFY(watch.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(watch.bytesAvailable() > 0 || watch.state() == QProcess::NotRunning, 10000);
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(watch.processId()));
        QVERIFY(cmdline.open(QIODevice::ReadOnly));
        const QByteArray arguments = cmdline.readAll();
        QVERIFY2(arguments.contains("watch"), arguments.constData());
        QVERIFY2(!arguments.contains(secret.toUtf8()), qPrintable(QString::fromUtf8(arguments).replace(u'\0', u' ')));
        if (form != u"environment")
            QVERIFY2(arguments.contains("************"), qPrintable(QString::fromUtf8(arguments).replace(u'\0', u' ')));
        QVERIFY(watch.waitForFinished(20000));
        shown += QString::fromUtf8(watch.readAll() + watch.readAllStandardError());

        QVERIFY2(!shown.contains(secret), qPrintable(shown.left(3000)));
        int files = 0;
        for (QDirIterator it(dir.path(), QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
            QFile file(it.next());
            QVERIFY(file.open(QIODevice::ReadOnly));
            QVERIFY2(!file.readAll().contains(secret.toUtf8()), qPrintable(file.fileName()));
            ++files;
        }
        QVERIFY(files >= 4); // audit log, recording, report, chart
        QVERIFY(!auditLines(dir.filePath(QStringLiteral("audit.jsonl"))).isEmpty());
        // The recording's samples are compressed: what they name, decoded.
        QString error;
        std::unique_ptr<poolscope::Recording> opened = poolscope::Recording::open(recording, &error);
        QVERIFY2(opened && !opened->targets().isEmpty(), qPrintable(error));
        poolscope::Snapshot snapshot;
        QVERIFY(opened->snapshotAt(0, int(opened->targets().first().samples.size()) - 1, &snapshot));
        QVERIFY(!snapshot.target.contains(secret) && !opened->targets().first().name.contains(secret));
    }

    // On a server at max_connections nothing gets in: the refusal is said with the way in
    // (SQLSTATE 53300), and audited as the attempt it was. With one slot free, the same command
    // reads and acts over that one connection, and ends the leak.
    void terminateOnAFullServer()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL_MONITOR);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL_APP);
        QTemporaryDir dir;
        const QString auditPath = dir.filePath(QStringLiteral("full-audit.jsonl"));
        std::vector<std::unique_ptr<ClientSession>> filling = fillServer(POOLSCOPE_TEST_SMALL_APP, "billing-api");
        QVERIFY2(filling.size() >= 2, "the small cluster could not be filled");
        ClientSession &leaker = *filling.front();
        QVERIFY(leaker.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaker.exec(QStringLiteral("SELECT 1/0 /*stack='pay.cpp%3A9'*/")));
        const QString pid = QString::number(leaker.pid());
        {
            ClientSession refused(POOLSCOPE_TEST_SMALL_MONITOR, "poolscope-test-refused");
            QVERIFY2(!refused.ok() && refused.error().contains(u"remaining connection slots are reserved"),
                     qPrintable(refused.error()));
        }
        const QStringList command{QStringLiteral("terminate"), POOLSCOPE_TEST_SMALL_MONITOR, QStringLiteral("--pid"), pid,
                                  QStringLiteral("--yes"), QStringLiteral("--audit-log"), auditPath};
        Run run = runPoolscope(command);
        QVERIFY2(run.exitCode == 3, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(u"SQLSTATE 53300") && run.err.contains(u"superuser_reserved_connections"),
                 qPrintable(describe(run)));
        QList<QJsonObject> audit = auditLines(auditPath);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit[0].value(QStringLiteral("action")).toString(), QStringLiteral("terminate"));
        QCOMPARE(audit[0].value(QStringLiteral("arguments")).toObject().value(QStringLiteral("pid")).toInt(), leaker.pid());
        QCOMPARE(audit[0].value(QStringLiteral("result")).toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("failed"));
        QCOMPARE(audit[0].value(QStringLiteral("result")).toObject().value(QStringLiteral("sqlstate")).toString(),
                 QStringLiteral("53300"));
        QVERIFY(leaker.alive());

        filling.back().reset(); // one slot: its backend goes away a moment after the client
        for (int attempt = 0; attempt < 25; ++attempt) {
            run = runPoolscope(command);
            if (run.exitCode != 3)
                break;
            QTest::qWait(200);
        }
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QStringLiteral("pid %1: done").arg(pid)) && run.out.contains(u"billing-api"),
                 qPrintable(describe(run)));
        QVERIFY(!leaker.alive());
        audit = auditLines(auditPath);
        QCOMPARE(audit.last().value(QStringLiteral("result")).toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("done"));
        QCOMPARE(audit.last().value(QStringLiteral("arguments")).toObject().value(QStringLiteral("pid")).toInt(), pid.toInt());
    }

    // pg_signal_backend does not reach a superuser's session, and granting it again would not help.
    void superuserSessionNeedsASuperuser()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_MONITOR);
        QTemporaryDir dir;
        ClientSession superuser(POOLSCOPE_TEST_PG, "superuser-app");
        QVERIFY(superuser.ok());
        const Run run = runPoolscope({QStringLiteral("terminate"), POOLSCOPE_TEST_PG_MONITOR, QStringLiteral("--pid"),
                                      QString::number(superuser.pid()), QStringLiteral("--yes")},
                                     withAuditLog(dir));
        QVERIFY2(run.exitCode == 4, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(u"only a superuser can end it"), qPrintable(describe(run)));
        QVERIFY2(!run.out.contains(u"grant pg_signal_backend"), qPrintable(describe(run)));
        QVERIFY(superuser.alive());
    }

    // Without pg_monitor another role's session shows neither owner, state nor start: it is
    // said plainly, and --yes alone does not signal a session nobody could see.
    void unidentifiedSessionIsNotSignalledUnseen()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession admin(POOLSCOPE_TEST_PG, "poolscope-test-setup");
        QVERIFY(admin.exec(QStringLiteral(
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ps_signal') THEN "
            "CREATE ROLE ps_signal LOGIN PASSWORD 'bench-secret' IN ROLE pg_signal_backend; END IF; END$$")));
        const QString signaller = withKey(POOLSCOPE_TEST_PG, QStringLiteral("user"), QStringLiteral("ps_signal"));
        ClientSession victim(POOLSCOPE_TEST_PG_APP, "unseen-app");
        QVERIFY(victim.exec(QStringLiteral("BEGIN")));
        QTemporaryDir dir;
        const Run run = runPoolscope({QStringLiteral("terminate"), signaller, QStringLiteral("--pid"), QString::number(victim.pid()),
                                      QStringLiteral("--yes")},
                                     withAuditLog(dir));
        QVERIFY2(run.exitCode == 4, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(u"cannot be identified") && run.out.contains(u"pg_monitor"), qPrintable(describe(run)));
        QVERIFY2(!run.out.contains(u"(hidden) (hidden)"), qPrintable(describe(run)));
        QVERIFY(victim.alive());
        const QList<QJsonObject> audit = auditLines(dir.filePath(QStringLiteral("audit.jsonl")));
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit[0].value(QStringLiteral("result")).toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("insufficient_privilege"));
    }

    // A bare number is seconds here as everywhere else; PostgreSQL itself would read 60 as 60 ms.
    void limitIdleTimeoutIsInSeconds_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("shown");  // in the confirmation
        QTest::addColumn<QString>("server"); // SHOW idle_in_transaction_session_timeout in a new session
        QTest::newRow("bare number") << QStringLiteral("60") << QStringLiteral("60s") << QStringLiteral("1min");
        QTest::newRow("m") << QStringLiteral("5m") << QStringLiteral("300s") << QStringLiteral("5min");
        QTest::newRow("ms") << QStringLiteral("1500ms") << QStringLiteral("1500ms") << QStringLiteral("1500ms");
        QTest::newRow("default") << QStringLiteral("default") << QStringLiteral("the server default") << QStringLiteral("0");
    }

    void limitIdleTimeoutIsInSeconds()
    {
        QFETCH(QString, value);
        QFETCH(QString, shown);
        QFETCH(QString, server);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QTemporaryDir dir;
        const auto reset = qScopeGuard([&] {
            ClientSession admin(POOLSCOPE_TEST_PG, "poolscope-test-setup");
            admin.exec(QStringLiteral("ALTER ROLE ps_stats RESET idle_in_transaction_session_timeout"));
        });
        const Run run = runPoolscope({QStringLiteral("limit"), POOLSCOPE_TEST_PG, QStringLiteral("--role"), QStringLiteral("ps_stats"),
                                      QStringLiteral("--idle-in-transaction-timeout"), value, QStringLiteral("--yes")},
                                     withAuditLog(dir));
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(QStringLiteral("of role ps_stats to ") + shown), qPrintable(describe(run)));
        ClientSession fresh(withKey(POOLSCOPE_TEST_PG, QStringLiteral("user"), QStringLiteral("ps_stats")), "timeout-check");
        QVERIFY2(fresh.ok(), qPrintable(fresh.error()));
        QCOMPARE(fresh.value(QStringLiteral("SHOW idle_in_transaction_session_timeout")), server);
    }

    // PgBouncer stores 99999999999 as 1215752191 and 4294967297 as 1, and answers SET: refused
    // before it is sent, with the range; the pool is left as it was.
    void bouncerSetChecksTheRange_data()
    {
        QTest::addColumn<QString>("assignment");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("reads"); // SHOW CONFIG afterwards; empty: as it was before
        QTest::newRow("wraps to 1,215,752,191") << QStringLiteral("default_pool_size=99999999999") << 2
                                                << QStringLiteral("from 0 to 2147483647") << QStringLiteral("default_pool_size") << QString();
        QTest::newRow("wraps to 1") << QStringLiteral("default_pool_size=4294967297") << 2 << QStringLiteral("from 0 to 2147483647")
                                    << QStringLiteral("default_pool_size") << QString();
        QTest::newRow("negative") << QStringLiteral("default_pool_size=-1") << 2 << QStringLiteral("from 0 to 2147483647")
                                  << QStringLiteral("default_pool_size") << QString();
        QTest::newRow("in range") << QStringLiteral("default_pool_size=7") << 0 << QStringLiteral("default_pool_size is now 7")
                                  << QStringLiteral("default_pool_size") << QStringLiteral("7");
        QTest::newRow("duration in minutes") << QStringLiteral("query_timeout=5min") << 0 << QStringLiteral("query_timeout is now 300")
                                             << QStringLiteral("query_timeout") << QStringLiteral("300");
        QTest::newRow("boolean") << QStringLiteral("log_pooler_errors=off") << 0 << QStringLiteral("log_pooler_errors is now 0")
                                 << QStringLiteral("log_pooler_errors") << QStringLiteral("0");
    }

    void bouncerSetChecksTheRange()
    {
        QFETCH(QString, assignment);
        QFETCH(int, exitCode);
        QFETCH(QString, text);
        QFETCH(QString, key);
        QFETCH(QString, reads);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        const QString before = bouncerSetting(POOLSCOPE_TEST_BOUNCER, key);
        QVERIFY(!before.isEmpty());
        QTemporaryDir dir;
        const auto restore = qScopeGuard([&] {
            PGconn *conn = PQconnectdb(POOLSCOPE_TEST_BOUNCER.toUtf8().constData());
            PQclear(PQexec(conn, QStringLiteral("SET %1 = '%2'").arg(key, before).toUtf8().constData()));
            PQfinish(conn);
        });
        const Run run = runPoolscope({QStringLiteral("set"), POOLSCOPE_TEST_BOUNCER, assignment, QStringLiteral("--yes")},
                                     withAuditLog(dir));
        QVERIFY2(run.exitCode == exitCode, qPrintable(describe(run)));
        QVERIFY2(QString(run.out + run.err).contains(text), qPrintable(describe(run)));
        QVERIFY2(!run.out.contains(u"not_changeable"), qPrintable(describe(run)));
        QCOMPARE(bouncerSetting(POOLSCOPE_TEST_BOUNCER, key), reads.isEmpty() ? before : reads);
    }

    // A paused database holds its clients back: the command line says so in text and JSON, as
    // the window's health line does.
    void pausedDatabaseIsShown()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        PGconn *console = PQconnectdb(POOLSCOPE_TEST_BOUNCER.toUtf8().constData());
        const auto resume = qScopeGuard([&] {
            PQclear(PQexec(console, "RESUME appdb"));
            PQfinish(console);
        });
        PGresult *paused = PQexec(console, "PAUSE appdb");
        QVERIFY2(PQresultStatus(paused) == PGRES_COMMAND_OK, PQresultErrorMessage(paused));
        PQclear(paused);

        Run run = runPoolscope({QStringLiteral("snapshot"), POOLSCOPE_TEST_BOUNCER});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains(u"WARNING: database appdb is paused (RESUME lets its clients through)"), qPrintable(describe(run)));
        static const QRegularExpression row(QStringLiteral(R"(\nappdb +\S+ +\d+ +appdb .* paused\n)"));
        QVERIFY2(run.out.contains(u"\nDatabases:\n") && run.out.contains(row), qPrintable(describe(run)));

        for (const QStringList &arguments : {QStringList{QStringLiteral("snapshot"), POOLSCOPE_TEST_BOUNCER, QStringLiteral("--json")},
                                             QStringList{QStringLiteral("watch"), POOLSCOPE_TEST_BOUNCER, QStringLiteral("--json"),
                                                         QStringLiteral("--count"), QStringLiteral("1")}}) {
            run = runPoolscope(arguments);
            QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
            const QJsonObject root = QJsonDocument::fromJson(run.out.toUtf8()).object();
            bool pausedShown = false;
            for (const QJsonValue &value : root.value(QStringLiteral("databases")).toArray()) {
                const QJsonObject database = value.toObject();
                if (database.value(QStringLiteral("name")).toString() == u"appdb")
                    pausedShown = database.value(QStringLiteral("paused")).toBool() && !database.value(QStringLiteral("disabled")).toBool();
            }
            QVERIFY2(pausedShown, qPrintable(run.out.left(3000)));
            bool finding = false;
            for (const QJsonValue &value : root.value(QStringLiteral("findings")).toArray())
                finding = finding || value.toObject().value(QStringLiteral("code")).toString() == u"database-paused";
            QVERIFY2(finding, qPrintable(run.out.left(3000)));
        }
    }

    // Two recorders onto one file would write over each other: the second is refused with the
    // first one's pid, and the first one's file stays whole.
    void recordOverwriteIsLocked()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("one.psrec"));
        QProcess first;
        first.setProcessEnvironment(withAuditLog(dir));
        first.start(qEnvironmentVariable("POOLSCOPE_BINARY"),
                    {QStringLiteral("record"), POOLSCOPE_TEST_PG, QStringLiteral("-o"), path, QStringLiteral("--overwrite"),
                     QStringLiteral("--duration"), QStringLiteral("4s"), QStringLiteral("--interval"), QStringLiteral("0.2s")});
        QVERIFY(first.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(path).size() > 0, 10000);
        const Run second = runPoolscope({QStringLiteral("record"), POOLSCOPE_TEST_PG, QStringLiteral("-o"), path,
                                         QStringLiteral("--overwrite"), QStringLiteral("--duration"), QStringLiteral("1s")},
                                        withAuditLog(dir));
        QVERIFY2(second.exitCode == 1, qPrintable(describe(second)));
        QVERIFY2(second.err.contains(QStringLiteral("(pid %1)").arg(first.processId())), qPrintable(describe(second)));
        QVERIFY(first.waitForFinished(20000));
        QCOMPARE(first.exitCode(), 0);
        QString error;
        const std::unique_ptr<poolscope::Recording> recording = poolscope::Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        QVERIFY2(recording->problems().isEmpty(), qPrintable(recording->problems().join(u'\n')));
        QVERIFY(recording->endedCleanly());
        QVERIFY(recording->targets().first().samples.size() >= 5);
    }

    // A chart that cannot be written fails the report, saying why.
    void reportNeedsItsChart()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("r.psrec"));
        Run run = runPoolscope({QStringLiteral("record"), POOLSCOPE_TEST_PG, QStringLiteral("-o"), path, QStringLiteral("--duration"),
                                QStringLiteral("1s"), QStringLiteral("--interval"), QStringLiteral("0.2s")},
                               withAuditLog(dir));
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = runPoolscope({QStringLiteral("report"), path, QStringLiteral("--chart"), QStringLiteral("/nonexistent/x.png")});
        QVERIFY2(run.exitCode == 1, qPrintable(describe(run)));
        QVERIFY2(run.err.contains(u"cannot draw the chart /nonexistent/x.png"), qPrintable(describe(run)));
        run = runPoolscope({QStringLiteral("report"), path, QStringLiteral("--chart"), dir.filePath(QStringLiteral("x.png"))});
        QVERIFY2(run.exitCode == 0 && QFileInfo(dir.filePath(QStringLiteral("x.png"))).size() > 0, qPrintable(describe(run)));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
