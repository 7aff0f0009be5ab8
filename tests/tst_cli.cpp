// The `poolscope` binary as a user runs it: exit codes, messages, JSON, confirmation.
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
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
        QTest::newRow("malformed conninfo")
            << QStringList{QStringLiteral("snapshot"), QStringLiteral("hots=db1 password=s3cret")} << 2
            << QStringLiteral("invalid connection option \"hots\"");
    }

    void versionAndHelp()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, text);
        const Run run = runPoolscope(arguments);
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
        QCOMPARE(target.value(QStringLiteral("max_connections")).toInt(), 2300);
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
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
