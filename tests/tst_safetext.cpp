// The text every face shows of what database users chose: control, C1 and bidi characters
// visible and inert, Markdown and CSV that content cannot restructure, JSON exact.
#include "output/jsonwriter.h"
#include "output/safetext.h"
#include "output/snapshotjson.h"
#include "safetextchecks.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace poolscope;

namespace {

QString u16(std::initializer_list<char16_t> units)
{
    return QString(reinterpret_cast<const QChar *>(units.begin()), qsizetype(units.size()));
}

bool hasUnsafe(const QString &text, bool keepBreaks) { return checks::firstRawControl(text, keepBreaks) >= 0; }

QString everyC0AndDel()
{
    QString text(0x21, Qt::Uninitialized);
    for (char16_t c = 0; c < 0x20; ++c)
        text[c] = QChar(c);
    text[0x20] = QChar(0x7F);
    return text;
}

// Hostile samples shared by the property tests.
QList<QPair<const char *, QString>> samples()
{
    return {
        {"clear screen and retitle", QStringLiteral("SELECT '\x1b[2J\x1b]0;PWNED\x07' /*controller='\x1b[31mred'*/")},
        {"OSC 8 hyperlink", QStringLiteral("\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\")},
        {"8-bit CSI", u16({0x9B, u'2', u'J', 0x9D, u'0', u';', u'x', 0x9C})},
        {"bidi override", u16({u'a', 0x202E, u'c', u'b', 0x202C, 0x2066, u'd', 0x2069, 0x200F, 0x061C})},
        {"line separators", u16({u'a', 0x2028, u'b', 0x2029, u'c'})},
        {"every C0 and DEL", everyC0AndDel()},
        {"lone surrogates", u16({0xD800, u'x', 0xDC00, 0xDBFF})},
        {"emoji and accents", QString::fromUtf8("Zürich \xF0\x9F\x98\x80 日本 \xE2\x80\x8B")},
        {"typed escapes", QStringLiteral("C:\\x1b\\u202e not a control")},
        {"long, control after the fast path", QString(37, u'a') + QChar(0x1B) + QString(9, u'b') + QChar(0x9B)},
    };
}

} // namespace

class TestSafeText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // JSON and CSV times are formatted by hand (QDateTime's toString() was a third of watch
    // --json's time): the same text as QDateTime, leap days and year ends included.
    void isoTimeIsQDateTimes_data()
    {
        QTest::addColumn<qint64>("ms");
        QTest::newRow("the first millisecond") << qint64(1);
        QTest::newRow("2000-02-29, a leap day of a century") << QDateTime(QDate(2000, 2, 29), QTime(23, 59, 59, 999), Qt::UTC).toMSecsSinceEpoch();
        QTest::newRow("2100-03-01, after a century's non-leap February") << QDateTime(QDate(2100, 3, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
        QTest::newRow("2026-12-31 23:59:59.5") << QDateTime(QDate(2026, 12, 31), QTime(23, 59, 59, 500), Qt::UTC).toMSecsSinceEpoch();
        QTest::newRow("9999-12-31, the last one formatted by hand") << QDateTime(QDate(9999, 12, 31), QTime(23, 59, 59, 999), Qt::UTC).toMSecsSinceEpoch();
        QTest::newRow("10000-01-01, left to QDateTime") << QDateTime(QDate(10000, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
        quint64 state = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 200; ++i) { // spread over 1970 to 2400
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            QTest::addRow("random %d", i) << qint64(state % 13'569'465'600'000ULL) + 1;
        }
    }

    void isoTimeIsQDateTimes()
    {
        QFETCH(qint64, ms);
        QCOMPARE(isoTime(ms), QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs));
    }

    void safeLine_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << QStringLiteral("SELECT 1") << QStringLiteral("SELECT 1");
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("CSI clear") << QStringLiteral("\x1b[2J") << QStringLiteral("\\x1b[2J");
        QTest::newRow("OSC title") << QStringLiteral("\x1b]0;PWNED\x07") << QStringLiteral("\\x1b]0;PWNED\\x07");
        QTest::newRow("OSC 8") << QStringLiteral("\x1b]8;;http://e/\x1b\\x") << QStringLiteral("\\x1b]8;;http://e/\\x1b\\x");
        QTest::newRow("8-bit CSI") << u16({0x9B, u'2', u'J'}) << QStringLiteral("\\x9b2J");
        QTest::newRow("NEL") << u16({u'a', 0x85, u'b'}) << QStringLiteral("a\\x85b");
        QTest::newRow("C1 bounds") << u16({0x7F, 0x80, 0x9F, 0xA0}) << QStringLiteral("\\x7f\\x80\\x9f") + QChar(0xA0);
        QTest::newRow("NUL") << u16({u'a', 0, u'b'}) << QStringLiteral("a\\x00b");
        QTest::newRow("tab, newline, CR") << QStringLiteral("a\tb\nc\rd") << QStringLiteral("a\\x09b\\x0ac\\x0dd");
        QTest::newRow("RLO") << u16({0x202E, u'c', u'b', u'a'}) << QStringLiteral("\\u202ecba");
        QTest::newRow("embeddings") << u16({0x202A, 0x202B, 0x202C, 0x202D}) << QStringLiteral("\\u202a\\u202b\\u202c\\u202d");
        QTest::newRow("isolates") << u16({0x2066, 0x2067, 0x2068, 0x2069}) << QStringLiteral("\\u2066\\u2067\\u2068\\u2069");
        QTest::newRow("marks") << u16({0x200E, 0x200F, 0x061C}) << QStringLiteral("\\u200e\\u200f\\u061c");
        QTest::newRow("line separators") << u16({0x2028, 0x2029}) << QStringLiteral("\\u2028\\u2029");
        QTest::newRow("neighbours kept") << u16({0x200D, 0x2030, 0x2065, 0x206A, 0x061B})
                                         << u16({0x200D, 0x2030, 0x2065, 0x206A, 0x061B});
        QTest::newRow("lone high") << u16({u'a', 0xD800}) << QStringLiteral("a\\ud800");
        QTest::newRow("lone low") << u16({0xDC00, u'a'}) << QStringLiteral("\\udc00a");
        QTest::newRow("pair kept") << u16({0xD83D, 0xDE00}) << u16({0xD83D, 0xDE00});
        QTest::newRow("pair reversed") << u16({0xDE00, 0xD83D}) << QStringLiteral("\\ude00\\ud83d");
        QTest::newRow("replacement char kept") << u16({0xFFFD}) << u16({0xFFFD});
        QTest::newRow("backslash kept") << QStringLiteral("a\\x1b") << QStringLiteral("a\\x1b");
        // Positions 7, 8 and 16 straddle the eight-character steps of the fast path.
        QTest::newRow("across fast-path steps") << QStringLiteral("abcdefg\x1b\x1b" "bcdefgh\x7f")
                                                << QStringLiteral("abcdefg\\x1b\\x1bbcdefgh\\x7f");
        QTest::newRow("accent beside ESC") << QStringLiteral("abcdefgh") + u16({0xE9, 0x1B, 0xE9}) + QStringLiteral("ijklmnop")
                                           << QStringLiteral("abcdefgh") + u16({0xE9}) + QStringLiteral("\\x1b") + u16({0xE9})
                                                  + QStringLiteral("ijklmnop");
        QTest::newRow("surrogate pair across a step") << QStringLiteral("abcdefg") + u16({0xD83D, 0xDE00}) + QStringLiteral("abcdefg")
                                                      << QStringLiteral("abcdefg") + u16({0xD83D, 0xDE00}) + QStringLiteral("abcdefg");
    }

    void safeLine()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(poolscope::safeLine(input), expected);
        QCOMPARE(needsEscaping(input), input != expected);
    }

    void safeText_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("lines and tabs kept") << QStringLiteral("ERROR: x\n\tDETAIL: y") << QStringLiteral("ERROR: x\n\tDETAIL: y");
        QTest::newRow("CR escaped") << QStringLiteral("shown\rhidden") << QStringLiteral("shown\\x0dhidden");
        QTest::newRow("ESC escaped") << QStringLiteral("a\n\x1b[1Ab") << QStringLiteral("a\n\\x1b[1Ab");
        QTest::newRow("vertical tab, form feed") << QStringLiteral("\x0b\x0c") << QStringLiteral("\\x0b\\x0c");
        QTest::newRow("bidi") << u16({u'x', u'\n', 0x202E}) << QStringLiteral("x\n\\u202e");
    }

    void safeText()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(poolscope::safeText(input), expected);
    }

    void properties_data()
    {
        QTest::addColumn<QString>("input");
        for (const auto &[name, text] : samples())
            QTest::newRow(name) << text;
    }

    // What the fuzz target checks too, on the named samples.
    void properties()
    {
        QFETCH(QString, input);
        const QString line = poolscope::safeLine(input);
        const QString text = poolscope::safeText(input);
        QVERIFY(!hasUnsafe(line, false));
        QVERIFY(!hasUnsafe(text, true));
        QCOMPARE(poolscope::safeLine(line), line); // escaping twice changes nothing
        QCOMPARE(poolscope::safeText(text), text);
        QCOMPARE(poolscope::safeText(line), line);
        QCOMPARE(poolscope::safeLine(text), line); // the line form of the text form is the line form
        QVERIFY(!needsEscaping(line));
        QCOMPARE(needsEscaping(input), line != input);
    }

    void cleanTextIsNotCopied()
    {
        const QString clean = QStringLiteral("SELECT id, name FROM shop_orders WHERE id = $1 /* route='/checkout' */");
        QCOMPARE(poolscope::safeLine(clean).constData(), clean.constData());
        QCOMPARE(poolscope::safeText(clean).constData(), clean.constData());
    }

    // PoolScope reads libpq's bytes with QString::fromUtf8: an invalid sequence must become
    // U+FFFD, never a control character (an overlong ESC or NUL, a surrogate, a C1 by accident).
    void invalidUtf8_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("stray continuation") << QByteArray("a\x80" "b");
        QTest::newRow("lone lead byte") << QByteArray("a\xC3");
        QTest::newRow("0xFF 0xFE") << QByteArray("\xFF\xFE" "x");
        QTest::newRow("overlong ESC") << QByteArray("\xC0\x9B[2J");
        QTest::newRow("overlong NUL") << QByteArray("a\xC0\x80" "b");
        QTest::newRow("overlong CSI 3-byte") << QByteArray("\xE0\x82\x9B" "2J");
        QTest::newRow("encoded surrogate") << QByteArray("\xED\xA0\x80");
        QTest::newRow("beyond U+10FFFF") << QByteArray("\xF4\x90\x80\x80");
        QTest::newRow("5-byte form") << QByteArray("\xF8\x88\x80\x80\x80");
    }

    void invalidUtf8()
    {
        QFETCH(QByteArray, bytes);
        const QString text = QString::fromUtf8(bytes);
        QVERIFY2(text.contains(QChar(0xFFFD)), qPrintable(QString::number(text.size())));
        QVERIFY(!hasUnsafe(text, false));
        QCOMPARE(poolscope::safeLine(text), text);
    }

    void terminalSafeJson_data()
    {
        QTest::addColumn<QString>("value");
        for (const auto &[name, text] : samples()) {
            if (!QLatin1String(name).startsWith(QLatin1String("lone"))) // JSON cannot carry an unpaired surrogate exactly
                QTest::newRow(name) << text;
        }
    }

    void terminalSafeJson()
    {
        QFETCH(QString, value);
        const QJsonObject object{{QStringLiteral("query"), value}, {value, 1}};
        for (const auto format : {QJsonDocument::Compact, QJsonDocument::Indented}) {
            const QByteArray json = QJsonDocument(object).toJson(format);
            const QByteArray safe = poolscope::terminalSafeJson(json);
            QJsonParseError error;
            const QJsonDocument back = QJsonDocument::fromJson(safe, &error);
            QCOMPARE(error.error, QJsonParseError::NoError);
            QCOMPARE(back.object(), object); // exactly the same values
            const QString decoded = QString::fromUtf8(safe);
            QVERIFY(!hasUnsafe(decoded, true));
            QCOMPARE(poolscope::terminalSafeJson(safe), safe);
        }
    }

    // PoolScope's own writer (watch --json, snapshot --json): every hostile sample, and runs of
    // ASCII, other text and escapes side by side (ASCII runs are copied without converting),
    // read back exactly by a JSON reader and harmless in a terminal, as key and as value.
    void jsonWriterStrings_data()
    {
        QTest::addColumn<QString>("value");
        for (const auto &[name, text] : samples()) {
            if (!QLatin1String(name).startsWith(QLatin1String("lone")))
                QTest::newRow(name) << text;
        }
        QTest::newRow("empty") << QString();
        QTest::newRow("ASCII, then an escape, then more") << QStringLiteral("SELECT \"a\" FROM t WHERE x = '\\'");
        QTest::newRow("accent between ASCII runs") << QString::fromUtf8("ab\xC3\xA9" "cd\tef\xE2\x80\xA6");
        QTest::newRow("non-ASCII only") << QString::fromUtf8("\xE6\x97\xA5\xE6\x9C\xAC");
        QTest::newRow("a long ASCII query") << QString(5000, u'q') + QStringLiteral("/*stack='a%3Ab'*/");
    }

    void jsonWriterStrings()
    {
        QFETCH(QString, value);
        for (const bool indented : {false, true}) {
            QByteArray json;
            poolscope::JsonWriter writer(&json, indented);
            writer.beginObject();
            writer.field("query", value);
            writer.key(QStringView(value));
            writer.value(1);
            writer.endObject();
            QJsonParseError error;
            const QJsonDocument back = QJsonDocument::fromJson(json, &error);
            QCOMPARE(error.error, QJsonParseError::NoError);
            QCOMPARE(back.object().value(QStringLiteral("query")).toString(), value);
            QCOMPARE(back.object().value(value).toInt(), 1);
            QVERIFY(!hasUnsafe(QString::fromUtf8(json), true));
        }
    }

    // An unpaired surrogate (a recorded file, a broken client) cannot be written exactly in
    // UTF-8: it is written as QString::toUtf8 writes it, '?', and the pairs around it stay.
    void jsonWriterUnpairedSurrogates()
    {
        const QString text = u16({0xD800, u'x', 0xDC00, 0xD83D, 0xDE00, 0xDBFF});
        QByteArray json;
        poolscope::JsonWriter writer(&json);
        writer.value(text);
        QCOMPARE(json, QByteArray("\"?x?\xF0\x9F\x98\x80?\""));
        QCOMPARE(json.mid(1, json.size() - 2), text.toUtf8());
    }

    void terminalSafeJsonLeavesCleanDocuments()
    {
        const QByteArray json = QJsonDocument(QJsonObject{{QStringLiteral("owner"), QStringLiteral("Zürich → 日本")}}).toJson();
        QCOMPARE(poolscope::terminalSafeJson(json), json);
        QCOMPARE(poolscope::terminalSafeJson(json).constData(), json.constData());
        QCOMPARE(poolscope::terminalSafeJson(QByteArray("\"\xC2\x9B\"")), QByteArray("\"\\u009b\""));
        QCOMPARE(poolscope::terminalSafeJson(QByteArray("\"\xE2\x80\xAE\x7F\"")), QByteArray("\"\\u202e\\u007f\""));
        QCOMPARE(poolscope::terminalSafeJson(QByteArray("\"\xE2\x80\xA6\"")), QByteArray("\"\xE2\x80\xA6\"")); // …
    }

    void markdownInline_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << QStringLiteral("billing") << QStringLiteral("billing");
        QTest::newRow("pipe") << QStringLiteral("a|b") << QStringLiteral("a\\|b");
        QTest::newRow("backslash before a pipe") << QStringLiteral("a\\|b") << QStringLiteral("a\\\\\\|b");
        QTest::newRow("newlines folded") << QStringLiteral("a\nb\r\nc\td") << QStringLiteral("a b  c d");
        QTest::newRow("HTML") << QStringLiteral("<img src=x onerror=alert(1)>") << QStringLiteral("\\<img src=x onerror=alert(1)\\>");
        QTest::newRow("link") << QStringLiteral("[click](https://evil/)") << QStringLiteral("\\[click\\](https://evil/)");
        QTest::newRow("entity") << QStringLiteral("&#x202e;") << QStringLiteral("\\&#x202e;");
        QTest::newRow("emphasis and code") << QStringLiteral("**x** _y_ `z` ~~w~~")
                                           << QStringLiteral("\\*\\*x\\*\\* \\_y\\_ \\`z\\` \\~\\~w\\~\\~");
        QTest::newRow("ESC shown, backslash escaped") << QStringLiteral("\x1b[31m") << QStringLiteral("\\\\x1b\\[31m");
        QTest::newRow("formula text stays") << QStringLiteral("=cmd|' /C calc'!A0") << QStringLiteral("=cmd\\|' /C calc'!A0");
    }

    void markdownInline()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        const QString cell = poolscope::markdownInline(input);
        QCOMPARE(cell, expected);
        QCOMPARE(checks::unescapedPipes(cell), 0); // no content can end the cell
        QVERIFY(!cell.contains(u'\n'));
    }

    void markdownCode_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << QStringLiteral("db1") << QStringLiteral("`db1`");
        QTest::newRow("backtick inside") << QStringLiteral("a`b") << QStringLiteral("``a`b``");
        QTest::newRow("backtick at the edge") << QStringLiteral("`x") << QStringLiteral("`` `x ``");
        QTest::newRow("ESC") << QStringLiteral("a\x1b") << QStringLiteral("`a\\x1b`");
    }

    void markdownCode()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(poolscope::markdownCode(input), expected);
    }

    void markdownCodeBlock()
    {
        QCOMPARE(poolscope::markdownCodeBlock({QStringLiteral("a"), QStringLiteral("b")}), QStringLiteral("```\na\nb\n```\n"));
        // A frame holding a fence cannot close the block early.
        QCOMPARE(poolscope::markdownCodeBlock({QStringLiteral("```"), QStringLiteral("x````y\x1b")}),
                 QStringLiteral("`````\n```\nx````y\\x1b\n`````\n"));
    }

    void csvText_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << QStringLiteral("billing") << QStringLiteral("billing");
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("DDE") << QStringLiteral("=cmd|' /C calc'!A0") << QStringLiteral("'=cmd|' /C calc'!A0");
        QTest::newRow("plus") << QStringLiteral("+1+1") << QStringLiteral("'+1+1");
        QTest::newRow("minus") << QStringLiteral("-2+3") << QStringLiteral("'-2+3");
        QTest::newRow("at") << QStringLiteral("@SUM(A1)") << QStringLiteral("'@SUM(A1)");
        QTest::newRow("tab") << QStringLiteral("\t=1") << QStringLiteral("'\t=1");
        QTest::newRow("CR escaped first") << QStringLiteral("\r=1") << QStringLiteral("\\x0d=1");
        QTest::newRow("inside is fine") << QStringLiteral("a=b+c") << QStringLiteral("a=b+c");
        QTest::newRow("newlines kept") << QStringLiteral("f1\nf2") << QStringLiteral("f1\nf2");
        QTest::newRow("ESC") << QStringLiteral("\x1b[2J") << QStringLiteral("\\x1b[2J");
    }

    void csvText()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(poolscope::csvText(input), expected);
    }
};

QTEST_GUILESS_MAIN(TestSafeText)
#include "tst_safetext.moc"
