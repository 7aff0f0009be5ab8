// Live tests of the actions against the bench's PostgreSQL.
#include "testsupport.h"

#include "actions/actions.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace poolscope;

namespace {

ConnInfo target(const QString &conninfo)
{
    QString error;
    return *ConnInfo::parse(conninfo, &error);
}

qint64 backendStartMs(const QString &superuser, int pid)
{
    ClientSession probe(superuser, "poolscope-test-probe");
    return qint64(probe
                      .value(QStringLiteral("SELECT extract(epoch from backend_start) * 1000 FROM pg_stat_activity "
                                            "WHERE pid = %1")
                                 .arg(pid))
                      .toDouble());
}

} // namespace

class TestLiveActions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void terminateEndsTheBackend()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession leaked(POOLSCOPE_TEST_PG_APP, "leaky-app");
        QVERIFY(leaked.exec(QStringLiteral("BEGIN")));
        QVERIFY(!leaked.exec(QStringLiteral("SELECT 1/0")));
        const int pid = leaked.pid();
        PgActions actions(target(POOLSCOPE_TEST_PG));
        const ActionResult result = actions.terminate({pid, backendStartMs(POOLSCOPE_TEST_PG, pid)});
        QVERIFY2(result.ok(), qPrintable(result.message));
        QCOMPARE(result.status, ActionResult::Status::Done);
        QVERIFY(!leaked.alive());
        ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");
        QCOMPARE(probe.value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = %1").arg(pid)),
                 QStringLiteral("0"));
    }

    // A pid reused by a new backend since the operator looked is not signalled.
    void terminateChecksBackendStart()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession session(POOLSCOPE_TEST_PG_APP, "some-app");
        const int pid = session.pid();
        PgActions actions(target(POOLSCOPE_TEST_PG));
        const ActionResult result = actions.terminate({pid, backendStartMs(POOLSCOPE_TEST_PG, pid) - 60'000});
        QCOMPARE(result.status, ActionResult::Status::NoSuchSession);
        QVERIFY(session.alive());
    }

    void terminateUnknownPid()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        PgActions actions(target(POOLSCOPE_TEST_PG));
        const ActionResult result = actions.terminate({999'999, std::nullopt});
        QCOMPARE(result.status, ActionResult::Status::NoSuchSession);
        QVERIFY(result.message.contains(QLatin1String("999999")));
    }

    void cancelDoesNotEndAnIdleTransaction()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession session(POOLSCOPE_TEST_PG_APP, "some-app");
        QVERIFY(session.exec(QStringLiteral("BEGIN")));
        PgActions actions(target(POOLSCOPE_TEST_PG));
        const ActionResult result = actions.cancel({session.pid(), std::nullopt});
        QCOMPARE(result.status, ActionResult::Status::Done);
        QVERIFY2(result.message.contains(QLatin1String("terminate it instead")), qPrintable(result.message));
        QCOMPARE(session.value(QStringLiteral("SELECT now() = statement_timestamp()")), QStringLiteral("f"));
    }

    void terminateWithoutSignalPrivilege()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_PLAIN);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession victim(POOLSCOPE_TEST_PG_APP, "some-app");
        PgActions actions(target(POOLSCOPE_TEST_PG_PLAIN));
        const ActionResult result = actions.terminate({victim.pid(), std::nullopt});
        QCOMPARE(result.status, ActionResult::Status::InsufficientPrivilege);
        QCOMPARE(result.sqlstate, QStringLiteral("42501"));
        QCOMPARE(result.requiredRole, QStringLiteral("pg_signal_backend"));
        QVERIFY2(result.message.contains(QLatin1String("pg_signal_backend")), qPrintable(result.message));
        QVERIFY(victim.alive());
    }

    void pgSignalBackendIsEnough()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_MONITOR);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession victim(POOLSCOPE_TEST_PG_APP, "some-app");
        PgActions actions(target(POOLSCOPE_TEST_PG_MONITOR));
        const ActionResult result = actions.terminate({victim.pid(), std::nullopt});
        QVERIFY2(result.ok(), qPrintable(result.message));
        QVERIFY(!victim.alive());
    }

    void connectionLimitShowsInCatalog()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        PgActions actions(target(POOLSCOPE_TEST_PG));
        ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");

        ActionResult result = actions.setRoleConnectionLimit(QStringLiteral("ps_app"), 7);
        QVERIFY2(result.ok(), qPrintable(result.message));
        QCOMPARE(probe.value(QStringLiteral("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'ps_app'")),
                 QStringLiteral("7"));
        result = actions.setRoleConnectionLimit(QStringLiteral("ps_app"), -1);
        QVERIFY2(result.ok(), qPrintable(result.message));
        QCOMPARE(probe.value(QStringLiteral("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'ps_app'")),
                 QStringLiteral("-1"));

        result = actions.setDatabaseConnectionLimit(QStringLiteral("appdb"), 50);
        QVERIFY2(result.ok(), qPrintable(result.message));
        QCOMPARE(probe.value(QStringLiteral("SELECT datconnlimit FROM pg_database WHERE datname = 'appdb'")),
                 QStringLiteral("50"));
        QVERIFY(actions.setDatabaseConnectionLimit(QStringLiteral("appdb"), -1).ok());

        result = actions.setRoleConnectionLimit(QStringLiteral("no such role \" ; DROP TABLE x; --"), 3);
        QCOMPARE(result.status, ActionResult::Status::NotFound);
    }

    void connectionLimitNeedsPrivilege()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_PLAIN);
        PgActions actions(target(POOLSCOPE_TEST_PG_PLAIN));
        const ActionResult result = actions.setRoleConnectionLimit(QStringLiteral("ps_app"), 3);
        QCOMPARE(result.status, ActionResult::Status::InsufficientPrivilege);
        QCOMPARE(result.sqlstate, QStringLiteral("42501"));
    }

    void idleInTransactionTimeout()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        PgActions actions(target(POOLSCOPE_TEST_PG));
        ActionResult result = actions.setRoleIdleInTransactionTimeout(QStringLiteral("ps_app"), std::chrono::seconds(45));
        QVERIFY2(result.ok(), qPrintable(result.message));
        {
            ClientSession fresh(POOLSCOPE_TEST_PG_APP, "some-app");
            QCOMPARE(fresh.value(QStringLiteral("SHOW idle_in_transaction_session_timeout")), QStringLiteral("45s"));
        }
        result = actions.setRoleIdleInTransactionTimeout(QStringLiteral("ps_app"), std::nullopt);
        QVERIFY2(result.ok(), qPrintable(result.message));
        ClientSession fresh(POOLSCOPE_TEST_PG_APP, "some-app");
        QCOMPARE(fresh.value(QStringLiteral("SHOW idle_in_transaction_session_timeout")), QStringLiteral("0"));

        // Beyond what the server's int of milliseconds holds: refused before anything is sent.
        result = actions.setDatabaseIdleInTransactionTimeout(QStringLiteral("appdb"), std::chrono::hours(24 * 25));
        QCOMPARE(result.status, ActionResult::Status::InvalidArgument);
    }

    void auditLogLines()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("sub/audit.jsonl"));
        const AuditLog log(path);
        QString error;
        QVERIFY(log.append(QStringLiteral("host=db1 password=s3cret user=dba"), QStringLiteral("terminate"),
                           QJsonObject{{QStringLiteral("pid"), 42}},
                           ActionResult{ActionResult::Status::InsufficientPrivilege, QStringLiteral("denied"),
                                        QStringLiteral("42501")},
                           &error));
        QVERIFY(log.append(QStringLiteral("host=db1"), QStringLiteral("cancel"), {}, ActionResult{ActionResult::Status::Done},
                           &error));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        const QJsonObject first = QJsonDocument::fromJson(lines[0]).object();
        QCOMPARE(first.value(QStringLiteral("action")).toString(), QStringLiteral("terminate"));
        QCOMPARE(first.value(QStringLiteral("arguments")).toObject().value(QStringLiteral("pid")).toInt(), 42);
        QCOMPARE(first.value(QStringLiteral("result")).toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("insufficient_privilege"));
        QCOMPARE(first.value(QStringLiteral("result")).toObject().value(QStringLiteral("sqlstate")).toString(),
                 QStringLiteral("42501"));
        QVERIFY(!lines[0].contains("s3cret"));
        QVERIFY(!first.value(QStringLiteral("time")).toString().isEmpty());

        const AuditLog unwritable(QStringLiteral("/proc/poolscope/audit.jsonl"));
        QVERIFY(!unwritable.append(QStringLiteral("x"), QStringLiteral("cancel"), {}, ActionResult{}, &error));
        QVERIFY(error.contains(QLatin1String("cannot write the audit log")));
    }
};

QTEST_GUILESS_MAIN(TestLiveActions)
#include "tst_liveactions.moc"
