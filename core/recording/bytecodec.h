#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

namespace poolscope::codec {

// Little-endian, variable-length integers (LEB128; signed ones zigzagged first), so that the
// small numbers a recording is mostly made of take one or two bytes.
class ByteWriter
{
public:
    void putByte(quint8 value) { m_bytes.append(char(value)); }
    void putUnsigned(quint64 value);
    void putSigned(qint64 value) { putUnsigned((quint64(value) << 1) ^ quint64(value >> 63)); }
    void putDouble(double value);
    void putBytes(const QByteArray &bytes); // length, then the bytes
    void putRaw(const QByteArray &bytes) { m_bytes.append(bytes); }

    const QByteArray &bytes() const { return m_bytes; }
    QByteArray take() { return std::exchange(m_bytes, {}); }
    int size() const { return int(m_bytes.size()); }

private:
    QByteArray m_bytes;
};

// Reads what ByteWriter wrote. Never reads past the end: a short or malformed input sets
// failed(), and every later read returns zero, so callers check once at the end of a unit.
class ByteReader
{
public:
    explicit ByteReader(const QByteArray &bytes) : m_bytes(bytes) {}

    quint8 byte();
    quint64 getUnsigned();
    qint64 getSigned()
    {
        const quint64 v = getUnsigned();
        return qint64(v >> 1) ^ -qint64(v & 1);
    }
    double getDouble();
    QByteArray getBytes();
    // A count of things that each take at least one byte: more than the bytes left is a lie.
    qsizetype getCount();

    bool failed() const { return m_failed; }
    void fail() { m_failed = true; }
    bool atEnd() const { return m_pos >= m_bytes.size(); }
    qsizetype remaining() const { return m_bytes.size() - m_pos; }

private:
    const QByteArray &m_bytes;
    qsizetype m_pos = 0;
    bool m_failed = false;
};

// Strings are written once and then referred to by number: a recording repeats the same
// users, databases, states and queries in every sample. Reference 0 introduces a new string.
class StringWriter
{
public:
    void put(ByteWriter &out, const QString &text);
    void clear() { m_index.clear(); m_bytes = 0; }
    qint64 memoryBytes() const { return m_bytes; }

private:
    QHash<QString, quint32> m_index;
    qint64 m_bytes = 0;
};

class StringReader
{
public:
    static constexpr qsizetype kMaxStrings = 16 * 1024 * 1024;
    QString get(ByteReader &in);
    void clear() { m_strings.clear(); }

private:
    QStringList m_strings;
};

} // namespace poolscope::codec
