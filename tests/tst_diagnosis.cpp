// The diagnosis on the bench: every cause built from real sessions (PostgreSQL, PgBouncer, the
// small cluster filled up), named first with its owner and code location, its remedy pointing
// at the right sessions, and gone once the sessions are; ignore rules honoured.
#include "livesampler.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QUrl>

#include <cmath>
#include <functional>

using namespace poolscope;

namespace {

// A stack tag as a sqlcommenter ORM sends it: innermost frame first.
QString tagged(const char *sql, const char *frame)
{
    return QStringLiteral("%1 /*stack='%2|app%3A%3Amain%20main.cpp%3A10'*/")
        .arg(QLatin1String(sql), QString::fromLatin1(QUrl::toPercentEncoding(QString::fromLatin1(frame))));
}

const Cause *causeOf(const Diagnosis &diagnosis, CauseKind kind)
{
    for (const Cause &cause : diagnosis.causes) {
        if (cause.kind == kind)
            return &cause;
    }
    return nullptr;
}

QString describe(const AnalysedSamplePtr &sample)
{
    if (!sample || !sample->diagnosis)
        return QStringLiteral("(no sample)");
    QStringList lines;
    for (const Cause &cause : sample->diagnosis->causes)
        lines.append(causeKey(cause.kind) + u' ' + cause.owner + u' ' + cause.codeLocation + u": " + cause.summary);
    return lines.isEmpty() ? QStringLiteral("(no cause)") : lines.join(u'\n');
}

// Samples every 300 ms until the diagnosis satisfies `done`, for at most `ms`.
AnalysedSamplePtr sampleUntil(LiveSampler &sampler, const LeakRules &rules,
                              const std::function<bool(const Diagnosis &)> &done, int ms)
{
    QElapsedTimer timer;
    timer.start();
    AnalysedSamplePtr sample;
    while (timer.elapsed() < ms) {
        sample = sampler.readAnalysed(rules);
        if (sample && sample->diagnosis && done(*sample->diagnosis))
            return sample;
        QTest::qWait(300);
    }
    return sample;
}

QString binary() { return qEnvironmentVariable("POOLSCOPE_BINARY"); }

} // namespace

class TestDiagnosis : public QObject
{
    Q_OBJECT

    LeakRules quickRules() const
    {
        LeakRules rules;
        rules.abortedLeakedAfter = 1;
        rules.idleInTxWarnAfter = 1;
        rules.slowStatementAfter = 2;
        return rules;
    }

private Q_SLOTS:
    void leakOnAnErrorPathComesFirst()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        std::vector<std::unique_ptr<ClientSession>> leakers;
        QList<int> pids;
        for (int i = 0; i < 3; ++i) {
            leakers.push_back(std::make_unique<ClientSession>(POOLSCOPE_TEST_PG_APP, "billing"));
            QVERIFY(leakers.back()->exec(QStringLiteral("BEGIN")));
            QVERIFY(!leakers.back()->exec(tagged("SELECT 1/0", "billing::checkout checkout.cpp:120")));
            pids.append(leakers.back()->pid());
        }
        ClientSession healthy(POOLSCOPE_TEST_PG_APP, "catalog");
        QVERIFY(healthy.exec(QStringLiteral("SELECT 1")));
        const AnalysedSamplePtr sample = sampleUntil(sampler, quickRules(), [](const Diagnosis &d) {
            return !d.causes.isEmpty() && d.causes.first().kind == CauseKind::Leak;
        }, 15000);
        QVERIFY2(sample && !sample->diagnosis->causes.isEmpty(), qPrintable(describe(sample)));
        const Cause &leak = sample->diagnosis->causes.first();
        QVERIFY2(leak.kind == CauseKind::Leak, qPrintable(describe(sample)));
        QCOMPARE(leak.severity, Finding::Severity::Critical);
        QCOMPARE(leak.owner, QStringLiteral("billing"));
        QCOMPARE(leak.codeLocation, QStringLiteral("billing::checkout checkout.cpp:120"));
        QCOMPARE(leak.stack.size(), 2);
        QCOMPARE(leak.remedy.kind, Remedy::Kind::Terminate);
        QList<int> remedied = leak.remedy.pids;
        std::sort(remedied.begin(), remedied.end());
        std::sort(pids.begin(), pids.end());
        QCOMPARE(remedied, pids);
        QVERIFY(!leak.evidence.isEmpty() && leak.evidence.first().atMs == sample->postgres->takenAtMs);
        QVERIFY(leak.nextStep.contains(u"billing::checkout checkout.cpp:120"));

        leakers.clear();
        const AnalysedSamplePtr after = sampleUntil(sampler, quickRules(), [](const Diagnosis &d) {
            return !causeOf(d, CauseKind::Leak);
        }, 10000);
        QVERIFY2(!causeOf(*after->diagnosis, CauseKind::Leak), qPrintable(describe(after)));
    }

    void forgottenCheckoutIsToldFromALeak()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        ClientSession first(POOLSCOPE_TEST_PG_APP, "orders");
        ClientSession second(POOLSCOPE_TEST_PG_APP, "orders");
        for (ClientSession *s : {&first, &second}) {
            QVERIFY(s->exec(QStringLiteral("BEGIN")));
            QVERIFY(s->exec(tagged("SELECT 1", "orders::place orders.cpp:77")));
        }
        const AnalysedSamplePtr sample = sampleUntil(sampler, quickRules(), [](const Diagnosis &d) {
            return causeOf(d, CauseKind::ForgottenCheckout) != nullptr;
        }, 15000);
        const Cause *forgotten = causeOf(*sample->diagnosis, CauseKind::ForgottenCheckout);
        QVERIFY2(forgotten, qPrintable(describe(sample)));
        QCOMPARE(sample->diagnosis->causes.first().kind, CauseKind::ForgottenCheckout);
        QCOMPARE(forgotten->owner, QStringLiteral("orders"));
        QCOMPARE(forgotten->codeLocation, QStringLiteral("orders::place orders.cpp:77"));
        QVERIFY(!causeOf(*sample->diagnosis, CauseKind::Leak)); // no error: not the error-path leak
        // Both ages are known for a transaction without an error, and the verdict uses them.
        for (const Session &s : sample->postgres->sessions) {
            if (s.pid == first.pid())
                QVERIFY2(s.transactionSeconds >= s.stateSeconds && s.transactionSeconds > 0,
                         qPrintable(QStringLiteral("%1 %2").arg(s.transactionSeconds).arg(s.stateSeconds)));
        }
        QVERIFY(forgotten->evidence.size() >= 2 && forgotten->evidence[1].text.startsWith(u"oldest transaction began"));
    }

    // An owner whose sessions stay at one count, all busy, for the pinned time: its pool is full.
    void pinnedPoolIsExhausted()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        std::vector<std::unique_ptr<ClientSession>> pool;
        for (int i = 0; i < 4; ++i) {
            pool.push_back(std::make_unique<ClientSession>(POOLSCOPE_TEST_PG_APP, "reports"));
            QVERIFY(pool.back()->send(QStringLiteral("SELECT pg_sleep(60)"))); // busy, not on a lock
        }
        const AnalysedSamplePtr sample = sampleUntil(sampler, quickRules(), [](const Diagnosis &d) {
            return causeOf(d, CauseKind::PoolExhausted) != nullptr;
        }, int(Diagnoser::kPinnedMs) + 10000);
        const Cause *exhausted = causeOf(*sample->diagnosis, CauseKind::PoolExhausted);
        QVERIFY2(exhausted, qPrintable(describe(sample)));
        QCOMPARE(exhausted->owner, QStringLiteral("reports"));
        QVERIFY(exhausted->summary.contains(u"4 sessions"));
        // One of them returns: the count moved, the pool is not pinned any more.
        pool.pop_back();
        const AnalysedSamplePtr after = sampleUntil(sampler, quickRules(), [](const Diagnosis &d) {
            return !causeOf(d, CauseKind::PoolExhausted);
        }, 5000);
        QVERIFY2(!causeOf(*after->diagnosis, CauseKind::PoolExhausted), qPrintable(describe(after)));
    }

    void lockPileUpNamesTheRootBlocker()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        ClientSession setup(POOLSCOPE_TEST_PG_APP, "setup");
        QVERIFY(setup.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS diagnosis_hot (id int PRIMARY KEY, n int)")));
        QVERIFY(setup.exec(QStringLiteral("INSERT INTO diagnosis_hot VALUES (1, 0) ON CONFLICT DO NOTHING")));
        ClientSession holder(POOLSCOPE_TEST_PG_APP, "inventory");
        QVERIFY(holder.exec(QStringLiteral("BEGIN")));
        QVERIFY(holder.exec(tagged("UPDATE diagnosis_hot SET n = n + 1 WHERE id = 1", "inventory::reserve stock.cpp:31")));
        std::vector<std::unique_ptr<ClientSession>> waiters;
        for (int i = 0; i < 3; ++i) {
            waiters.push_back(std::make_unique<ClientSession>(POOLSCOPE_TEST_PG_APP, "checkout"));
            QVERIFY(waiters.back()->send(QStringLiteral("UPDATE diagnosis_hot SET n = n + 1 WHERE id = 1")));
        }
        const AnalysedSamplePtr sample = sampleUntil(sampler, quickRules(), [](const Diagnosis &d) {
            const Cause *pile = causeOf(d, CauseKind::LockPileUp);
            return pile && pile->summary.contains(u"blocks 3 sessions");
        }, 15000);
        QVERIFY2(!sample->diagnosis->causes.isEmpty(), qPrintable(describe(sample)));
        const Cause &pile = sample->diagnosis->causes.first();
        QVERIFY2(pile.kind == CauseKind::LockPileUp, qPrintable(describe(sample)));
        QCOMPARE(pile.owner, QStringLiteral("inventory"));
        QCOMPARE(pile.codeLocation, QStringLiteral("inventory::reserve stock.cpp:31"));
        QCOMPARE(pile.severity, Finding::Severity::Critical);
        QCOMPARE(pile.remedy.kind, Remedy::Kind::Terminate);
        QCOMPARE(pile.remedy.pids, QList<int>{holder.pid()});
        // Its forgotten checkout is the pile-up's, not a second cause.
        QVERIFY(!causeOf(*sample->diagnosis, CauseKind::ForgottenCheckout));
        QVERIFY(holder.exec(QStringLiteral("ROLLBACK")));
        for (auto &waiter : waiters)
            QVERIFY(waiter->finished(5000));
        QVERIFY(setup.exec(QStringLiteral("DROP TABLE diagnosis_hot")));
    }

    // Statements running long on the server's own resources (here the CPU), not on a lock.
    void slowServerOffersToCancelTheLongest()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        std::vector<std::unique_ptr<ClientSession>> busy;
        for (int i = 0; i < 3; ++i) {
            busy.push_back(std::make_unique<ClientSession>(POOLSCOPE_TEST_PG_APP, "analytics"));
            // On the CPU, waiting on nothing: cancelled (ClientSession's end) once seen.
            QVERIFY(busy.back()->send(QStringLiteral("SELECT count(*) FROM generate_series(1, 2000000000)")));
        }
        const AnalysedSamplePtr sample = sampleUntil(sampler, quickRules(), [](const Diagnosis &d) {
            return causeOf(d, CauseKind::SlowServer) != nullptr;
        }, 15000);
        const Cause *slow = causeOf(*sample->diagnosis, CauseKind::SlowServer);
        QVERIFY2(slow, qPrintable(describe(sample)));
        QCOMPARE(slow->owner, QStringLiteral("analytics"));
        QCOMPARE(slow->remedy.kind, Remedy::Kind::Cancel);
        QCOMPARE(slow->remedy.pids.size(), 3);
        for (auto &session : busy)
            QVERIFY(slow->remedy.pids.contains(session->pid()));
    }

    // New connections opened and closed at ~40 a second: the rate comes from
    // pg_stat_database.sessions (PostgreSQL 14+), so the ones gone between samples count.
    void connectStormIsMeasuredAndAlerted()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        const LeakRules rules = quickRules();
        QVERIFY(sampler.readAnalysed(rules));
        QElapsedTimer storm;
        storm.start();
        AnalysedSamplePtr sample;
        bool alerted = false;
        int opened = 0;
        QElapsedTimer sinceSample;
        sinceSample.start();
        while (storm.elapsed() < 15000) {
            ClientSession churn(POOLSCOPE_TEST_PG_APP, "cron-job");
            QVERIFY(churn.ok());
            ++opened;
            QTest::qWait(15);
            if (sinceSample.elapsed() >= 500) {
                sinceSample.restart();
                sample = sampler.readAnalysed(rules);
                for (const Alert &alert : sample->alerts.fired)
                    alerted = alerted || alert.code == u"connect-storm";
                if (causeOf(*sample->diagnosis, CauseKind::ConnectStorm) && alerted)
                    break;
            }
        }
        qInfo("%d connections opened in %lld ms", opened, storm.elapsed());
        const Cause *cause = causeOf(*sample->diagnosis, CauseKind::ConnectStorm);
        QVERIFY2(cause, qPrintable(describe(sample)));
        QVERIFY(alerted);
        QVERIFY2(sample->diagnosis->connectsPerSecond >= rules.connectStormPerSecond,
                 qPrintable(QString::number(sample->diagnosis->connectsPerSecond)));
        QVERIFY(cause->evidence.first().text.contains(u"pg_stat_database.sessions"));
        QCOMPARE(sample->chart.point.connectsPerSecond, float(sample->diagnosis->connectsPerSecond));
        // Calm again: the rate falls below the threshold within the window and the cause goes.
        const AnalysedSamplePtr calm = sampleUntil(sampler, rules, [](const Diagnosis &d) {
            return !causeOf(d, CauseKind::ConnectStorm);
        }, int(Diagnoser::kRateWindowMs) + 5000);
        QVERIFY2(!causeOf(*calm->diagnosis, CauseKind::ConnectStorm), qPrintable(describe(calm)));
    }

    // Sessions that legitimately hold transactions are shown as ignored, not judged.
    void ignoreRulesKeepDumpsAndBatchJobsOut()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG_APP);
        LiveSampler sampler(POOLSCOPE_TEST_PG);
        QVERIFY2(sampler.ok(), qPrintable(sampler.error()));
        ClientSession dump(POOLSCOPE_TEST_PG_APP, "pg_dump");
        ClientSession batch(POOLSCOPE_TEST_PG_APP, "nightly");
        ClientSession commented(POOLSCOPE_TEST_PG_APP, "etl");
        for (ClientSession *s : {&dump, &batch, &commented})
            QVERIFY(s->exec(QStringLiteral("BEGIN")));
        QVERIFY(dump.exec(QStringLiteral("SELECT 1")));
        QVERIFY(batch.exec(QStringLiteral("SELECT 1")));
        QVERIFY(commented.exec(QStringLiteral("SELECT 1 /* poolscope:ignore */")));
        LeakRules rules = quickRules();
        rules.idleInTxLeakedAfter = 1;
        QVERIFY(rules.ignore.add(QStringLiteral("application=nightly")));
        QVERIFY(sampler.readAnalysed(rules)); // sees the comment while it is the current query…
        QVERIFY(commented.exec(QStringLiteral("SAVEPOINT later"))); // … and remembers it past the next
        QTest::qWait(1500); // older than every threshold of the rules: judged leaked, but for the rule
        const AnalysedSamplePtr sample = sampleUntil(sampler, rules, [](const Diagnosis &d) {
            return d.ignoredSessions >= 3;
        }, 10000);
        QVERIFY2(sample->diagnosis->ignoredSessions == 3, qPrintable(sample->diagnosis->ignoredBecause.join(u';')));
        QVERIFY(sample->diagnosis->causes.isEmpty() || !causeOf(*sample->diagnosis, CauseKind::ForgottenCheckout));
        QCOMPARE(sample->postgres->totals.leaked, 0);
        QCOMPARE(sample->postgres->totals.ignored, 3);
        QStringList why;
        for (const Session &s : sample->postgres->sessions) {
            if (!s.ignoredBecause.isEmpty())
                why.append(s.ignoredBecause);
        }
        why.sort();
        QCOMPARE(why, (QStringList{QStringLiteral("application nightly"), QStringLiteral("application pg_dump"),
                                   QStringLiteral("its query comment poolscope:ignore")}));
        // No rule, no exemption: the same sessions are leaked.
        rules.ignore = IgnoreRules{{}, {}, {}};
        const AnalysedSamplePtr judged = sampleUntil(sampler, rules, [](const Diagnosis &d) {
            return causeOf(d, CauseKind::ForgottenCheckout) != nullptr;
        }, 5000);
        QVERIFY2(causeOf(*judged->diagnosis, CauseKind::ForgottenCheckout), qPrintable(describe(judged)));
        QVERIFY(judged->postgres->totals.leaked >= 2);
    }

    // PgBouncer in session pooling, pool_size 2: two clients hold the servers in transactions
    // and a third waits. `poolscope diagnose` on the console and the server together names the
    // exhausted pool and the code holding it.
    void exhaustedPgBouncerPoolFromTheCommandLine()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_SESSION);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        ClientSession a(POOLSCOPE_TEST_BOUNCER_SESSION, "payments");
        ClientSession b(POOLSCOPE_TEST_BOUNCER_SESSION, "payments");
        for (ClientSession *s : {&a, &b}) {
            QVERIFY2(s->ok(), qPrintable(s->error()));
            QVERIFY(s->exec(QStringLiteral("BEGIN")));
            QVERIFY(s->exec(tagged("SELECT 1", "payments::charge pay.cpp:9")));
        }
        // The third logs in to PgBouncer and waits there for a server.
        ClientSession third(POOLSCOPE_TEST_BOUNCER_SESSION, "payments");
        QVERIFY(third.ok() && third.send(QStringLiteral("SELECT 3")));

        QProcess diagnose;
        diagnose.start(binary(), {QStringLiteral("diagnose"), POOLSCOPE_TEST_BOUNCER, POOLSCOPE_TEST_PG,
                                  QStringLiteral("--for"), QStringLiteral("3s"), QStringLiteral("--json"),
                                  QStringLiteral("--idle-tx-warn-after"), QStringLiteral("1s"),
                                  QStringLiteral("--idle-tx-suspect-after"), QStringLiteral("1s")});
        QVERIFY(diagnose.waitForFinished(30000));
        QCOMPARE(diagnose.exitCode(), 0);
        const QJsonArray targets = QJsonDocument::fromJson(diagnose.readAllStandardOutput()).object()
                                       .value(QStringLiteral("targets")).toArray();
        QCOMPARE(targets.size(), 2);
        QCOMPARE(targets[0].toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("pgbouncer"));
        const QJsonArray causes = targets[0].toObject().value(QStringLiteral("diagnosis")).toObject()
                                      .value(QStringLiteral("causes")).toArray();
        QVERIFY2(!causes.isEmpty(), QJsonDocument(targets[0].toObject()).toJson().constData());
        const QJsonObject first = causes.first().toObject();
        QCOMPARE(first.value(QStringLiteral("cause")).toString(), QStringLiteral("pool-exhausted"));
        QCOMPARE(first.value(QStringLiteral("owner")).toString(), QStringLiteral("appdb_session/ps_app"));
        QCOMPARE(first.value(QStringLiteral("code_location")).toString(), QStringLiteral("payments::charge pay.cpp:9"));
        QVERIFY(first.value(QStringLiteral("summary")).toString().contains(u"leaked checkouts"));
        // The server's own diagnosis names the same sessions as a forgotten checkout.
        const QJsonArray serverCauses = targets[1].toObject().value(QStringLiteral("diagnosis")).toObject()
                                            .value(QStringLiteral("causes")).toArray();
        QVERIFY(std::any_of(serverCauses.cbegin(), serverCauses.cend(), [](const QJsonValue &c) {
            return c.toObject().value(QStringLiteral("cause")).toString() == u"forgotten-checkout";
        }));
    }

    // `poolscope advise` on the console and its server under real load through PgBouncer: the
    // recommendation follows from its inputs by the formula it prints, and fits the slots.
    void adviseFromTheCommandLine()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_BOUNCER_APP);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_PG);
        QProcess advise;
        advise.start(binary(), {QStringLiteral("advise"), POOLSCOPE_TEST_BOUNCER, POOLSCOPE_TEST_PG, QStringLiteral("--for"),
                                QStringLiteral("21s"), QStringLiteral("--json")});
        QVERIFY(advise.waitForStarted());
        ClientSession load(POOLSCOPE_TEST_BOUNCER_APP, "advised-app");
        QVERIFY2(load.ok(), qPrintable(load.error()));
        while (advise.state() == QProcess::Running) {
            QVERIFY(load.exec(QStringLiteral("SELECT pg_sleep(0.01)")));
            advise.waitForFinished(1);
        }
        QCOMPARE(advise.exitCode(), 0);
        const QJsonArray targets = QJsonDocument::fromJson(advise.readAllStandardOutput()).object()
                                       .value(QStringLiteral("targets")).toArray();
        QCOMPARE(targets.size(), 2);
        const QJsonObject advice = targets[0].toObject().value(QStringLiteral("advice")).toObject();
        QVERIFY2(advice.value(QStringLiteral("enough")).toBool(), QJsonDocument(advice).toJson().constData());
        const int budget = advice.value(QStringLiteral("budget")).toInt();
        QVERIFY(budget > 0 && budget < 3100);
        QJsonObject appdb;
        for (const QJsonValue &pool : advice.value(QStringLiteral("pools")).toArray()) {
            if (pool.toObject().value(QStringLiteral("database")).toString() == u"appdb")
                appdb = pool.toObject();
        }
        QVERIFY(!appdb.isEmpty());
        const double rate = appdb.value(QStringLiteral("xacts_per_second")).toDouble();
        const double meanMs = appdb.value(QStringLiteral("mean_xact_ms")).toDouble();
        const double busy = appdb.value(QStringLiteral("busy_servers")).toDouble();
        QVERIFY2(rate > 10 && meanMs >= 10, qPrintable(QStringLiteral("%1/s, %2 ms").arg(rate).arg(meanMs)));
        QVERIFY(qAbs(busy - rate * meanMs / 1000) < 1e-6);
        const int recommended = appdb.value(QStringLiteral("recommended")).toInt();
        QCOMPARE(recommended, std::max(2, int(std::ceil(busy * 1.5))));
        QVERIFY(recommended <= budget);
        QCOMPARE(advice.value(QStringLiteral("default_pool_size")).toInt(), recommended);
        // The server's own advice names the application by its peak.
        const QJsonArray applications = targets[1].toObject().value(QStringLiteral("advice")).toObject()
                                            .value(QStringLiteral("applications")).toArray();
        QVERIFY(!applications.isEmpty());
    }

    // The small cluster (8 slots, 2 reserved) filled by real sessions: the flood, its owner,
    // in words and in the command line's text.
    void floodNamesTheOwnerThatGrew()
    {
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL);
        POOLSCOPE_BENCH(POOLSCOPE_TEST_SMALL_APP);
        QProcess diagnose;
        diagnose.setProcessChannelMode(QProcess::SeparateChannels);
        diagnose.start(binary(), {QStringLiteral("diagnose"), POOLSCOPE_TEST_SMALL, QStringLiteral("--for"),
                                  QStringLiteral("5s"), QStringLiteral("--interval"), QStringLiteral("0.5s")});
        QVERIFY(diagnose.waitForStarted());
        QTest::qWait(1500); // the baseline, before the pool grows
        const auto filling = fillServer(POOLSCOPE_TEST_SMALL_APP, "storefront", 20);
        QVERIFY(filling.size() >= 4);
        QVERIFY(diagnose.waitForFinished(30000));
        QCOMPARE(diagnose.exitCode(), 0);
        const QString text = QString::fromUtf8(diagnose.readAllStandardOutput());
        QVERIFY2(text.contains(u"1. CRITICAL  Oversized pools flood the server - "), qPrintable(text));
        QVERIFY2(text.contains(u"6 of 6 usable"), qPrintable(text));
        QVERIFY2(text.contains(u"filler +"), qPrintable(text)); // the owner that grew, with its growth
        QVERIFY2(text.contains(u"next      Cap the applications' pools"), qPrintable(text));
    }
};

QTEST_GUILESS_MAIN(TestDiagnosis)
#include "tst_diagnosis.moc"
