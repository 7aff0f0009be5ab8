#include "postgres/conninfo.h"
#include "sampling/sampler.h"

#include "postgres/pgconnection.h"

#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>
#include <QVarLengthArray>

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

    // libpq quotes the token it cannot read, and in a URI that token can be the password: every
    // form PQconninfoParse rejects, with a password in it, comes back with the password masked.
    void malformedWithPassword_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("secret");
        QTest::addColumn<QString>("message"); // what libpq still says about it
        const QString secret = QStringLiteral("s3cr3t%zzPW");
        QTest::newRow("uri: bad percent-encoding in the password")
            << QStringLiteral("postgresql://postgres:s3cr3t%zzPW@host/db") << secret << QStringLiteral("invalid percent-encoded token");
        QTest::newRow("uri: %00 in the password") << QStringLiteral("postgresql://u:s3cr3t%00PW@host/db")
                                                  << QStringLiteral("s3cr3t%00PW") << QStringLiteral("forbidden value %00");
        QTest::newRow("postgres:// scheme") << QStringLiteral("postgres://u:s3cr3t%zz@h:5432/d") << QStringLiteral("s3cr3t%zz")
                                            << QStringLiteral("invalid percent-encoded token");
        QTest::newRow("uri: unclosed IPv6 (the whole URI quoted)")
            << QStringLiteral("postgresql://u:s3cr3tPW@[::1/db") << QStringLiteral("s3cr3tPW") << QStringLiteral("IPv6");
        QTest::newRow("uri: empty IPv6") << QStringLiteral("postgresql://u:s3cr3tPW@[]/db") << QStringLiteral("s3cr3tPW")
                                         << QStringLiteral("may not be empty");
        QTest::newRow("uri: unexpected character") << QStringLiteral("postgresql://u:s3cr3tPW@[::1]x/db")
                                                   << QStringLiteral("s3cr3tPW") << QStringLiteral("unexpected character");
        QTest::newRow("uri: decodable password, bad host part")
            << QStringLiteral("postgresql://u:p%41ssw0rd@[::1]x/db") << QStringLiteral("pAssw0rd") << QStringLiteral("unexpected character");
        QTest::newRow("uri query: bad percent-encoding") << QStringLiteral("postgresql://host/db?password=s3cr3t%zzPW") << secret
                                                         << QStringLiteral("invalid percent-encoded token");
        QTest::newRow("uri query: %00") << QStringLiteral("postgresql://host/db?password=s3cr3t%00PW")
                                        << QStringLiteral("s3cr3t%00PW") << QStringLiteral("forbidden value");
        QTest::newRow("uri query: extra =") << QStringLiteral("postgresql://host/db?password=s3cr3t=PW")
                                            << QStringLiteral("s3cr3t=PW") << QStringLiteral("extra key/value separator");
        QTest::newRow("uri: unknown query parameter") << QStringLiteral("postgresql://u:s3cr3tPW@host/db?bogus=1")
                                                      << QStringLiteral("s3cr3tPW") << QStringLiteral("invalid URI query parameter");
        QTest::newRow("uri: short password") << QStringLiteral("postgresql://u:%zz@h/d") << QStringLiteral("%zz")
                                             << QStringLiteral("invalid percent-encoded token");
        QTest::newRow("keywords: unknown option") << QStringLiteral("host=x password=s3cr3tPW hots=y")
                                                  << QStringLiteral("s3cr3tPW") << QStringLiteral("invalid connection option");
        QTest::newRow("keywords: unterminated quote") << QStringLiteral("host=x password='s3cr3t PW")
                                                      << QStringLiteral("s3cr3t PW") << QStringLiteral("unterminated quoted string");
        QTest::newRow("keywords: missing =") << QStringLiteral("password=s3cr3tPW port") << QStringLiteral("s3cr3tPW")
                                             << QStringLiteral("missing \"=\"");
    }

    void malformedWithPassword()
    {
        QFETCH(QString, text);
        QFETCH(QString, secret);
        QFETCH(QString, message);
        QString error;
        QVERIFY(!ConnInfo::parse(text, &error));
        QVERIFY2(error.contains(message), qPrintable(error));
        QVERIFY2(!error.contains(secret), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("s3cr3t")) && !error.contains(QLatin1String("ssw0rd")), qPrintable(error));
    }

    // The password's place in the text, as libpq reads it, for masking the command line in place.
    void passwordSpans_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("masked");
        QTest::newRow("keywords") << QStringLiteral("host=x password=abc user=y") << QStringLiteral("host=x password=*** user=y");
        QTest::newRow("spaces around =") << QStringLiteral("password = abc") << QStringLiteral("password = ***");
        QTest::newRow("quoted, with escapes") << QStringLiteral(R"(password='a b\' c' host=x)")
                                              << QStringLiteral(R"(password='*******' host=x)");
        QTest::newRow("unterminated quote") << QStringLiteral("host=x password='a b") << QStringLiteral("host=x password='***");
        QTest::newRow("uri user info") << QStringLiteral("postgresql://u:pw@h/db") << QStringLiteral("postgresql://u:**@h/db");
        QTest::newRow("uri query") << QStringLiteral("postgres://h/db?sslmode=require&password=x%41y&port=1")
                                   << QStringLiteral("postgres://h/db?sslmode=require&password=*****&port=1");
        QTest::newRow("uri both") << QStringLiteral("postgresql://u:a@h?password=b") << QStringLiteral("postgresql://u:*@h?password=*");
        QTest::newRow("uri without password") << QStringLiteral("postgresql://u@h/db") << QStringLiteral("postgresql://u@h/db");
        QTest::newRow("'@' after '/' is no user info") << QStringLiteral("postgresql://h/db:x@y")
                                                       << QStringLiteral("postgresql://h/db:x@y");
        QTest::newRow("a word that only ends in password") << QStringLiteral("oldpassword=abc") << QStringLiteral("oldpassword=abc");
        QTest::newRow("no password") << QStringLiteral("host=x port=1") << QStringLiteral("host=x port=1");
    }

    void passwordSpans()
    {
        QFETCH(QString, text);
        QFETCH(QString, masked);
        QByteArray bytes = text.toUtf8();
        QVarLengthArray<char *, 2> argv{nullptr, bytes.data()};
        hidePasswordsInArguments(2, argv.data());
        QCOMPARE(QString::fromUtf8(bytes), masked);
    }

    // Refused by libpq before it connects (a usage error, exit 2), not a server that is down.
    void optionsErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("serviceFile");
        QTest::addColumn<bool>("options");
        QTest::addColumn<QString>("message");
        QTest::newRow("sslmode=bogus") << QStringLiteral("host=127.0.0.1 port=1 sslmode=bogus") << QByteArray() << true
                                       << QStringLiteral("invalid sslmode value");
        QTest::newRow("target_session_attrs") << QStringLiteral("host=127.0.0.1 port=1 target_session_attrs=x") << QByteArray()
                                              << true << QStringLiteral("target_session_attrs");
        QTest::newRow("missing service file") << QStringLiteral("service=nosuch") << QByteArray("/nonexistent/pg_service.conf")
                                              << true << QStringLiteral("not found");
        QTest::newRow("service not defined") << QStringLiteral("service=nosuch") << QByteArray("EMPTY") << true
                                             << QStringLiteral("definition of service");
        QTest::newRow("port not a number") << QStringLiteral("host=127.0.0.1 port=x1") << QByteArray() << true
                                           << QStringLiteral("invalid integer value");
        QTest::newRow("refused: not an options error") << QStringLiteral("host=127.0.0.1 port=1") << QByteArray() << false
                                                       << QStringLiteral("refused");
        // The password is masked in what libpq says, wherever it quotes it.
        QTest::newRow("password quoted back") << QStringLiteral("host=127.0.0.1 port=1 sslmode=s3cr3tPW password=s3cr3tPW")
                                              << QByteArray() << true << QStringLiteral("invalid sslmode value: \"***\"");
    }

    void optionsErrors()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, serviceFile);
        QFETCH(bool, options);
        QFETCH(QString, message);
        QTemporaryDir dir;
        if (serviceFile == "EMPTY") {
            serviceFile = dir.filePath(QStringLiteral("pg_service.conf")).toUtf8();
            QFile file(QString::fromUtf8(serviceFile));
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        const QByteArray previous = qgetenv("PGSERVICEFILE");
        if (!serviceFile.isEmpty())
            qputenv("PGSERVICEFILE", serviceFile);
        const auto restore = qScopeGuard([&] {
            if (previous.isEmpty())
                qunsetenv("PGSERVICEFILE");
            else
                qputenv("PGSERVICEFILE", previous);
        });
        QString error;
        const auto info = ConnInfo::parse(text, &error);
        QVERIFY2(info, qPrintable(error));
        PgConnection connection;
        const PgError failed = connection.open(*info, QByteArrayLiteral("poolscope-test"));
        QVERIFY(failed.isError());
        QVERIFY2(failed.message.contains(message), qPrintable(failed.message));
        QVERIFY2(!failed.message.contains(QLatin1String("s3cr3t")), qPrintable(failed.message));
        QCOMPARE(failed.kind == PgError::Kind::Options, options);
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
