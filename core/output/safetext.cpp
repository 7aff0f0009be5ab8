#include "output/safetext.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace poolscope {

namespace {

enum class Breaks { Escape, Keep };

bool isHighSurrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
bool isLowSurrogate(char16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// Shown as \xNN: C0, DEL, C1.
bool isControl(char16_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Shown as \uNNNN: what reorders or breaks a line without being a control character.
bool isLayoutControl(char16_t c)
{
    return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Whether the character at p needs an escape; [begin, end) is the whole text, for surrogates.
bool unsafeAt(const char16_t *begin, const char16_t *p, const char16_t *end, Breaks breaks)
{
    const char16_t c = *p;
    if (c >= 0x20 && c < 0x7F)
        return false;
    if (isControl(c))
        return breaks == Breaks::Escape || (c != u'\n' && c != u'\t');
    if (c < 0x061C)
        return false;
    if (isHighSurrogate(c))
        return p + 1 == end || !isLowSurrogate(p[1]);
    if (isLowSurrogate(c))
        return p == begin || !isHighSurrogate(p[-1]);
    return isLayoutControl(c);
}

// The first character that needs an escape, or end. Most text is printable ASCII, which the
// SSE2 path passes eight characters at a time.
const char16_t *firstUnsafe(const char16_t *begin, const char16_t *end, Breaks breaks)
{
    const char16_t *p = begin;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi16(0x20);
    const __m128i span = _mm_set1_epi16(0x7E - 0x20);
    const __m128i zero = _mm_setzero_si128();
    while (end - p >= 8) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        // (c - 0x20), less 0x5E with unsigned saturation, is zero exactly for 0x20..0x7E.
        const __m128i beyond = _mm_subs_epu16(_mm_sub_epi16(chunk, space), span);
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(beyond, zero)) != 0xFFFF) {
            for (const char16_t *q = p; q < p + 8; ++q) {
                if (unsafeAt(begin, q, end, breaks))
                    return q;
            }
        }
        p += 8;
    }
#endif
    for (; p < end; ++p) {
        if (unsafeAt(begin, p, end, breaks))
            return p;
    }
    return end;
}

void appendHex(QString &out, unsigned value, int digits)
{
    static const char16_t hex[] = u"0123456789abcdef";
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        out.append(QChar(hex[(value >> shift) & 0xF]));
}

QString escaped(const QString &text, Breaks breaks)
{
    const auto *begin = reinterpret_cast<const char16_t *>(text.constData());
    const char16_t *end = begin + text.size();
    const char16_t *p = firstUnsafe(begin, end, breaks);
    if (p == end)
        return text; // shared, not copied: the common case
    QString out;
    out.reserve(text.size() + 16);
    out.append(QStringView(begin, p));
    for (; p < end; ++p) {
        if (!unsafeAt(begin, p, end, breaks)) {
            out.append(QChar(*p));
        } else if (isControl(*p)) {
            out.append(QLatin1String("\\x"));
            appendHex(out, *p, 2);
        } else {
            out.append(QLatin1String("\\u"));
            appendHex(out, *p, 4);
        }
    }
    return out;
}

// The longest run of backticks in the lines, for a code fence or span none of them can close.
qsizetype longestBacktickRun(const QStringList &lines)
{
    qsizetype longest = 0;
    for (const QString &line : lines) {
        qsizetype run = 0;
        for (QChar c : line) {
            run = c == u'`' ? run + 1 : 0;
            longest = std::max(longest, run);
        }
    }
    return longest;
}

} // namespace

bool isTerminalControl(char16_t c)
{
    return isControl(c) || isLayoutControl(c);
}

QString safeLine(const QString &text) { return escaped(text, Breaks::Escape); }

QString safeText(const QString &text) { return escaped(text, Breaks::Keep); }

bool needsEscaping(QStringView text)
{
    const auto *begin = reinterpret_cast<const char16_t *>(text.data());
    return firstUnsafe(begin, begin + text.size(), Breaks::Escape) != begin + text.size();
}

QByteArray terminalSafeJson(const QByteArray &json)
{
    // JSON's structure is ASCII, so these sequences only occur inside strings, where \uNNNN
    // means the same character. QJsonDocument already escapes C0.
    const auto byteAt = [&](qsizetype k) { return k < json.size() ? uchar(json[k]) : 0u; };
    // The code point an escape replaces at i, and its length in bytes (0: none).
    const auto unsafeAt = [&](qsizetype i, int *length) -> unsigned {
        const unsigned b0 = byteAt(i), b1 = byteAt(i + 1), b2 = byteAt(i + 2);
        *length = 0;
        if (b0 == 0x7F)
            *length = 1;
        else if ((b0 == 0xC2 && b1 >= 0x80 && b1 <= 0x9F) || (b0 == 0xD8 && b1 == 0x9C))
            *length = 2;
        else if (b0 == 0xE2 && (b1 == 0x80 || b1 == 0x81) && b2 >= 0x80 && b2 <= 0xBF
                 && isLayoutControl(char16_t(0x2000 | ((b1 & 0x3F) << 6) | (b2 & 0x3F))))
            *length = 3;
        switch (*length) {
        case 1: return b0;
        case 2: return ((b0 & 0x1F) << 6) | (b1 & 0x3F);
        case 3: return ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
        default: return 0;
        }
    };
    QByteArray out;
    qsizetype copied = 0; // json[0, copied) is in out
    for (qsizetype i = 0; i < json.size(); ++i) {
        const uchar b = uchar(json[i]);
        if (b != 0x7F && b != 0xC2 && b != 0xD8 && b != 0xE2)
            continue;
        int length = 0;
        const unsigned c = unsafeAt(i, &length);
        if (length == 0)
            continue;
        if (out.isEmpty())
            out.reserve(json.size() + 64);
        static const char hex[] = "0123456789abcdef";
        const char escape[] = {'\\', 'u', hex[(c >> 12) & 0xF], hex[(c >> 8) & 0xF], hex[(c >> 4) & 0xF], hex[c & 0xF]};
        out.append(json.constData() + copied, i - copied).append(escape, sizeof escape);
        copied = i + length;
        i = copied - 1;
    }
    if (copied == 0)
        return json; // shared, not copied: the common case
    return out.append(json.constData() + copied, json.size() - copied);
}

QString markdownInline(const QString &text)
{
    QString line = text;
    for (QChar &c : line) {
        if (c == u'\n' || c == u'\r' || c == u'\t')
            c = u' ';
    }
    line = safeLine(line);
    static const QString markup = QStringLiteral("|\\`*_[]<>~&");
    QString out;
    out.reserve(line.size() + 8);
    for (QChar c : std::as_const(line)) {
        if (markup.contains(c))
            out.append(u'\\');
        out.append(c);
    }
    return out;
}

QString markdownCode(const QString &text)
{
    const QString line = safeLine(text);
    const QString ticks(longestBacktickRun({line}) + 1, u'`');
    // A span that starts or ends with a backtick needs a space inside, which Markdown strips.
    const bool pad = line.startsWith(u'`') || line.endsWith(u'`');
    return pad ? QString(ticks + u' ' + line + u' ' + ticks) : QString(ticks + line + ticks);
}

QString markdownCodeBlock(const QStringList &lines)
{
    QStringList safe;
    safe.reserve(lines.size());
    for (const QString &line : lines)
        safe.append(safeLine(line));
    const QString fence(std::max<qsizetype>(3, longestBacktickRun(safe) + 1), u'`');
    QString block = fence + u'\n';
    for (const QString &line : std::as_const(safe))
        block += line + u'\n';
    return block + fence + u'\n';
}

QString csvText(const QString &text)
{
    const QString cell = safeText(text);
    if (!cell.isEmpty()) {
        const QChar first = cell.front();
        if (first == u'=' || first == u'+' || first == u'-' || first == u'@' || first == u'\t' || first == u'\r')
            return u'\'' + cell;
    }
    return cell;
}

} // namespace poolscope
