// Reading the audit log back: what was written comes back, a damaged line is skipped and named.
#include "actions/actions.h"
#include "actions/auditreader.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace poolscope;

class TestAuditLog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip()
    {
        QTemporaryDir dir;
        const AuditLog log(dir.filePath(QStringLiteral("sub/audit.jsonl")));
        QVERIFY(log.append(QStringLiteral("host=db1 password=hunter2"), QStringLiteral("terminate"),
                           QJsonObject{{QStringLiteral("pid"), 4711}},
                           ActionResult{ActionResult::Status::Done, QStringLiteral("terminated")}));
        QVERIFY(log.append(QStringLiteral("host=db1"), QStringLiteral("limit"), QJsonObject{{QStringLiteral("role"), QStringLiteral("app")}},
                           ActionResult{ActionResult::Status::InsufficientPrivilege, QStringLiteral("permission denied"),
                                        QStringLiteral("42501")}));
        const AuditReadResult read = readAuditLog(log.path());
        QVERIFY(read.error.isEmpty());
        QVERIFY(read.problems.isEmpty());
        QCOMPARE(read.entries.size(), 2);
        QCOMPARE(read.entries[0].action, QStringLiteral("terminate"));
        QCOMPARE(read.entries[0].arguments.value(QStringLiteral("pid")).toInt(), 4711);
        QCOMPARE(read.entries[0].status, QStringLiteral("done"));
        QVERIFY(!read.entries[0].target.contains(u"hunter2"));
        QVERIFY(read.entries[0].time.isValid());
        QCOMPARE(read.entries[1].sqlstate, QStringLiteral("42501"));
    }

    void damagedLines_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("entries");
        QTest::addColumn<int>("problems");
        const QByteArray good = R"({"action":"cancel","arguments":{"pid":1},"result":{"status":"done"},"target":"x","time":"2026-11-22T10:00:00.000Z"})";
        QTest::newRow("empty") << QByteArray() << 0 << 0;
        QTest::newRow("one good line, no newline") << good << 1 << 0;
        QTest::newRow("cut mid-line by a crash") << good + '\n' + good.left(40) << 1 << 1;
        QTest::newRow("garbage between") << good + "\n\x01\x02garbage\n" + good + '\n' << 2 << 1;
        QTest::newRow("JSON but not ours") << QByteArray("[1,2,3]\n{\"x\":1}\n") << 0 << 2;
        QTest::newRow("blank lines") << QByteArray("\n\n  \n") + good + "\n\n" << 1 << 0;
    }
    void damagedLines()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, entries);
        QFETCH(int, problems);
        const AuditReadResult read = parseAuditLog(bytes);
        QCOMPARE(read.entries.size(), entries);
        QCOMPARE(read.problems.size(), problems);
    }

    void keepsOnlyTheNewest()
    {
        QByteArray bytes;
        for (int i = 0; i < 250; ++i)
            bytes += QStringLiteral(R"({"action":"cancel","arguments":{"pid":%1},"result":{"status":"done"},"target":"x","time":"2026-11-22T10:00:00.000Z"})")
                         .arg(i).toUtf8() + '\n';
        const AuditReadResult read = parseAuditLog(bytes, 100);
        QCOMPARE(read.entries.size(), 100);
        QCOMPARE(read.entries.first().arguments.value(QStringLiteral("pid")).toInt(), 150);
        QCOMPARE(read.entries.last().arguments.value(QStringLiteral("pid")).toInt(), 249);
    }

    void missingFileIsAnEmptyLog()
    {
        const AuditReadResult read = readAuditLog(QStringLiteral("/nonexistent/poolscope/audit.jsonl"));
        QVERIFY(read.error.isEmpty());
        QVERIFY(read.entries.isEmpty());
    }

    // Who ended which session is the owner's business alone: the file is created 0600 and the
    // directories made for it 0700, whatever the umask; a directory that exists is left alone,
    // except PoolScope's own data directory, which an older version created 0755.
    void ownerOnlyFiles()
    {
        QTemporaryDir dir;
        const mode_t previousMask = ::umask(022);
        const auto restoreMask = qScopeGuard([previousMask] { ::umask(previousMask); });
        const QString path = dir.filePath(QStringLiteral("a/b/audit.jsonl"));
        const AuditLog log(path);
        QVERIFY(log.append(QStringLiteral("host=db1"), QStringLiteral("cancel"), {}, ActionResult{ActionResult::Status::Done}));
        QCOMPARE(modeOf(path), 0600);
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("a/b"))), 0700);
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("a"))), 0700);
        QCOMPARE(modeOf(dir.path()), 0700); // QTemporaryDir's own: untouched, and 0700 already

        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("shared")));
        QFile::setPermissions(dir.filePath(QStringLiteral("shared")), QFileDevice::ReadOwner | QFileDevice::WriteOwner
                              | QFileDevice::ExeOwner | QFileDevice::ReadGroup | QFileDevice::ExeGroup);
        QVERIFY(AuditLog(dir.filePath(QStringLiteral("shared/audit.jsonl")))
                    .append(QStringLiteral("host=db1"), QStringLiteral("cancel"), {}, ActionResult{}));
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("shared"))), 0750); // chosen by its owner: kept
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("shared/audit.jsonl"))), 0600);

        // The default place, in a data directory an older PoolScope made world-readable.
        const QByteArray previousData = qgetenv("XDG_DATA_HOME");
        const QByteArray previousAudit = qgetenv("POOLSCOPE_AUDIT_LOG");
        qputenv("XDG_DATA_HOME", dir.filePath(QStringLiteral("data")).toUtf8());
        qunsetenv("POOLSCOPE_AUDIT_LOG");
        const auto restore = qScopeGuard([&] {
            qputenv("XDG_DATA_HOME", previousData);
            if (!previousAudit.isEmpty())
                qputenv("POOLSCOPE_AUDIT_LOG", previousAudit);
        });
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("data/poolscope"))));
        ::chmod(QFile::encodeName(dir.filePath(QStringLiteral("data/poolscope"))).constData(), 0755);
        QCOMPARE(AuditLog::defaultPath(), dir.filePath(QStringLiteral("data/poolscope/audit.jsonl")));
        QVERIFY(AuditLog().append(QStringLiteral("host=db1"), QStringLiteral("cancel"), {}, ActionResult{}));
        QCOMPARE(modeOf(dir.filePath(QStringLiteral("data/poolscope"))), 0700);
        QCOMPARE(modeOf(AuditLog::defaultPath()), 0600);
    }

private:
    static int modeOf(const QString &path)
    {
        struct stat info{};
        if (::stat(QFile::encodeName(path).constData(), &info) != 0)
            return -1;
        return int(info.st_mode & 07777);
    }
};

QTEST_GUILESS_MAIN(TestAuditLog)
#include "tst_auditlog.moc"
