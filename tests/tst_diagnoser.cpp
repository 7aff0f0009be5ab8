// The diagnosis's own logic on built samples: the order of causes, the growth since the
// baseline, the connect rate without pg_stat_database.sessions, a server clock that steps back.
// (Every cause on real sessions: tst_diagnosis.)
#include "analysis/diagnosis.h"

#include <QTest>

using namespace poolscope;

namespace {

constexpr qint64 kStart = 1'790'000'000'000;

Session session(int pid, const char *application, const char *state, double secondsInState, qint64 now)
{
    Session s;
    s.pid = pid;
    s.applicationName = QString::fromLatin1(application);
    s.state = QString::fromLatin1(state);
    s.backendStartMs = now - 3'600'000;
    s.stateChangeMs = now - qint64(secondsInState * 1000);
    s.queryStartMs = s.stateChangeMs;
    return s;
}

Snapshot classified(QList<Session> sessions, qint64 now, int maxConnections = 100)
{
    Snapshot snapshot;
    snapshot.takenAtMs = now;
    snapshot.limits.maxConnections = maxConnections;
    snapshot.limits.superuserReserved = 3;
    snapshot.sessions = std::move(sessions);
    classify(snapshot, LeakRules{});
    return snapshot;
}

// As the pipeline calls it: with the snapshot grouped by application.
DiagnosisPtr diagnoseWith(Diagnoser &diagnoser, const Snapshot &snapshot)
{
    return diagnoser.diagnose(snapshot, groupOwners(snapshot, OwnerKey::Application, OwnerDetail::CountsOnly));
}

QStringList kinds(const Diagnosis &d)
{
    QStringList keys;
    for (const Cause &c : d.causes)
        keys.append(causeKey(c.kind) + u':' + c.owner);
    return keys;
}

} // namespace

class TestDiagnoser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void causesComeWorstFirst()
    {
        const qint64 now = kStart;
        QList<Session> sessions;
        sessions.append(session(1, "orders", "idle in transaction", 40, now)); // suspected: warning
        sessions.append(session(2, "orders", "idle in transaction", 45, now));
        sessions.append(session(3, "billing", "idle in transaction (aborted)", 20, now)); // leaked: critical
        Diagnoser diagnoser;
        const DiagnosisPtr d = diagnoseWith(diagnoser, classified(sessions, now));
        QCOMPARE(kinds(*d), (QStringList{QStringLiteral("leak:billing"), QStringLiteral("forgotten-checkout:orders")}));
        QCOMPARE(d->causes[0].severity, Finding::Severity::Critical);
        QCOMPARE(d->causes[1].severity, Finding::Severity::Warning);
        QCOMPARE(d->causes[0].remedy.pids, QList<int>{3});
        QCOMPARE(d->causes[1].remedy.pids, (QList<int>{1, 2}));
    }

    void floodNamesWhoGrewSinceTheBaseline()
    {
        Diagnoser diagnoser;
        QList<Session> quiet{session(1, "web", "idle", 5, kStart), session(2, "web", "idle", 5, kStart),
                             session(3, "cron", "idle", 5, kStart)};
        diagnoseWith(diagnoser, classified(quiet, kStart));
        QList<Session> flooded;
        for (int i = 0; i < 80; ++i)
            flooded.append(session(100 + i, "web", "idle", 2, kStart + 60'000));
        for (int i = 0; i < 14; ++i)
            flooded.append(session(200 + i, "cron", "active", 1, kStart + 60'000));
        const DiagnosisPtr d = diagnoseWith(diagnoser, classified(flooded, kStart + 60'000));
        QVERIFY(!d->causes.isEmpty());
        const Cause &flood = d->causes.first();
        QCOMPARE(flood.kind, CauseKind::Flood);
        QCOMPARE(flood.severity, Finding::Severity::Critical); // 94 of 97 usable
        QCOMPARE(flood.owner, QStringLiteral("web"));
        QVERIFY2(flood.summary.contains(u"the pools hold more connections than the work needs"), qPrintable(flood.summary));
        QCOMPARE(flood.evidence[1].atMs, kStart); // the baseline's time
        QVERIFY2(flood.evidence[1].text.contains(u"web +78 (now 80, 80 idle), cron +13"), qPrintable(flood.evidence[1].text));
    }

    // Without pg_stat_database.sessions (PostgreSQL 13 and older), the sessions seen with a
    // backend_start after the previous sample count: those that came and went are missed.
    void connectRateFromBackendStart()
    {
        Diagnoser diagnoser;
        QList<Session> sessions;
        int pid = 1;
        DiagnosisPtr d;
        for (int tick = 0; tick <= 6; ++tick) {
            const qint64 now = kStart + tick * 1000;
            for (int i = 0; i < 15; ++i) { // 15 new connections a second, all still there
                Session s = session(pid++, "php-fpm", "idle", 0.2, now);
                s.backendStartMs = now - 500;
                sessions.append(s);
            }
            d = diagnoseWith(diagnoser, classified(sessions, now, 1000));
        }
        QVERIFY2(qAbs(d->connectsPerSecond - 15) < 0.01, qPrintable(QString::number(d->connectsPerSecond)));
        QCOMPARE(kinds(*d).value(0), QStringLiteral("connect-storm:php-fpm"));
        QVERIFY(d->causes.first().evidence.first().text.contains(u"backend_start of the sessions seen"));
    }

    void connectRateFromTheServersCounter()
    {
        Diagnoser diagnoser;
        DiagnosisPtr d;
        for (int tick = 0; tick <= 6; ++tick) {
            Snapshot snapshot = classified({}, kStart + tick * 1000);
            snapshot.sessionsOpened = 5000 + tick * 40; // 40 a second, none of them still there
            d = diagnoseWith(diagnoser, snapshot);
        }
        QVERIFY(qAbs(d->connectsPerSecond - 40) < 0.01);
        QCOMPARE(kinds(*d), QStringList{QStringLiteral("connect-storm:")}); // nobody stayed to be named
        QCOMPARE(d->causes.first().evidence[1].text, QStringLiteral("none of them is still connected: they live less than a sample"));
    }

    // A sample from an earlier server clock (a failover to a replica whose clock lags) starts
    // the past afresh instead of computing negative rates or growth.
    void serverClockSteppingBackStartsAfresh()
    {
        Diagnoser diagnoser;
        Snapshot first = classified({}, kStart + 10'000);
        first.sessionsOpened = 100;
        diagnoseWith(diagnoser, first);
        Snapshot earlier = classified({}, kStart);
        earlier.sessionsOpened = 5;
        const DiagnosisPtr d = diagnoseWith(diagnoser, earlier);
        QCOMPARE(d->connectsPerSecond, -1.0);
        QVERIFY(d->causes.isEmpty());
    }

    void ignoredSessionsAreCountedNotJudged()
    {
        LeakRules rules;
        QList<Session> sessions{session(1, "pg_dump", "idle in transaction", 600, kStart),
                                session(2, "pg_dump", "idle in transaction", 600, kStart)};
        Snapshot snapshot;
        snapshot.takenAtMs = kStart;
        snapshot.limits.maxConnections = 100;
        snapshot.sessions = sessions;
        classify(snapshot, rules);
        const DiagnosisPtr d = diagnoseOnce(snapshot, rules);
        QVERIFY(d->causes.isEmpty());
        QCOMPARE(d->ignoredSessions, 2);
        QCOMPARE(d->ignoredBecause, QStringList{QStringLiteral("application pg_dump: 2 sessions")});
    }
};

QTEST_GUILESS_MAIN(TestDiagnoser)
#include "tst_diagnoser.moc"
