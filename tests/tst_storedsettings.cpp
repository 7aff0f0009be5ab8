// The window's settings file, hand-edited or damaged: every value is checked; what is wrong
// gives the default and a line saying so, never a broken threshold.
#include "settings/storedsettings.h"
#include "testsupport.h"

#include <QFile>
#include <QTemporaryDir>

using namespace poolscope;

class TestStoredSettings : public QObject
{
    Q_OBJECT

private:
    StoredSettings read(const QByteArray &ini)
    {
        const QString path = m_dir.filePath(QStringLiteral("s%1.conf").arg(m_files++)); // QSettings caches by path
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(ini) != ini.size())
            qFatal("cannot write %s", qPrintable(path));
        file.close();
        QSettings settings(path, QSettings::IniFormat);
        return readStoredSettings(settings);
    }

    QTemporaryDir m_dir;
    int m_files = 0;

private Q_SLOTS:
    void values_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<double>("slots");
        QTest::addColumn<double>("waiting");
        QTest::addColumn<int>("rising");
        QTest::addColumn<bool>("leaked");
        QTest::addColumn<bool>("readOnly");
        QTest::addColumn<int>("cap");
        QTest::addColumn<int>("targets");
        QTest::addColumn<int>("problems");
        QTest::newRow("empty: the defaults") << QByteArray() << 80.0 << 5.0 << 3 << true << false << 1024 << 0 << 0;
        QTest::newRow("as the window writes them")
            << QByteArray("readOnly=true\n[alerts]\nslotsUsedPercent=65\nwaitingLongerThanSeconds=2.5\nleakedSessions=false\n"
                          "risingSamples=5\n[recording]\nalwaysOn=true\ncapMegabytes=256\n")
            << 65.0 << 2.5 << 5 << false << true << 256 << 0 << 0;
        QTest::newRow("out of range and not numbers")
            << QByteArray("[alerts]\nslotsUsedPercent=0\nwaitingLongerThanSeconds=abc\nrisingSamples=-3\n"
                          "leakedSessions=perhaps\n[recording]\ncapMegabytes=1\n")
            << 80.0 << 5.0 << 3 << true << false << 1024 << 0 << 5;
        QTest::newRow("not finite") << QByteArray("[alerts]\nslotsUsedPercent=nan\nwaitingLongerThanSeconds=inf\n")
                                    << 80.0 << 5.0 << 3 << true << false << 1024 << 0 << 2;
        QTest::newRow("one sample is no trend") << QByteArray("[alerts]\nrisingSamples=1\n")
                                                << 80.0 << 5.0 << 2 << true << false << 1024 << 0 << 0;
        QTest::newRow("huge whole number") << QByteArray("[alerts]\nrisingSamples=99999999999999999999\n")
                                           << 80.0 << 5.0 << 3 << true << false << 1024 << 0 << 1;
        QTest::newRow("targets, one malformed")
            << QByteArray("targets=\"host=db1 dbname=postgres\", \"host=db2 port\", postgresql://u@db3/app\n")
            << 80.0 << 5.0 << 3 << true << false << 1024 << 2 << 1;
        QTest::newRow("a single target") << QByteArray("targets=host=db1\n") << 80.0 << 5.0 << 3 << true << false << 1024 << 1 << 0;
        QTest::newRow("not INI at all") << QByteArray("\x00\x01\xff[[[=\n==\n[alerts\nslotsUsedPercent\n", 33)
                                        << 80.0 << 5.0 << 3 << true << false << 1024 << 0 << 0;
    }

    void values()
    {
        QFETCH(QByteArray, ini);
        const StoredSettings stored = read(ini);
        QTEST(stored.alertRules.slotsUsedPercent, "slots");
        QTEST(stored.alertRules.waitingLongerThanSeconds, "waiting");
        QTEST(stored.alertRules.risingSamples, "rising");
        QTEST(stored.alertRules.leakedSessions, "leaked");
        QTEST(stored.readOnly, "readOnly");
        QTEST(stored.recordingCapMegabytes, "cap");
        QTEST(int(stored.targets.size()), "targets");
        QTEST(int(stored.problems.size()), "problems");
        for (const QString &problem : stored.problems)
            QVERIFY2(problem.contains(QStringLiteral(" is used")) || problem.contains(QStringLiteral("not opened")), qPrintable(problem));
    }

    // The window's View > Server budget…: absent means "the default or --server-budget".
    void serverBudget_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<double>("budget"); // -1: none stored
        QTest::addColumn<int>("problems");
        QTest::newRow("absent") << QByteArray("[alerts]\nrisingSamples=3\n") << -1.0 << 0;
        QTest::newRow("as the window writes it") << QByteArray("[sampling]\nserverBudgetPercent=0.5\n") << 0.5 << 0;
        QTest::newRow("the interval kept") << QByteArray("[sampling]\nserverBudgetPercent=0\n") << 0.0 << 0;
        QTest::newRow("over 100") << QByteArray("[sampling]\nserverBudgetPercent=150\n") << 2.0 << 1;
        QTest::newRow("negative") << QByteArray("[sampling]\nserverBudgetPercent=-1\n") << 2.0 << 1;
        QTest::newRow("not a number") << QByteArray("[sampling]\nserverBudgetPercent=lots\n") << 2.0 << 1;
    }

    void serverBudget()
    {
        QFETCH(QByteArray, ini);
        QFETCH(double, budget);
        const StoredSettings stored = read(ini);
        QCOMPARE(stored.serverBudgetPercent.has_value(), budget >= 0);
        if (budget >= 0)
            QCOMPARE(*stored.serverBudgetPercent, budget);
        QTEST(int(stored.problems.size()), "problems");
    }

    void ignoreRules_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<QStringList>("rules");
        QTest::addColumn<int>("problems");
        const QStringList defaults = IgnoreRules{}.toStrings();
        QTest::newRow("never set: the defaults") << QByteArray("[alerts]\nrisingSamples=3\n") << defaults << 0;
        QTest::newRow("as the window writes them")
            << QByteArray("[analysis]\nignore=application=pg_dump, user=batch\n")
            << QStringList{QStringLiteral("application=pg_dump"), QStringLiteral("user=batch")} << 0;
        QTest::newRow("one rule") << QByteArray("[analysis]\nignore=database=warehouse\n")
                                  << QStringList{QStringLiteral("database=warehouse")} << 0;
        QTest::newRow("emptied: nothing ignored") << QByteArray("[analysis]\nignore=\n") << QStringList() << 0;
        QTest::newRow("a bad line is left out")
            << QByteArray("[analysis]\nignore=host=10.0.0.1, user=batch\n") << QStringList{QStringLiteral("user=batch")} << 1;
    }

    void ignoreRules()
    {
        QFETCH(QByteArray, ini);
        QFETCH(QStringList, rules);
        const StoredSettings stored = read(ini);
        QCOMPARE(stored.ignoreRules.toStrings(), rules);
        QTEST(int(stored.problems.size()), "problems");
    }

    void appCallSites_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<QStringList>("patterns");
        QTest::addColumn<int>("problems");
        QTest::newRow("never set: the defaults") << QByteArray("[alerts]\nrisingSamples=3\n") << AppCallSites::defaults() << 0;
        QTest::newRow("emptied: none") << QByteArray("[analysis]\nappCallSites=\n") << QStringList() << 0;
        QTest::newRow("one pattern") << QByteArray("[analysis]\nappCallSites=\"^(?<owner>\\\\w+)#(?<frame>.+)$\"\n")
                                     << QStringList{QStringLiteral(R"(^(?<owner>\w+)#(?<frame>.+)$)")} << 0;
        QTest::newRow("no frame group: left out")
            << QByteArray("[analysis]\nappCallSites=(?<owner>.+)@.+, (?<owner>.+)@(?<frame>.+)\n")
            << QStringList{QStringLiteral("(?<owner>.+)@(?<frame>.+)")} << 1;
        QTest::newRow("not a regular expression: left out") << QByteArray("[analysis]\nappCallSites=(?<owner>\n")
                                                            << QStringList() << 1;
    }

    void appCallSites()
    {
        QFETCH(QByteArray, ini);
        QFETCH(QStringList, patterns);
        const StoredSettings stored = read(ini);
        QCOMPARE(stored.appCallSites.patterns, patterns);
        QTEST(int(stored.problems.size()), "problems");
    }

    // Patterns with commas, quotes and backslashes, as the window saves them, read back as they were.
    void writtenCallSitesReadBack()
    {
        const QString path = m_dir.filePath(QStringLiteral("callsites.conf"));
        const QStringList patterns{QStringLiteral("^(?<owner>[a-z]{2,8}), \"(?<frame>[^\"]+\\.\\w+:\\d+)\"$"),
                                   AppCallSites::defaults().last()};
        QSettings(path, QSettings::IniFormat).setValue(QStringLiteral("analysis/appCallSites"), patterns);
        QSettings settings(path, QSettings::IniFormat);
        const StoredSettings stored = readStoredSettings(settings);
        QCOMPARE(stored.appCallSites.patterns, patterns);
        QVERIFY(stored.problems.isEmpty());
    }

    void traceUrlTemplate_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<QString>("urlTemplate");
        QTest::addColumn<int>("problems");
        QTest::newRow("never set: no links") << QByteArray("[alerts]\nrisingSamples=3\n") << QString() << 0;
        QTest::newRow("jaeger") << QByteArray("[traces]\nurlTemplate=http://jaeger:16686/trace/{trace_id}\n")
                                << QStringLiteral("http://jaeger:16686/trace/{trace_id}") << 0;
        QTest::newRow("no placeholder: no links") << QByteArray("[traces]\nurlTemplate=http://jaeger:16686/trace/\n")
                                                  << QString() << 1;
        QTest::newRow("not http: no links") << QByteArray("[traces]\nurlTemplate=file:///etc/{trace_id}\n") << QString() << 1;
    }

    void traceUrlTemplate()
    {
        QFETCH(QByteArray, ini);
        QFETCH(QString, urlTemplate);
        const StoredSettings stored = read(ini);
        QCOMPARE(stored.traceUrlTemplate, urlTemplate);
        QTEST(int(stored.problems.size()), "problems");
    }

    void problemNamesKeyAndValue()
    {
        const StoredSettings stored = read("[alerts]\nrisingSamples=-3\n");
        QCOMPARE(stored.problems,
                 QStringList{QStringLiteral("alerts/risingSamples: \"-3\" is not a whole number from 0 to 100; 3 is used")});
    }

    void writtenRulesReadBack()
    {
        const QString path = m_dir.filePath(QStringLiteral("written.conf"));
        AlertRules rules;
        rules.slotsUsedPercent = 42;
        rules.waitingLongerThanSeconds = 12;
        rules.leakedSessions = false;
        rules.risingSamples = 7;
        {
            QSettings settings(path, QSettings::IniFormat);
            writeAlertRules(settings, rules);
        }
        QSettings settings(path, QSettings::IniFormat);
        const StoredSettings stored = readStoredSettings(settings);
        QCOMPARE(stored.alertRules.slotsUsedPercent, 42.0);
        QCOMPARE(stored.alertRules.waitingLongerThanSeconds, 12.0);
        QCOMPARE(stored.alertRules.leakedSessions, false);
        QCOMPARE(stored.alertRules.risingSamples, 7);
        QVERIFY(stored.problems.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestStoredSettings)
#include "tst_storedsettings.moc"
