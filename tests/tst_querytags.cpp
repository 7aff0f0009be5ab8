#include "analysis/querytags.h"
#include "analysis/tracecontext.h"

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

    // W3C Trace Context: only a well-formed traceparent gives a trace id.
    void traceparent_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("traceId"); // empty: refused
        QTest::addColumn<QString>("parentId");
        QTest::addColumn<int>("flags");
        const QString id = QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736");
        const QString parent = QStringLiteral("00f067aa0ba902b7");
        const auto row = [&](const char *name, const QString &value, bool valid, int flags = 1) {
            QTest::newRow(name) << value << (valid ? id : QString()) << (valid ? parent : QString()) << flags;
        };
        row("the specification's example", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), true);
        row("not sampled", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"), true, 0);
        row("upper case, lowered", QStringLiteral("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"), true);
        row("a later version", QStringLiteral("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), true);
        row("a later version, more fields",
            QStringLiteral("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-future"), true, 9);
        row("a later version, more without a dash",
            QStringLiteral("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01future"), false);
        row("version ff", QStringLiteral("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), false);
        row("version 00, junk after", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"), false);
        row("version 00, a space after", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 "), false);
        row("a space before", QStringLiteral(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), false);
        row("trace id short", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"), false);
        row("trace id long", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e47360-00f067aa0ba902b7-01"), false);
        row("parent id short", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01"), false);
        row("flags long", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011"), false);
        row("all-zero trace id", QStringLiteral("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), false);
        row("all-zero parent id", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"), false);
        row("not hex", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"), false);
        row("path in the trace id", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0/../-00f067aa0ba902b7-01"), false);
        row("query in the trace id", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0?x=1-00f067aa0ba902b7-01"), false);
        row("traversal after", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01/../../admin"), false);
        row("query after", QStringLiteral("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01?x=https://evil"), false);
        row("fullwidth digits", QString::fromUtf8("00-４bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), false);
        row("dashes moved", QStringLiteral("004-bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), false);
        row("empty", QString(), false);
    }

    void traceparent()
    {
        QFETCH(QString, value);
        QFETCH(QString, traceId);
        QFETCH(QString, parentId);
        QFETCH(int, flags);
        const std::optional<TraceParent> parsed = parseTraceparent(value);
        QCOMPARE(parsed.has_value(), !traceId.isEmpty());
        if (!parsed)
            return;
        QCOMPARE(parsed->traceId, traceId);
        QCOMPARE(parsed->parentId, parentId);
        QCOMPARE(parsed->flags, flags);
    }

    void traceIdOfTags_data()
    {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<QString>("traceId");
        QTest::newRow("sqlcommenter traceparent")
            << QStringLiteral("SELECT 1 /*traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/")
            << QStringLiteral("5bd66ef5095369c7b0d1f8f4bd33716a");
        QTest::newRow("url-encoded traceparent")
            << QStringLiteral("SELECT 1 /*traceparent='00%2D5bd66ef5095369c7b0d1f8f4bd33716a%2Dc532cb4098ac3dd2%2D01'*/")
            << QStringLiteral("5bd66ef5095369c7b0d1f8f4bd33716a");
        QTest::newRow("trace_id tag, upper case")
            << QStringLiteral("SELECT 1 /*trace_id='5BD66EF5095369C7B0D1F8F4BD33716A',route='x'*/")
            << QStringLiteral("5bd66ef5095369c7b0d1f8f4bd33716a");
        QTest::newRow("marginalia traceid") << QStringLiteral("SELECT 1 /*traceid:5bd66ef5095369c7b0d1f8f4bd33716a,app:x*/")
                                            << QStringLiteral("5bd66ef5095369c7b0d1f8f4bd33716a");
        QTest::newRow("traceparent before trace_id")
            << QStringLiteral("SELECT 1 /*trace_id='11111111111111111111111111111111',"
                              "traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/")
            << QStringLiteral("5bd66ef5095369c7b0d1f8f4bd33716a");
        QTest::newRow("a bad traceparent, a good trace_id")
            << QStringLiteral("SELECT 1 /*traceparent='00-zz-c532cb4098ac3dd2-01',trace_id='5bd66ef5095369c7b0d1f8f4bd33716a'*/")
            << QStringLiteral("5bd66ef5095369c7b0d1f8f4bd33716a");
        QTest::newRow("Datadog's decimal trace id") << QStringLiteral("SELECT 1 /*dd.trace_id='1234567890123456789',trace_id='1234'*/")
                                                    << QString();
        QTest::newRow("trace_id of 32 characters, not hex")
            << QStringLiteral("SELECT 1 /*trace_id='5bd66ef5095369c7b0d1f8f4bd33716/'*/") << QString();
        QTest::newRow("trace_id with a path") << QStringLiteral("SELECT 1 /*trace_id='5bd66ef5095369c7b0d1f8f4bd33716a/../x'*/")
                                              << QString();
        QTest::newRow("injection through an encoded traceparent")
            << QStringLiteral("SELECT 1 /*traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01%3Fx%3D1'*/")
            << QString();
        QTest::newRow("none") << QStringLiteral("SELECT 1 /*route='x'*/") << QString();
    }

    void traceIdOfTags()
    {
        QFETCH(QString, sql);
        QFETCH(QString, traceId);
        QCOMPARE(traceIdFromTags(parseQueryTags(sql).tags), traceId);
    }

    // The link is the template with the trace id in place; nothing but a trace id goes in.
    void traceUrls_data()
    {
        QTest::addColumn<QString>("urlTemplate");
        QTest::addColumn<QString>("traceId");
        QTest::addColumn<QString>("url");     // empty: no link
        QTest::addColumn<QString>("problem"); // of the template, in part; empty: none
        const QString id = QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736");
        QTest::newRow("jaeger") << QStringLiteral("http://localhost:16686/trace/{trace_id}") << id
                                << QStringLiteral("http://localhost:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736") << QString();
        QTest::newRow("zipkin") << QStringLiteral("https://zipkin.example.com/zipkin/traces/{trace_id}") << id
                                << QStringLiteral("https://zipkin.example.com/zipkin/traces/4bf92f3577b34da6a3ce929d0e0e4736")
                                << QString();
        QTest::newRow("in the query, twice") << QStringLiteral("https://t.example/search?q={trace_id}&open={trace_id}") << id
                                             << QStringLiteral("https://t.example/search?q=%1&open=%1").arg(id) << QString();
        QTest::newRow("an upper-case id is lowered") << QStringLiteral("http://j/trace/{trace_id}")
                                                    << QStringLiteral("4BF92F3577B34DA6A3CE929D0E0E4736")
                                                    << QStringLiteral("http://j/trace/%1").arg(id) << QString();
        QTest::newRow("no trace id") << QStringLiteral("http://j/trace/{trace_id}") << QString() << QString() << QString();
        QTest::newRow("not a trace id") << QStringLiteral("http://j/trace/{trace_id}")
                                        << QStringLiteral("../../admin?x=4bf92f3577b34da6a3") << QString() << QString();
        QTest::newRow("all zeros") << QStringLiteral("http://j/trace/{trace_id}") << QString(32, u'0') << QString() << QString();
        QTest::newRow("no template") << QString() << id << QString() << QString();
        QTest::newRow("no placeholder") << QStringLiteral("http://j/trace/") << id << QString()
                                        << QStringLiteral("has no {trace_id}");
        QTest::newRow("not http") << QStringLiteral("file:///tmp/{trace_id}") << id << QString()
                                  << QStringLiteral("not an http:// or https:// address");
        QTest::newRow("javascript") << QStringLiteral("javascript:alert('{trace_id}')") << id << QString()
                                    << QStringLiteral("not an http:// or https:// address");
        QTest::newRow("no host") << QStringLiteral("http:///trace/{trace_id}") << id << QString()
                                 << QStringLiteral("not an http:// or https:// address");
        QTest::newRow("placeholder misspelt") << QStringLiteral("http://j/trace/{traceid}") << id << QString()
                                              << QStringLiteral("has no {trace_id}");
    }

    void traceUrls()
    {
        QFETCH(QString, urlTemplate);
        QFETCH(QString, traceId);
        QFETCH(QString, url);
        QFETCH(QString, problem);
        const QUrl built = traceUrl(urlTemplate, traceId);
        QCOMPARE(built.isValid(), !url.isEmpty());
        if (!url.isEmpty())
            QCOMPARE(built.toString(QUrl::FullyEncoded), url);
        const QString found = traceUrlTemplateProblem(urlTemplate);
        QVERIFY2(problem.isEmpty() ? found.isEmpty() : found.contains(problem), qPrintable(found));
    }

    // Every preset makes a link, and the link has the id where the placeholder was.
    void presetsMakeLinks()
    {
        const QString id = QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736");
        const QList<TraceUrlPreset> presets = traceUrlPresets();
        QCOMPARE(presets.size(), 4);
        for (const TraceUrlPreset &preset : presets) {
            QVERIFY2(traceUrlTemplateProblem(preset.urlTemplate).isEmpty(), qPrintable(preset.name));
            const QUrl url = traceUrl(preset.urlTemplate, id);
            QVERIFY2(url.isValid(), qPrintable(preset.name));
            QVERIFY2(url.toString(QUrl::FullyEncoded).contains(id), qPrintable(url.toString()));
            QVERIFY(!url.toString().contains(kTraceIdPlaceholder));
        }
        QCOMPARE(traceUrl(presets.first().urlTemplate, id).toString(), QStringLiteral("http://localhost:16686/trace/") + id);
    }
};

QTEST_GUILESS_MAIN(TestQueryTags)
#include "tst_querytags.moc"
