#include "postgres/conninfo.h"
#include "sampling/sampler.h"

#include <QTest>

using namespace poolscope;

class TestConnInfo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("display");
        QTest::newRow("keywords") << QStringLiteral("host=db1 port=5433 dbname=shop user=dba password=s3cret")
                                  << QStringLiteral("dba@db1:5433/shop");
        QTest::newRow("uri") << QStringLiteral("postgresql://dba:s3cret@db1:5433/shop?sslmode=require")
                             << QStringLiteral("dba@db1:5433/shop");
        QTest::newRow("socket only") << QStringLiteral("dbname=postgres") << QStringLiteral("local/postgres");
    }

    void valid()
    {
        QFETCH(QString, text);
        QFETCH(QString, display);
        QString error;
        const auto info = ConnInfo::parse(text, &error);
        QVERIFY2(info, qPrintable(error));
        QCOMPARE(info->displayName(), display);
        QVERIFY(!info->redacted().contains(QLatin1String("s3cret")));
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown keyword") << QStringLiteral("hots=db1") << QStringLiteral("invalid connection option \"hots\"");
        QTest::newRow("missing equals") << QStringLiteral("host") << QStringLiteral("missing \"=\"");
        QTest::newRow("bad uri") << QStringLiteral("postgresql://dba:s3cret@[::1") << QStringLiteral("IPv6");
    }

    void invalid()
    {
        QFETCH(QString, text);
        QFETCH(QString, message);
        QString error;
        QVERIFY(!ConnInfo::parse(text, &error));
        QVERIFY2(error.contains(message), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("s3cret")), qPrintable(error));
    }

    void defaultsAndOverrides()
    {
        QString error;
        const auto info = ConnInfo::parse(QStringLiteral("host=db1 connect_timeout=2 application_name=mine"), &error);
        QVERIFY(info);
        const auto params = info->connectParams(QByteArrayLiteral("poolscope"));
        const auto valueOf = [&](const char *key) {
            for (const auto &[k, v] : params) {
                if (k == key)
                    return v;
            }
            return QByteArray();
        };
        QCOMPARE(valueOf("connect_timeout"), QByteArray("2"));     // the user's wins
        QCOMPARE(valueOf("tcp_user_timeout"), QByteArray("10000")); // our default
        QCOMPARE(valueOf("keepalives"), QByteArray("1"));
        QCOMPARE(valueOf("application_name"), QByteArray("poolscope")); // always ours
        QCOMPARE(info->connectTimeoutSeconds(), 2);
    }

    void redaction_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("key value") << QStringLiteral("could not parse host=x password=s3cret port=1");
        QTest::newRow("quoted") << QStringLiteral("password = 's3 cret' host=x");
        QTest::newRow("uri") << QStringLiteral("postgres://dba:s3cret@db1/shop");
    }

    void redaction()
    {
        QFETCH(QString, text);
        const QString redacted = redactSecrets(text);
        QVERIFY2(!redacted.contains(QLatin1String("s3")), qPrintable(redacted));
        QVERIFY(redacted.contains(QLatin1String("***")));
    }

    void reconnectBackoff()
    {
        QCOMPARE(reconnectDelay(1, 0.5).count(), 0);
        QCOMPARE(reconnectDelay(2, 0.5).count(), 250);
        QCOMPARE(reconnectDelay(3, 0.5).count(), 500);
        QCOMPARE(reconnectDelay(4, 0.5).count(), 1000);
        QCOMPARE(reconnectDelay(5, 0.5).count(), 2000);
        QCOMPARE(reconnectDelay(30, 0.5).count(), 10000); // capped
        QCOMPARE(reconnectDelay(2, 0.0).count(), 200);      // -20 % jitter
        QCOMPARE(reconnectDelay(2, 1.0).count(), 300);      // +20 % jitter
    }
};

QTEST_GUILESS_MAIN(TestConnInfo)
#include "tst_conninfo.moc"
