#include "output/jsonwriter.h"

#include "output/safetext.h"

#include <QLocale>

#include <cmath>

namespace poolscope {

void JsonWriter::newline()
{
    if (!m_indented)
        return;
    m_out->append('\n');
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
            m_out->append(',');
        newline();
    }
    m_first = false;
}

void JsonWriter::open(char bracket)
{
    beforeValue();
    m_out->append(bracket);
    ++m_depth;
    m_first = true;
}

void JsonWriter::close(char bracket)
{
    --m_depth;
    if (!m_first)
        newline();
    m_out->append(bracket);
    m_first = false;
}

JsonWriter &JsonWriter::key(const char *name)
{
    beforeValue();
    m_out->append('"');
    m_out->append(name);
    m_out->append(m_indented ? "\": " : "\":");
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::key(QStringView name)
{
    beforeValue();
    writeString(name);
    m_out->append(m_indented ? ": " : ":");
    m_afterKey = true;
    return *this;
}

void JsonWriter::writeString(QStringView text)
{
    static const char hex[] = "0123456789abcdef";
    m_out->append('"');
    qsizetype plainFrom = 0;
    bool ascii = true; // the run since plainFrom
    const auto flush = [&](qsizetype to) {
        if (to <= plainFrom)
            return;
        const QStringView run = text.sliced(plainFrom, to - plainFrom);
        if (!ascii) {
            m_out->append(run.toUtf8());
            return;
        }
        // SQL and names are mostly ASCII: copied into the buffer as they are, no temporary.
        const qsizetype at = m_out->size();
        m_out->resize(at + run.size());
        char *out = m_out->data() + at;
        for (const QChar c : run)
            *out++ = char(c.unicode());
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (c >= 0x20 && c < 0x7F && c != u'"' && c != u'\\')
            continue;
        if ((c < 0x20 || c >= 0x7F) && !isTerminalControl(c)) {
            ascii = ascii && c < 0x80;
            continue;
        }
        flush(i);
        plainFrom = i + 1;
        ascii = true;
        switch (c) {
        case u'"': m_out->append("\\\""); break;
        case u'\\': m_out->append("\\\\"); break;
        case u'\n': m_out->append("\\n"); break;
        case u'\r': m_out->append("\\r"); break;
        case u'\t': m_out->append("\\t"); break;
        default: {
            const char escaped[] = {'\\', 'u', hex[(c >> 12) & 0xf], hex[(c >> 8) & 0xf], hex[(c >> 4) & 0xf], hex[c & 0xf]};
            m_out->append(escaped, sizeof escaped);
        }
        }
    }
    flush(text.size());
    m_out->append('"');
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
    m_out->append(QByteArray::number(number));
}

void JsonWriter::value(double number)
{
    beforeValue();
    if (!std::isfinite(number))
        m_out->append("null");
    else
        m_out->append(QByteArray::number(number, 'g', QLocale::FloatingPointShortest));
}

void JsonWriter::value(bool flag)
{
    beforeValue();
    m_out->append(flag ? "true" : "false");
}

void JsonWriter::plainValue(std::string_view ascii)
{
    beforeValue();
    m_out->append('"');
    m_out->append(ascii.data(), qsizetype(ascii.size()));
    m_out->append('"');
}

void JsonWriter::null()
{
    beforeValue();
    m_out->append("null");
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
