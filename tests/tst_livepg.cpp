// Live tests of sampling and classification against the bench's PostgreSQL.
#include "testsupport.h"

#include "postgres/pgreader.h"
#include "sampling/sampler.h"

#include <QSignalSpy>

#include <memory>

using namespace poolscope;

namespace {

const Session *findPid(const Snapshot &snapshot, int pid)
{
    for (const Session &s : snapshot.sessions) {
        if (s.pid == pid)
            return &s;
    }
    return nullptr;
}

// Reads one snapshot the way the command line does.
struct Reader
{
    explicit Reader(const QString &conninfo)
    {
        QString error;
        target = *ConnInfo::parse(conninfo, &error);
        openError = connection.open(target, QByteArrayLiteral("poolscope"));
        if (!openError.isError())
            reader = std::make_unique<PgReader>(connection);
    }
    Snapshot read(const LeakRules &rules = LeakRules{})
    {
        if (!pipeline || !(pipeline->settings().rules == rules))
            pipeline = std::make_unique<AnalysisPipeline>(target.displayName(), AnalysisSettings{rules, {}, {}});
        AnalysedSamplePtr sample;
        lastError = sampleOnce(connection, *reader, *pipeline, std::chrono::seconds(5), &sample);
        return sample ? *sample->postgres : Snapshot();
    }
    ConnInfo target;
    PgConnection connection;
    std::unique_ptr<PgReader> reader;
    std::unique_ptr<AnalysisPipeline> pipeline;
    PgError openError;
    PgError lastError;
};

// Sessions of PoolScope's own whose application_name matches, the tests' helpers excluded.
int countSessions(const QString &superuser, const QString &applicationPattern)
{
    ClientSession probe(superuser, "poolscope-test-probe");
    return probe
        .value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '%1' "
                              "AND application_name NOT LIKE 'poolscope-test-%'")
                   .arg(applicationPattern))
        .toInt();
}

} // namespace

class TestLivePg : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession setup(POOLSCOPE_TEST_PG_APP, "poolscope-test-setup");
        QVERIFY2(setup.ok(), qPrintable(setup.error()));
        QVERIFY(setup.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance int)")));
        QVERIFY(setup.exec(QStringLiteral("INSERT INTO accounts VALUES (1, 0) ON CONFLICT DO NOTHING")));
    }

    void everyStateIsClassified()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession idle(POOLSCOPE_TEST_PG_APP, "shop-catalog");
        ClientSession active(POOLSCOPE_TEST_PG_APP, "shop-reports");
        ClientSession inTransaction(POOLSCOPE_TEST_PG_APP, "shop-billing");
        ClientSession aborted(POOLSCOPE_TEST_PG_APP, "shop-orders");
        ClientSession lockHolder(POOLSCOPE_TEST_PG_APP, "shop-ledger");
        ClientSession lockWaiter(POOLSCOPE_TEST_PG_APP, "shop-ledger");
        for (ClientSession *s : {&idle, &active, &inTransaction, &aborted, &lockHolder, &lockWaiter})
            QVERIFY2(s->ok(), qPrintable(s->error()));

        QVERIFY(idle.exec(QStringLiteral("SELECT 1 /*route='%2Fcatalog'*/")));
        QVERIFY(active.send(QStringLiteral("SELECT count(*) FROM generate_series(1, 2000000000)")));
        QVERIFY(inTransaction.exec(QStringLiteral("BEGIN")));
        QVERIFY(inTransaction.exec(QStringLiteral(
            "SELECT balance FROM accounts /*application='billing',stack='billing%3A%3Acharge%20charge.cpp%3A31|"
            "http%3A%3Aserve%20http.cpp%3A9'*/")));
        QVERIFY(aborted.exec(QStringLiteral("BEGIN")));
        QVERIFY(!aborted.exec(QStringLiteral("SELECT 1/0 /*controller:orders,action:pay,line:app/orders.rb:12*/")));
        QVERIFY(lockHolder.exec(QStringLiteral("BEGIN")));
        QVERIFY(lockHolder.exec(QStringLiteral("UPDATE accounts SET balance = balance + 1 WHERE id = 1")));
        QVERIFY(lockWaiter.send(QStringLiteral("UPDATE accounts SET balance = balance - 1 WHERE id = 1")));

        Reader reader(POOLSCOPE_TEST_PG);
        QVERIFY2(!reader.openError.isError(), qPrintable(reader.openError.message));
        LeakRules eager; // leak at once, so this test need not wait a minute
        eager.abortedLeakedAfter = 0;
        eager.idleInTxLeakedAfter = 0;
        Snapshot snapshot;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                snapshot = reader.read(eager);
                const Session *waiter = findPid(snapshot, lockWaiter.pid());
                const Session *busy = findPid(snapshot, active.pid());
                return waiter && waiter->sessionClass == SessionClass::Waiting && busy
                    && busy->state == QLatin1String("active");
            }(),
            10000);
        QVERIFY2(!reader.lastError.isError(), qPrintable(reader.lastError.message));

        QCOMPARE(findPid(snapshot, idle.pid())->sessionClass, SessionClass::Idle);
        QCOMPARE(findPid(snapshot, active.pid())->sessionClass, SessionClass::Active);
        QCOMPARE(findPid(snapshot, active.pid())->applicationName, QStringLiteral("shop-reports"));

        const Session *tx = findPid(snapshot, inTransaction.pid());
        QCOMPARE(tx->sessionClass, SessionClass::IdleInTransaction);
        QCOMPARE(tx->leak, LeakVerdict::Leaked);
        QCOMPARE(tx->stack, (QStringList{QStringLiteral("billing::charge charge.cpp:31"),
                                         QStringLiteral("http::serve http.cpp:9")}));

        const Session *failed = findPid(snapshot, aborted.pid());
        QCOMPARE(failed->sessionClass, SessionClass::IdleInTransactionAborted);
        QCOMPARE(failed->leak, LeakVerdict::Leaked);
        QCOMPARE(failed->stack, QStringList{QStringLiteral("app/orders.rb:12")});
        QCOMPARE(ownerOf(*failed, OwnerKey::CodeLocation), QStringLiteral("app/orders.rb:12"));

        const Session *holder = findPid(snapshot, lockHolder.pid());
        const Session *waiter = findPid(snapshot, lockWaiter.pid());
        QCOMPARE(waiter->waitEventType, QStringLiteral("Lock"));
        QCOMPARE(waiter->blockedBy, QList<int>{lockHolder.pid()});
        QCOMPARE(holder->blocking, QList<int>{lockWaiter.pid()});
        QVERIFY(!holder->backendXid.isEmpty()); // it wrote: it holds a transaction id
        QVERIFY(holder->reasons.join(u';').contains(QLatin1String("blocks 1 session")));

        // The reader's own session is marked and left out of the totals.
        const Session *own = findPid(snapshot, reader.connection.backendPid());
        QVERIFY(own && own->own);
        QCOMPARE(own->applicationName, QStringLiteral("poolscope"));
        QCOMPARE(snapshot.ownPid, reader.connection.backendPid());
        QCOMPARE(snapshot.totals.total, snapshot.sessions.size() - 1);
        QVERIFY(snapshot.totals.leaked >= 3);

        // Limits and settings of the bench (postgresql.conf written by bench.sh).
        QCOMPARE(snapshot.limits.maxConnections, 3100);
        QCOMPARE(snapshot.limits.superuserReserved, 3);
        QVERIFY(snapshot.serverVersionNum >= 130000);
        QVERIFY(snapshot.fullVisibility);
        QVERIFY(snapshot.hiddenColumns.isEmpty());
        QVERIFY(snapshot.backgroundProcesses > 0); // checkpointer and friends are not sessions

        // Owners: the aborted transaction's owner and stack lead the "top leak sites".
        const QList<OwnerSummary> byCode = groupOwners(snapshot, OwnerKey::CodeLocation);
        QVERIFY(!byCode.isEmpty());
        QVERIFY(byCode.first().leaked >= 1);
    }

    // COMMIT/ROLLBACK overwrite pg_stat_activity.query; the stack of the last tagged query stays.
    void tagsSurviveRollback()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession app(POOLSCOPE_TEST_PG_APP, "shop-cart");
        QVERIFY(app.exec(QStringLiteral("BEGIN")));
        QVERIFY(app.exec(QStringLiteral("SELECT 1 /*stack='cart%3A%3Aadd%20cart.cpp%3A5'*/")));
        Reader reader(POOLSCOPE_TEST_PG);
        Snapshot first = reader.read();
        QCOMPARE(findPid(first, app.pid())->stack, QStringList{QStringLiteral("cart::add cart.cpp:5")});
        QVERIFY(app.exec(QStringLiteral("ROLLBACK")));
        Snapshot second = reader.read();
        const Session *after = findPid(second, app.pid());
        QCOMPARE(after->query, QStringLiteral("ROLLBACK"));
        QCOMPARE(after->stack, QStringList{QStringLiteral("cart::add cart.cpp:5")});
        QVERIFY(after->tagsRemembered);
    }

    void withoutPgMonitorSessionsAreHidden()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_PLAIN);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession other(POOLSCOPE_TEST_PG_APP, "shop-hidden");
        QVERIFY(other.exec(QStringLiteral("BEGIN")));
        QVERIFY(!other.exec(QStringLiteral("SELECT 1/0")));
        ClientSession mine(POOLSCOPE_TEST_PG_PLAIN, "plain-own");
        QVERIFY(mine.exec(QStringLiteral("BEGIN")));

        Reader full(POOLSCOPE_TEST_PG); // to compare with, connected first so that both see it
        Reader reader(POOLSCOPE_TEST_PG_PLAIN);
        QVERIFY2(!reader.openError.isError(), qPrintable(reader.openError.message));
        const Snapshot snapshot = reader.read();
        QVERIFY2(!reader.lastError.isError(), qPrintable(reader.lastError.message));
        QVERIFY(!snapshot.fullVisibility);
        QVERIFY(snapshot.hiddenColumns.contains(QStringLiteral("query")));
        QVERIFY(snapshot.hiddenColumns.contains(QStringLiteral("state")));
        const Session *hidden = findPid(snapshot, other.pid());
        QVERIFY(hidden);
        QCOMPARE(hidden->sessionClass, SessionClass::Hidden);
        QCOMPARE(hidden->user, QStringLiteral("ps_app")); // the role is still visible
        QCOMPARE(ownerOf(*hidden, OwnerKey::Application), QStringLiteral("(hidden)"));
        // Its own role's sessions are still fully classified.
        QCOMPARE(findPid(snapshot, mine.pid())->sessionClass, SessionClass::IdleInTransaction);
        QVERIFY(std::any_of(snapshot.findings.cbegin(), snapshot.findings.cend(),
                            [](const Finding &f) { return f.code == QLatin1String("visibility"); }));
        // Background processes hide behind "<insufficient privilege>" too, but have no database
        // or no role: they are not counted as clients taking slots (a false flood otherwise).
        QVERIFY(snapshot.backgroundProcesses > 0);
        const Snapshot all = full.read();
        QCOMPARE(snapshot.sessions.size(), all.sessions.size());
        QCOMPARE(snapshot.backgroundProcesses, all.backgroundProcesses);
        QCOMPARE(snapshot.totals.slotsUsed, all.totals.slotsUsed);
    }

    // Query text is sent again only for sessions whose query (or backend) started since the
    // previous read; the others keep the text read before. A new query's text arrives with the
    // next read.
    void queryTextIsSentOnlyWhenItChanged()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession app(POOLSCOPE_TEST_PG_APP, "shop-quiet");
        QVERIFY(app.exec(QStringLiteral("SELECT 1 /*route='%2Fquiet'*/")));
        Reader reader(POOLSCOPE_TEST_PG);
        const Snapshot first = reader.read();
        QVERIFY(!reader.reader->sql().contains("CASE WHEN query_start")); // the first read sends every text
        QCOMPARE(findPid(first, app.pid())->query, QStringLiteral("SELECT 1 /*route='%2Fquiet'*/"));
        QTest::qWait(1200); // older than the cutoff's margin
        const Snapshot second = reader.read();
        QVERIFY(reader.reader->sql().contains("CASE WHEN query_start"));
        QCOMPARE(findPid(second, app.pid())->query, QStringLiteral("SELECT 1 /*route='%2Fquiet'*/"));
        QCOMPARE(findPid(second, app.pid())->tags.first().value, QStringLiteral("/quiet"));
        // The server did send it this time: ask it what it would have sent.
        ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");
        QCOMPARE(probe.value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = %1 AND query_start >= "
                                            "to_timestamp(%2 / 1000.0)")
                                 .arg(app.pid())
                                 .arg(second.takenAtMs - 1000)),
                 QStringLiteral("0"));
        QVERIFY(app.exec(QStringLiteral("SELECT 2 /*route='%2Fnext'*/")));
        const Snapshot third = reader.read();
        QCOMPARE(findPid(third, app.pid())->query, QStringLiteral("SELECT 2 /*route='%2Fnext'*/"));
        QCOMPARE(findPid(third, app.pid())->tags.first().value, QStringLiteral("/next"));
        // A session that connected since the last read: its backend is newer than the cutoff,
        // so its text comes with the first read that sees it.
        Reader late(POOLSCOPE_TEST_PG);
        late.read();
        QTest::qWait(1200);
        ClientSession newcomer(POOLSCOPE_TEST_PG_APP, "shop-newcomer");
        QVERIFY(newcomer.exec(QStringLiteral("SELECT 3 /*route='%2Fnew'*/")));
        const Snapshot seen = late.read();
        QCOMPARE(findPid(seen, newcomer.pid())->query, QStringLiteral("SELECT 3 /*route='%2Fnew'*/"));
    }

    // Sessions idle at the last read that ran nothing since come back as their pid alone and are
    // taken from that read; the sample is the same as a full read of pg_stat_activity. A
    // statement, a new transaction or a disconnect shows at the next read.
    void idleSessionsAreReadByPidUntilTheyChange()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession quiet(POOLSCOPE_TEST_PG_APP, "shop-quiet");
        ClientSession busy(POOLSCOPE_TEST_PG_APP, "shop-busy");
        ClientSession holder(POOLSCOPE_TEST_PG_APP, "shop-holder");
        auto leaving = std::make_unique<ClientSession>(POOLSCOPE_TEST_PG_APP, "shop-leaving");
        QVERIFY(quiet.exec(QStringLiteral("SELECT 1 /*route='%2Fquiet'*/")));
        QVERIFY(busy.exec(QStringLiteral("SELECT 2")));
        QVERIFY(holder.exec(QStringLiteral("BEGIN")) && holder.exec(QStringLiteral("SELECT 3")));
        QVERIFY(leaving->exec(QStringLiteral("SELECT 4")));
        const int leavingPid = leaving->pid();
        Reader reader(POOLSCOPE_TEST_PG);
        reader.read();
        QVERIFY(!reader.reader->sql().contains("pg_stat_get_backend_idset"));
        QTest::qWait(1200); // every session older than the cutoff's margin

        // Only idle ones are listed: not the one idle in a transaction, not our own.
        reader.read();
        const QByteArray sql = reader.reader->sql();
        QVERIFY2(sql.contains("pg_stat_get_backend_idset"), sql.constData());
        const auto listed = [&sql](int pid) {
            const qsizetype from = sql.indexOf("'{"), to = sql.indexOf("}'", from);
            return sql.mid(from + 2, to - from - 2).split(',').contains(QByteArray::number(pid));
        };
        QVERIFY(listed(quiet.pid()) && listed(busy.pid()) && listed(leavingPid));
        QVERIFY(!listed(holder.pid()));
        QVERIFY(!listed(reader.connection.backendPid()));

        const auto sameAsAFullRead = [&](const Snapshot &sample) {
            Reader full(POOLSCOPE_TEST_PG);
            const Snapshot truth = full.read();
            QVERIFY(!full.reader->sql().contains("pg_stat_get_backend_idset"));
            for (const Session &expected : truth.sessions) {
                if (expected.own || expected.applicationName.startsWith(u"poolscope"))
                    continue; // the two readers and the probes
                const Session *got = findPid(sample, expected.pid);
                QVERIFY2(got, qPrintable(QStringLiteral("pid %1 (%2) missing").arg(expected.pid).arg(expected.applicationName)));
                QCOMPARE(got->state, expected.state);
                QCOMPARE(got->applicationName, expected.applicationName);
                QCOMPARE(got->user, expected.user);
                QCOMPARE(got->database, expected.database);
                QCOMPARE(got->clientAddr, expected.clientAddr);
                QCOMPARE(got->clientPort, expected.clientPort);
                QCOMPARE(got->backendStartMs, expected.backendStartMs);
                QCOMPARE(got->xactStartMs, expected.xactStartMs);
                QCOMPARE(got->queryStartMs, expected.queryStartMs);
                QCOMPARE(got->stateChangeMs, expected.stateChangeMs);
                QCOMPARE(got->waitEvent, expected.waitEvent);
                QCOMPARE(got->query, expected.query);
                if (!got->tagsRemembered) // the full reader has not seen the session's earlier queries
                    QCOMPARE(got->tags, expected.tags);
                QCOMPARE(got->sessionClass, expected.sessionClass);
            }
            QCOMPARE(sample.totals.total, truth.totals.total - 1); // less the full reader's own session
        };
        Snapshot sample = reader.read();
        QVERIFY(reader.reader->sql().contains("pg_stat_get_backend_idset"));
        sameAsAFullRead(sample);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(findPid(sample, quiet.pid())->tags.first().value, QStringLiteral("/quiet"));
        QCOMPARE(findPid(sample, holder.pid())->state, QStringLiteral("idle in transaction"));

        // A statement running now, a transaction begun, a session gone: all seen at once.
        QVERIFY(busy.send(QStringLiteral("SELECT pg_sleep(2) /*route='%2Fbusy'*/")));
        QVERIFY(quiet.exec(QStringLiteral("BEGIN")));
        leaving.reset();
        ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");
        QTRY_COMPARE(probe.value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = %1 OR (pid = %2 AND "
                                                "state = 'active')").arg(leavingPid).arg(busy.pid())),
                     QStringLiteral("1"));
        sample = reader.read();
        QCOMPARE(findPid(sample, busy.pid())->state, QStringLiteral("active"));
        QCOMPARE(findPid(sample, busy.pid())->query, QStringLiteral("SELECT pg_sleep(2) /*route='%2Fbusy'*/"));
        QCOMPARE(findPid(sample, quiet.pid())->state, QStringLiteral("idle in transaction"));
        QVERIFY(!findPid(sample, leavingPid));
        QVERIFY(busy.finished(5000));
        QTest::qWait(1200);
        reader.read();
        sample = reader.read(); // the finished query's session is listed again, by pid
        QVERIFY(listed(busy.pid()) || reader.reader->sql().contains(QByteArray::number(busy.pid())));
        QCOMPARE(findPid(sample, busy.pid())->state, QStringLiteral("idle"));
        sameAsAFullRead(sample);
    }

    void pgMonitorSeesEverything()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_MONITOR);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        ClientSession other(POOLSCOPE_TEST_PG_APP, "shop-visible");
        QVERIFY(other.exec(QStringLiteral("BEGIN")));
        Reader reader(POOLSCOPE_TEST_PG_MONITOR);
        const Snapshot snapshot = reader.read();
        QVERIFY(snapshot.fullVisibility);
        QCOMPARE(findPid(snapshot, other.pid())->sessionClass, SessionClass::IdleInTransaction);
        QCOMPARE(findPid(snapshot, other.pid())->applicationName, QStringLiteral("shop-visible"));
    }

    // A query past its deadline ends on the server by the session's own statement_timeout (no
    // cancel request, which can block for good on a lost network) and is reported; the
    // connection stays usable.
    void queryDeadlineEndsOnServer()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QString error;
        const ConnInfo target = *ConnInfo::parse(POOLSCOPE_TEST_PG, &error);
        PgConnection connection;
        QVERIFY(!connection.open(target, QByteArrayLiteral("poolscope-deadline")).isError());
        QVERIFY(!connection.setServerTimeouts(std::chrono::milliseconds(300)).isError());
        QElapsedTimer timer;
        timer.start();
        PgResult result;
        const PgError timedOut = connection.exec("SELECT pg_sleep(20)", {}, std::chrono::milliseconds(300), &result);
        QCOMPARE(timedOut.kind, PgError::Kind::Timeout);
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(connection.isOpen());
        QCOMPARE(countSessions(POOLSCOPE_TEST_PG, QStringLiteral("poolscope-deadline")), 1);
        ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");
        QCOMPARE(probe.value(QStringLiteral("SELECT state FROM pg_stat_activity WHERE pid = %1").arg(connection.backendPid())),
                 QStringLiteral("idle"));
        QVERIFY(!connection.exec("SELECT 1", {}, std::chrono::seconds(2), &result).isError());
    }

    // Without a server-side timeout nothing answers at the deadline: the client gives the
    // connection up after a grace period instead of waiting for the query.
    void queryWithoutServerTimeoutIsGivenUp()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QString error;
        const ConnInfo target = *ConnInfo::parse(POOLSCOPE_TEST_PG, &error);
        PgConnection connection;
        QVERIFY(!connection.open(target, QByteArrayLiteral("poolscope-test-untimed")).isError());
        const int pid = connection.backendPid();
        QElapsedTimer timer;
        timer.start();
        PgResult result;
        const PgError timedOut = connection.exec("SELECT pg_sleep(3)", {}, std::chrono::milliseconds(300), &result);
        QCOMPARE(timedOut.kind, PgError::Kind::Timeout);
        QVERIFY2(timer.elapsed() < 2800, qPrintable(QString::number(timer.elapsed()))); // 300 ms + 2 s of grace
        QVERIFY(!connection.isOpen());
        // The server finds the client gone when the query ends.
        ClientSession probe(POOLSCOPE_TEST_PG, "poolscope-test-probe");
        QTRY_COMPARE_WITH_TIMEOUT(probe.value(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = %1").arg(pid)),
                                  QStringLiteral("0"), 5000);
    }

    // One connection per sampler; a dropped connection is a state, and it comes back.
    void samplerReconnectsAfterTermination()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QString error;
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(100);
        auto sampler = std::make_unique<Sampler>(*ConnInfo::parse(POOLSCOPE_TEST_PG, &error), options);
        QSignalSpy snapshots(sampler.get(), &Sampler::sampled);
        QList<SamplerStatus> statuses;
        connect(sampler.get(), &Sampler::statusChanged, this,
                [&](const SamplerStatus &status) { statuses.append(status); });
        sampler->start();
        QTRY_VERIFY_WITH_TIMEOUT(snapshots.size() >= 3, 5000);
        const int firstPid = snapshots.last().first().value<AnalysedSamplePtr>()->postgres->ownPid;
        QCOMPARE(countSessions(POOLSCOPE_TEST_PG, QStringLiteral("poolscope")), 1);

        ClientSession dba(POOLSCOPE_TEST_PG, "poolscope-test-dba");
        QCOMPARE(dba.value(QStringLiteral("SELECT pg_terminate_backend(%1)").arg(firstPid)), QStringLiteral("t"));
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(statuses.cbegin(), statuses.cend(),
                                             [](const SamplerStatus &s) {
                                                 return s.state == SamplerStatus::State::Reconnecting
                                                     && s.error.isError();
                                             }),
                                 5000);
        QTRY_VERIFY_WITH_TIMEOUT(snapshots.last().first().value<AnalysedSamplePtr>()->postgres->ownPid != firstPid, 5000);
        QCOMPARE(statuses.last().state, SamplerStatus::State::Connected);
        QCOMPARE(countSessions(POOLSCOPE_TEST_PG, QStringLiteral("poolscope")), 1);

        sampler->stop();
        QCOMPARE(statuses.last().state, SamplerStatus::State::Stopped);
        QTRY_COMPARE_WITH_TIMEOUT(countSessions(POOLSCOPE_TEST_PG, QStringLiteral("poolscope%")), 0, 3000);
    }

    void samplerReportsRefusedTarget()
    {
        QString error;
        // Port 1 on loopback: nothing listens there.
        SamplerOptions options;
        options.interval = std::chrono::milliseconds(100);
        Sampler sampler(*ConnInfo::parse(QStringLiteral("host=127.0.0.1 port=1 dbname=x user=x"), &error), options);
        QList<SamplerStatus> statuses;
        connect(&sampler, &Sampler::statusChanged, this, [&](const SamplerStatus &status) { statuses.append(status); });
        sampler.start();
        QTRY_VERIFY_WITH_TIMEOUT(statuses.size() >= 3, 5000);
        const SamplerStatus &last = statuses.last();
        QCOMPARE(last.state, SamplerStatus::State::Reconnecting);
        QCOMPARE(last.error.kind, PgError::Kind::Connection);
        QVERIFY2(last.error.message.contains(QLatin1String("refused")), qPrintable(last.error.message));
        QVERIFY(last.attempt >= 2);
        QVERIFY(last.retryInMs > 0);
    }
};

QTEST_GUILESS_MAIN(TestLivePg)
#include "tst_livepg.moc"
