#include "analysis/querytags.h"

#include <QFile>
#include <QTest>

using namespace poolscope;

Q_DECLARE_METATYPE(poolscope::Tags)

namespace {

Tags tags(std::initializer_list<std::pair<const char *, const char *>> pairs)
{
    Tags result;
    for (const auto &[key, value] : pairs)
        result.append({QString::fromUtf8(key), QString::fromUtf8(value)});
    return result;
}

QString fixture(const char *name)
{
    QFile file(QStringLiteral(POOLSCOPE_FIXTURES "/") + QString::fromLatin1(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return QString::fromUtf8(file.readAll());
}

} // namespace

class TestQueryTags : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<Tags>("expected");
        QTest::addColumn<bool>("truncated");

        // From the sqlcommenter specification's examples.
        QTest::newRow("sqlcommenter spec")
            << QStringLiteral("SELECT * FROM FOO /*action='%2Fparam*d',controller='index',framework='spring',"
                              "traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01',"
                              "tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/")
            << tags({{"action", "/param*d"},
                     {"controller", "index"},
                     {"framework", "spring"},
                     {"traceparent", "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01"},
                     {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}})
            << false;
        QTest::newRow("sqlcommenter escaped quote")
            << QStringLiteral("SELECT 1 /*route='it\\'s%20here',db_driver='psycopg2'*/")
            << tags({{"route", "it's here"}, {"db_driver", "psycopg2"}}) << false;
        QTest::newRow("doubled percent") << QStringLiteral("SELECT 1 /*route='%%2Fusers%%2F%%3Cid%%3E'*/")
                                         << tags({{"route", "/users/<id>"}}) << false;
        QTest::newRow("plus for space") << QStringLiteral("SELECT 1 /*action='show+all',application='shop'*/")
                                        << tags({{"action", "show all"}, {"application", "shop"}}) << false;
        QTest::newRow("marginalia")
            << QStringLiteral("SELECT `users`.* FROM users /*application:Shop,controller:users,action:index,"
                              "line:/app/controllers/users_controller.rb:10:in `index'*/")
            << tags({{"application", "Shop"},
                     {"controller", "users"},
                     {"action", "index"},
                     {"line", "/app/controllers/users_controller.rb:10:in `index'"}})
            << false;
        QTest::newRow("leading sqlcommenter")
            << QStringLiteral("/*application='orders',route='%2Fpay'*/ UPDATE orders SET paid = true")
            << tags({{"application", "orders"}, {"route", "/pay"}}) << false;
        QTest::newRow("hibernate prose comment is not tags")
            << QStringLiteral("/* load com.shop.Order */ select o1_0.id from orders o1_0 where o1_0.id=?") << Tags()
            << false;
        QTest::newRow("hibernate prose and trailing tags")
            << QStringLiteral("/* insert com.shop.Order */ insert into orders values (1) /*framework='hibernate'*/")
            << tags({{"framework", "hibernate"}}) << false;
        QTest::newRow("comment marker inside string")
            << QStringLiteral("SELECT '/* route=''x'' */' AS s /*route='real'*/") << tags({{"route", "real"}}) << false;
        QTest::newRow("comment marker inside E string")
            << QStringLiteral("SELECT E'it\\'s /*route=''x''*/' /*route='real'*/") << tags({{"route", "real"}})
            << false;
        QTest::newRow("comment marker inside identifier")
            << QStringLiteral("SELECT 1 AS \"/*route='x'*/\" /*route='real'*/") << tags({{"route", "real"}}) << false;
        QTest::newRow("comment marker inside dollar quote")
            << QStringLiteral("DO $body$ BEGIN PERFORM '/*route=''x''*/'; END $body$ /*route='real'*/")
            << tags({{"route", "real"}}) << false;
        QTest::newRow("empty dollar tag")
            << QStringLiteral("SELECT $$ /*route='x'*/ $$ /*route='real'*/") << tags({{"route", "real"}}) << false;
        QTest::newRow("positional parameter is no dollar quote")
            << QStringLiteral("SELECT $1, $2 /*route='real'*/") << tags({{"route", "real"}}) << false;
        QTest::newRow("line comment hides a block")
            << QStringLiteral("SELECT 1 -- /*route='x'*/\n/*route='real'*/") << tags({{"route", "real"}}) << false;
        QTest::newRow("nested comment")
            << QStringLiteral("SELECT 1 /*route='outer', /* inner */ action='a'*/")
            << tags({{"route", "outer"}, {"action", "a"}}) << false;
        QTest::newRow("unclosed comment: truncated, last segment dropped")
            << QStringLiteral("SELECT 1 /*route='%2Fpay',action='char") << tags({{"route", "/pay"}}) << true;
        QTest::newRow("unclosed string: truncated")
            << QStringLiteral("/*route='a'*/ SELECT 'never ends") << tags({{"route", "a"}}) << true;
        QTest::newRow("unclosed dollar quote: truncated")
            << QStringLiteral("/*route='a'*/ SELECT $f$ body") << tags({{"route", "a"}}) << true;
        QTest::newRow("no comment") << QStringLiteral("SELECT * FROM t WHERE a = 'b'") << Tags() << false;
        QTest::newRow("division and minus are not comments")
            << QStringLiteral("SELECT 4/2 - 1 /*route='r'*/") << tags({{"route", "r"}}) << false;
        QTest::newRow("replacement characters from invalid UTF-8")
            << QString::fromUtf8("SELECT '\xff\xfe' /*route='caf%C3%A9'*/") << tags({{"route", QString::fromUtf8("café").toUtf8().constData()}})
            << false;
        QTest::newRow("empty") << QString() << Tags() << false;
    }

    void parse()
    {
        QFETCH(QString, sql);
        QFETCH(Tags, expected);
        QFETCH(bool, truncated);
        const QueryTags parsed = parseQueryTags(sql);
        QCOMPARE(parsed.tags, expected);
        QCOMPARE(parsed.truncated, truncated);
    }

    void stack_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QStringList>("frames");
        QTest::addColumn<QString>("location");

        QTest::newRow("pipe-separated stack")
            << QStringLiteral("SELECT 1 /*stack='shop%3A%3Apay%28%29%20pay.cpp%3A42|shop%3A%3Aserve%28%29'*/")
            << QStringList{QStringLiteral("shop::pay() pay.cpp:42"), QStringLiteral("shop::serve()")}
            << QStringLiteral("shop::pay() pay.cpp:42");
        QTest::newRow("newline-separated stack")
            << QStringLiteral("SELECT 1 /*stacktrace='a.py%3A1%0Ab.py%3A2%0A'*/")
            << QStringList{QStringLiteral("a.py:1"), QStringLiteral("b.py:2")} << QStringLiteral("a.py:1");
        QTest::newRow("file and line") << QStringLiteral("SELECT 1 /*file='orders.go',line='77'*/")
                                       << QStringList{QStringLiteral("orders.go:77")} << QStringLiteral("orders.go:77");
        QTest::newRow("source_location")
            << QStringLiteral("SELECT 1 /*source_location='billing.cpp%3A12'*/")
            << QStringList{QStringLiteral("billing.cpp:12")} << QStringLiteral("billing.cpp:12");
        QTest::newRow("marginalia line")
            << QStringLiteral("SELECT 1 /*controller:users,line:app/models/user.rb:12:in `find'*/")
            << QStringList{QStringLiteral("app/models/user.rb:12:in `find'")}
            << QStringLiteral("app/models/user.rb:12:in `find'");
        QTest::newRow("route only") << QStringLiteral("SELECT 1 /*route='%2Fcheckout'*/") << QStringList()
                                    << QStringLiteral("/checkout");
        QTest::newRow("controller and action") << QStringLiteral("SELECT 1 /*controller:orders,action:create*/")
                                               << QStringList() << QStringLiteral("orders#create");
    }

    void stack()
    {
        QFETCH(QString, sql);
        QFETCH(QStringList, frames);
        QFETCH(QString, location);
        const QueryTags parsed = parseQueryTags(sql);
        QCOMPARE(parsed.stack, frames);
        QCOMPARE(codeLocation(parsed), location);
    }

    // pg_stat_activity cuts the text at track_activity_query_size (1,024 bytes by default).
    void truncatedAt1024()
    {
        const QString full = fixture("tagged-query-long.sql").trimmed();
        QVERIFY(full.toUtf8().size() > 1024);
        const QueryTags whole = parseQueryTags(full);
        QVERIFY(!whole.truncated);
        QCOMPARE(whole.value(u"route"), QStringLiteral("/orders/{id}/pay"));
        QCOMPARE(whole.stack.size(), 3);

        const QString cut = QString::fromUtf8(full.toUtf8().left(1023));
        const QueryTags partial = parseQueryTags(cut);
        QVERIFY(partial.truncated);
        // The tags that survived whole are read; the one cut in half is not.
        QCOMPARE(partial.value(u"application"), QStringLiteral("orders"));
        QVERIFY(partial.value(u"stack").isEmpty());
    }

    void megabyteQuery()
    {
        QString sql = QStringLiteral("INSERT INTO blobs VALUES ('");
        sql += QString(1024 * 1024, u'x');
        sql += QStringLiteral("/* not a comment */') /*route='%2Fupload'*/");
        const QueryTags parsed = parseQueryTags(sql);
        QCOMPARE(parsed.tags, tags({{"route", "/upload"}}));
        QVERIFY(!parsed.truncated);
    }
};

QTEST_GUILESS_MAIN(TestQueryTags)
#include "tst_querytags.moc"
