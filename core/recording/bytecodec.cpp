#include "recording/bytecodec.h"

#include <QtEndian>

#include <cstring>

namespace poolscope::codec {

void ByteWriter::putUnsigned(quint64 value)
{
    while (value >= 0x80) {
        m_bytes.append(char(quint8(value) | 0x80));
        value >>= 7;
    }
    m_bytes.append(char(value));
}

void ByteWriter::putDouble(double value)
{
    quint64 bits;
    std::memcpy(&bits, &value, sizeof bits);
    bits = qToLittleEndian(bits);
    m_bytes.append(reinterpret_cast<const char *>(&bits), sizeof bits);
}

void ByteWriter::putBytes(const QByteArray &bytes)
{
    putUnsigned(quint64(bytes.size()));
    m_bytes.append(bytes);
}

quint8 ByteReader::byte()
{
    if (m_failed || m_pos >= m_bytes.size()) {
        m_failed = true;
        return 0;
    }
    return quint8(m_bytes[m_pos++]);
}

quint64 ByteReader::getUnsigned()
{
    quint64 value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const quint8 b = byte();
        if (m_failed)
            return 0;
        value |= quint64(b & 0x7f) << shift;
        if (!(b & 0x80))
            return value;
    }
    m_failed = true; // more than ten bytes: not a number this writer wrote
    return 0;
}

double ByteReader::getDouble()
{
    if (m_failed || remaining() < 8) {
        m_failed = true;
        return 0;
    }
    quint64 bits;
    std::memcpy(&bits, m_bytes.constData() + m_pos, sizeof bits);
    m_pos += 8;
    bits = qFromLittleEndian(bits);
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

QByteArray ByteReader::getBytes()
{
    const quint64 length = getUnsigned();
    if (m_failed || length > quint64(remaining())) {
        m_failed = true;
        return {};
    }
    QByteArray bytes = m_bytes.mid(m_pos, qsizetype(length));
    m_pos += qsizetype(length);
    return bytes;
}

qsizetype ByteReader::getCount()
{
    const quint64 count = getUnsigned();
    if (m_failed || count > quint64(remaining())) {
        m_failed = true;
        return 0;
    }
    return qsizetype(count);
}

void StringWriter::put(ByteWriter &out, const QString &text)
{
    const auto it = m_index.constFind(text);
    if (it != m_index.cend()) {
        out.putUnsigned(quint64(*it) + 1);
        return;
    }
    out.putUnsigned(0);
    out.putBytes(text.toUtf8());
    m_index.insert(text, quint32(m_index.size()));
    m_bytes += 2 * text.size() + 48; // the string and its hash node, roughly
}

QString StringReader::get(ByteReader &in)
{
    const quint64 ref = in.getUnsigned();
    if (in.failed())
        return {};
    if (ref == 0) {
        const QByteArray bytes = in.getBytes();
        if (in.failed() || m_strings.size() >= kMaxStrings) {
            in.fail();
            return {};
        }
        m_strings.append(QString::fromUtf8(bytes));
        return m_strings.constLast();
    }
    if (ref > quint64(m_strings.size())) {
        in.fail(); // a reference to a string this segment never introduced
        return {};
    }
    return m_strings.at(qsizetype(ref - 1));
}

} // namespace poolscope::codec
