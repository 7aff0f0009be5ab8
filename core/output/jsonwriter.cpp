#include "output/jsonwriter.h"

#include "output/safetext.h"

#include <QLocale>

#include <charconv>
#include <cmath>
#include <cstring>

namespace poolscope {

void JsonWriter::put(const char *data, qsizetype size)
{
    const qsizetype at = m_out->size();
    m_out->resize(at + size); // grows geometrically
    std::memcpy(m_out->data() + at, data, size_t(size));
}

void JsonWriter::newline()
{
    if (!m_indented)
        return;
    put('\n');
    m_out->append(m_depth * 2, ' ');
}

void JsonWriter::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (m_depth > 0) {
        if (!m_first)
            put(',');
        newline();
    }
    m_first = false;
}

void JsonWriter::open(char bracket)
{
    beforeValue();
    put(bracket);
    ++m_depth;
    m_first = true;
}

void JsonWriter::close(char bracket)
{
    --m_depth;
    if (!m_first)
        newline();
    put(bracket);
    m_first = false;
}

JsonWriter &JsonWriter::key(const char *name)
{
    beforeValue();
    put('"');
    put(std::string_view(name));
    put(m_indented ? std::string_view("\": ") : std::string_view("\":"));
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::key(QStringView name)
{
    beforeValue();
    writeString(name);
    put(m_indented ? std::string_view(": ") : std::string_view(":"));
    m_afterKey = true;
    return *this;
}

void JsonWriter::writeString(QStringView text)
{
    // One pass, straight into the buffer, sized for the worst case first (every unit escaped
    // as \uXXXX: six bytes) and cut to what was written: a document is thousands of strings,
    // its queries a kilobyte each, and the buffer keeps its capacity from one to the next.
    static const char hex[] = "0123456789abcdef";
    const qsizetype at = m_out->size();
    m_out->resize(at + 2 + 6 * text.size());
    char *out = m_out->data() + at;
    *out++ = '"';
    const char16_t *units = text.utf16();
    const qsizetype size = text.size();
    for (qsizetype i = 0; i < size; ++i) {
        const char16_t c = units[i];
        if (c >= 0x20 && c < 0x7F) {
            if (c == u'"' || c == u'\\')
                *out++ = '\\';
            *out++ = char(c);
            continue;
        }
        if (isTerminalControl(c)) {
            *out++ = '\\';
            switch (c) {
            case u'\n': *out++ = 'n'; break;
            case u'\r': *out++ = 'r'; break;
            case u'\t': *out++ = 't'; break;
            default:
                *out++ = 'u';
                *out++ = hex[(c >> 12) & 0xf];
                *out++ = hex[(c >> 8) & 0xf];
                *out++ = hex[(c >> 4) & 0xf];
                *out++ = hex[c & 0xf];
            }
            continue;
        }
        // UTF-8, as QString::toUtf8 writes it (an unpaired surrogate becomes '?').
        if (c < 0x80) {
            *out++ = char(c);
        } else if (c < 0x800) {
            *out++ = char(0xC0 | (c >> 6));
            *out++ = char(0x80 | (c & 0x3F));
        } else if (!QChar::isSurrogate(c)) {
            *out++ = char(0xE0 | (c >> 12));
            *out++ = char(0x80 | ((c >> 6) & 0x3F));
            *out++ = char(0x80 | (c & 0x3F));
        } else if (QChar::isHighSurrogate(c) && i + 1 < size && QChar::isLowSurrogate(units[i + 1])) {
            const char32_t u = QChar::surrogateToUcs4(c, units[++i]);
            *out++ = char(0xF0 | (u >> 18));
            *out++ = char(0x80 | ((u >> 12) & 0x3F));
            *out++ = char(0x80 | ((u >> 6) & 0x3F));
            *out++ = char(0x80 | (u & 0x3F));
        } else {
            *out++ = '?';
        }
    }
    *out++ = '"';
    m_out->resize(out - m_out->constData());
}

void JsonWriter::value(QStringView text)
{
    beforeValue();
    writeString(text);
}

void JsonWriter::value(const char *ascii)
{
    beforeValue();
    writeString(QString::fromLatin1(ascii));
}

void JsonWriter::value(qint64 number)
{
    beforeValue();
    char digits[24];
    const auto written = std::to_chars(digits, digits + sizeof digits, number);
    put(digits, written.ptr - digits);
}

void JsonWriter::value(double number)
{
    beforeValue();
    if (!std::isfinite(number))
        put("null");
    else
        m_out->append(QByteArray::number(number, 'g', QLocale::FloatingPointShortest));
}

void JsonWriter::value(bool flag)
{
    beforeValue();
    put(flag ? std::string_view("true") : std::string_view("false"));
}

void JsonWriter::plainValue(std::string_view ascii)
{
    beforeValue();
    put('"');
    put(ascii);
    put('"');
}

void JsonWriter::null()
{
    beforeValue();
    put("null");
}

void JsonWriter::textOrNull(const QString &text)
{
    if (text.isNull())
        null();
    else
        value(text);
}

void JsonWriter::strings(const QStringList &list)
{
    beginArray();
    for (const QString &item : list)
        value(item);
    endArray();
}

void JsonWriter::numbers(const QList<int> &list)
{
    beginArray();
    for (int item : list)
        value(item);
    endArray();
}

} // namespace poolscope
