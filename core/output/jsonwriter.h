#pragma once

#include <QByteArray>
#include <QList>
#include <QStringView>

#include <string_view>

namespace poolscope {

// Writes JSON straight into a byte buffer as it goes, instead of building a QJsonDocument tree
// per sample and serialising it after: `watch --json` prints a document a second of thousands
// of sessions, and the tree was most of its cost. Strings are escaped as JSON requires (quotes,
// backslashes, C0 controls) and so are DEL, C1 controls and the bidi and line layout controls
// (safetext.h), which JSON would leave raw: whatever a database user put in a query or an
// application name arrives exact for a JSON reader and harmless in a terminal.
class JsonWriter
{
public:
    // `indented`: two spaces a level, for a person reading `snapshot --json`; else compact.
    explicit JsonWriter(QByteArray *out, bool indented = false) : m_out(out), m_indented(indented) {}

    void beginObject() { open('{'); }
    void endObject() { close('}'); }
    void beginArray() { open('['); }
    void endArray() { close(']'); }
    JsonWriter &key(const char *name); // the value written next belongs to it
    JsonWriter &key(QStringView name);  // a key that came from outside, escaped like a value

    void value(QStringView text);
    void value(const QString &text) { value(QStringView(text)); }
    void value(const char *ascii);
    void value(qint64 number);
    void value(int number) { value(qint64(number)); }
    void value(double number); // NaN and infinities are written as null
    void value(bool flag);
    void null();
    // A string, or null for a null QString.
    void textOrNull(const QString &text);
    void strings(const QStringList &list);
    void numbers(const QList<int> &list);
    // Text known to need no escaping (digits, a time PoolScope formatted), copied as it is.
    void plainValue(std::string_view ascii);

    template <typename T> void field(const char *name, const T &v)
    {
        key(name);
        value(v);
    }

private:
    // Appends to the buffer: one resize (which grows it geometrically) and a copy.
    void put(const char *data, qsizetype size);
    void put(char c) { put(&c, 1); }
    void put(std::string_view text) { put(text.data(), qsizetype(text.size())); }

    void open(char bracket);
    void close(char bracket);
    void beforeValue();
    void newline();
    void writeString(QStringView text);

    QByteArray *m_out;
    bool m_indented;
    int m_depth = 0;
    bool m_first = true;    // no value yet at this level
    bool m_afterKey = false; // a key was written; its value comes next
};

} // namespace poolscope
