// libFuzzer target: the text every face shows of what database users chose (safetext.h). Each
// input is read as UTF-8 (what libpq gives) and as raw UTF-16 (unpaired surrogates included),
// and the promises are checked, not only that nothing crashes:
//  - no output holds a C0 (safeText: but newline and tab), DEL, C1, bidi or line-separator
//    character, or an unpaired surrogate;
//  - escaping is idempotent: safeLine(safeLine(x)) == safeLine(x), likewise safeText, and
//    safeLine(safeText(x)) == safeLine(x); clean text comes back unchanged;
//  - a Markdown cell has no line break and no unescaped '|'; a code block's fence occurs in
//    none of its lines; a CSV text cell never starts a formula;
//  - terminalSafeJson() gives a document with exactly the same value, and no raw C1 or bidi;
//  - JsonWriter (watch --json) writes a string a JSON reader reads back exactly, as key and
//    as value, with no raw control; an unpaired surrogate as QString::toUtf8 writes it.
#include "output/jsonwriter.h"
#include "output/safetext.h"
#include "../safetextchecks.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace poolscope;

namespace {

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

bool unsafe(const QString &text, bool keepBreaks) { return checks::firstRawControl(text, keepBreaks) >= 0; }

// The text with every unpaired surrogate as '?', as QString::toUtf8 writes it (not a round
// trip through fromUtf8, which would drop a leading byte order mark).
QString pairedOnly(const QString &text)
{
    QString out = text;
    for (qsizetype i = 0; i < out.size(); ++i) {
        const QChar c = out[i];
        if (c.isHighSurrogate() && i + 1 < out.size() && out[i + 1].isLowSurrogate())
            ++i;
        else if (c.isSurrogate())
            out[i] = u'?';
    }
    return out;
}

// Qt's JSON reader drops a U+FEFF that opens a string written without any escape (it decodes
// such a string as UTF-8 that may start with a byte order mark); with an escape in the string,
// or in any other reader, the character stays. Either reading is the text.
bool readsBackAs(const QString &read, const QString &written)
{
    return read == written || (written.startsWith(QChar(0xFEFF)) && read == written.sliced(1));
}

void checkText(const QString &text, bool decodedFromUtf8)
{
    const QString line = safeLine(text);
    const QString block = safeText(text);
    check(!unsafe(line, false));
    check(!unsafe(block, true));
    check(safeLine(line) == line);
    check(safeText(block) == block);
    check(safeLine(block) == line);
    check(needsEscaping(text) == (line != text));

    const QString cell = markdownInline(text);
    check(!unsafe(cell, false));
    check(checks::unescapedPipes(cell) == 0);
    check(!unsafe(markdownCode(text), false));

    const QStringList lines = text.split(u'\n');
    const QString codeBlock = markdownCodeBlock(lines);
    const QString fence = codeBlock.first(codeBlock.indexOf(u'\n'));
    const QString inside = codeBlock.sliced(fence.size() + 1, codeBlock.size() - 2 * (fence.size() + 1));
    check(!inside.contains(fence));

    const QString csv = csvText(text);
    check(!unsafe(csv, true));
    check(csv.isEmpty() || !QStringLiteral("=+-@\t\r").contains(csv.front()));

    // Written as key and as value; read back, the text's unpaired surrogates are '?' as
    // QString::toUtf8 writes them (a UTF-8 input has none).
    const QString expected = decodedFromUtf8 ? text : pairedOnly(text);
    QByteArray written;
    JsonWriter writer(&written);
    writer.beginObject();
    writer.key(QStringView(text));
    writer.value(text);
    writer.endObject();
    check(!unsafe(QString::fromUtf8(written), false));
    const QJsonObject back = QJsonDocument::fromJson(written).object();
    check(back.size() == 1 && readsBackAs(back.begin().key(), expected)
          && readsBackAs(back.begin().value().toString(), expected));

    if (decodedFromUtf8) {
        const QJsonObject object{{QStringLiteral("v"), text}};
        const QByteArray json = terminalSafeJson(QJsonDocument(object).toJson(QJsonDocument::Compact));
        const QJsonObject safeBack = QJsonDocument::fromJson(json).object();
        check(safeBack.size() == 1 && readsBackAs(safeBack.value(QStringLiteral("v")).toString(), text));
        check(!unsafe(QString::fromUtf8(json), false));
        check(terminalSafeJson(json) == json);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    checkText(QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size)), true);
    QString utf16(qsizetype(size / 2), Qt::Uninitialized);
    std::memcpy(utf16.data(), data, size_t(utf16.size()) * 2);
    checkText(utf16, false);
    // Any bytes at all, as if a JSON writer had put them there: never worse, and idempotent.
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QByteArray safe = terminalSafeJson(bytes);
    check(terminalSafeJson(safe) == safe);
    return 0;
}
