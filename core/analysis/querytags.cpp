#include "analysis/querytags.h"

#include "analysis/charscan.h"
#include "analysis/sqllexer.h"

#include <QByteArray>

namespace poolscope {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The slow path of decodeSqlcommenterValue, for values with percent-encoded UTF-8.
QString decodeUtf8Escapes(QStringView raw)
{
    QByteArray bytes = raw.toUtf8();
    char *out = bytes.data();
    const char *in = bytes.constData();
    const char *end = in + bytes.size();
    while (in < end) {
        const char c = *in++;
        if (c == '\\' && in < end && (*in == '\'' || *in == '\\')) {
            *out++ = *in++;
        } else if (c == '%') {
            if (in < end && *in == '%')
                ++in;
            if (end - in >= 2 && hexValue(in[0]) >= 0 && hexValue(in[1]) >= 0) {
                *out++ = char(hexValue(in[0]) * 16 + hexValue(in[1]));
                in += 2;
            } else {
                *out++ = '%';
            }
        } else {
            *out++ = c == '+' ? ' ' : c;
        }
    }
    bytes.truncate(out - bytes.constData());
    return QString::fromUtf8(bytes);
}

// Keys most drivers send, shared rather than allocated for every tag.
QString internedKey(QStringView key)
{
    static const QString known[] = {QStringLiteral("action"),      QStringLiteral("controller"),
                                    QStringLiteral("framework"),   QStringLiteral("route"),
                                    QStringLiteral("db_driver"),   QStringLiteral("application"),
                                    QStringLiteral("traceparent"), QStringLiteral("tracestate"),
                                    QStringLiteral("file"),        QStringLiteral("line"),
                                    QStringLiteral("stack"),       QStringLiteral("source_location")};
    for (const QString &candidate : known) {
        if (candidate == key)
            return candidate;
    }
    return key.toString();
}

// Undoes sqlcommenter's encoding: \' and \\ escapes, %XX (also %%XX from drivers that double
// every percent), and '+' for a space from form-style encoders.
QString decodeSqlcommenterValue(QStringView raw)
{
    const char16_t *in = raw.utf16();
    const char16_t *const end = in + raw.size();
    const char16_t special[] = {u'\\', u'%', u'+'};
    if (findFirstOf(in, end, special) == end)
        return raw.toString(); // nothing escaped or encoded: the common case
    QString decoded(raw.size(), Qt::Uninitialized);
    char16_t *out = reinterpret_cast<char16_t *>(decoded.data());
    const auto hex = [](char16_t c) {
        return c < 128 ? hexValue(char(c)) : -1;
    };
    while (in < end) {
        const char16_t c = *in++;
        if (c == u'\\' && in < end && (*in == u'\'' || *in == u'\\')) {
            *out++ = *in++;
        } else if (c == u'%') {
            if (in < end && *in == u'%')
                ++in; // a doubled percent is one percent
            if (end - in >= 2 && hex(in[0]) >= 0 && hex(in[1]) >= 0) {
                const int byte = hex(in[0]) * 16 + hex(in[1]);
                if (byte >= 0x80) // part of a UTF-8 sequence: decode the whole value as bytes
                    return decodeUtf8Escapes(raw);
                *out++ = char16_t(byte);
                in += 2;
            } else {
                *out++ = u'%';
            }
        } else if (c == u'+') {
            *out++ = u' ';
        } else {
            *out++ = c;
        }
    }
    decoded.truncate(out - reinterpret_cast<const char16_t *>(decoded.constData()));
    return decoded;
}

bool isMarginaliaKey(QStringView key)
{
    if (key.isEmpty() || !(key[0].isLetter() || key[0] == u'_'))
        return false;
    for (QChar c : key) {
        if (!c.isLetterOrNumber() && c != u'_' && c != u'.' && c != u'-')
            return false;
    }
    return true;
}

// One comma-separated segment as a tag, if it is one.
bool parseSegment(QStringView segment, Tag *tag)
{
    segment = segment.trimmed();
    const qsizetype eq = segment.indexOf(u'=');
    if (eq > 0) {
        const QStringView key = segment.first(eq).trimmed();
        const QStringView rest = segment.sliced(eq + 1).trimmed();
        if (!key.isEmpty() && !key.contains(u' ') && !key.contains(u'\'') && rest.size() >= 2
            && rest.front() == u'\'' && rest.back() == u'\'' && !(rest.size() > 2 && rest[rest.size() - 2] == u'\\')) {
            tag->key = key.contains(u'%') ? decodeSqlcommenterValue(key) : internedKey(key);
            tag->value = decodeSqlcommenterValue(rest.sliced(1, rest.size() - 2));
            return true;
        }
    }
    const qsizetype colon = segment.indexOf(u':');
    if (colon > 0 && isMarginaliaKey(segment.first(colon))) {
        tag->key = internedKey(segment.first(colon));
        tag->value = segment.sliced(colon + 1).trimmed().toString();
        return true;
    }
    return false;
}

// The text of a comment without the comments nested in it.
QString withoutNestedComments(QStringView content)
{
    QString kept;
    int depth = 0;
    for (qsizetype i = 0; i < content.size(); ++i) {
        if (content[i] == u'/' && i + 1 < content.size() && content[i + 1] == u'*') {
            ++depth;
            ++i;
        } else if (depth > 0 && content[i] == u'*' && i + 1 < content.size() && content[i + 1] == u'/') {
            --depth;
            ++i;
        } else if (depth == 0) {
            kept.append(content[i]);
        }
    }
    return kept;
}

void readComment(QStringView content, bool truncated, bool nested, Tags *tags)
{
    QString flattened;
    if (nested) {
        flattened = withoutNestedComments(content);
        content = flattened;
    }
    // Segments end at commas outside single quotes; a quote may be escaped with a backslash.
    // Tags are appended as they are read and taken back if the comment turns out to be prose.
    const qsizetype before = tags->size();
    int segments = 0;
    int matched = 0;
    const char16_t *const begin = content.utf16();
    const char16_t *const end = begin + content.size();
    const char16_t *start = begin;
    static const char16_t marks[] = {u',', u'\'', u'\\'};
    bool quoted = false;
    for (const char16_t *p = begin;; ++p) {
        p = findFirstOf(p, end, marks);
        if (p < end && *p == u'\\') {
            if (quoted)
                ++p;
            continue;
        }
        if (p < end && *p == u'\'') {
            quoted = !quoted;
            continue;
        }
        if (p < end && quoted)
            continue; // a comma inside a value
        const bool last = p >= end;
        const QStringView segment(start, p - start);
        // A comment cut off mid-tag: the last segment's value cannot be trusted.
        if (!(last && truncated && segments > 0) && !segment.trimmed().isEmpty()) {
            ++segments;
            Tag tag;
            if (parseSegment(segment, &tag)) {
                tags->append(std::move(tag));
                ++matched;
            }
        }
        if (last)
            break;
        start = p + 1;
    }
    // "Most segments are tags": prose such as a Hibernate "/* load com.shop.Order */"
    // comment is not mistaken for tags.
    if (matched == 0 || matched * 2 <= segments)
        tags->resize(before);
}

bool isStackKey(QStringView key)
{
    static const QLatin1String keys[] = {QLatin1String("stack"),      QLatin1String("stacktrace"),
                                         QLatin1String("stack_trace"), QLatin1String("callstack"),
                                         QLatin1String("call_stack"),  QLatin1String("backtrace"),
                                         QLatin1String("traceback"),   QLatin1String("code.stacktrace")};
    for (QLatin1String candidate : keys) {
        if (key.size() == candidate.size() && key.compare(candidate, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

QString tagValue(const Tags &tags, QStringView key)
{
    for (const Tag &tag : tags) {
        if (tag.key.compare(key, Qt::CaseInsensitive) == 0)
            return tag.value;
    }
    return {};
}

} // namespace

QString QueryTags::value(QStringView key) const { return tagValue(tags, key); }

QueryTags parseQueryTags(QStringView sql)
{
    QueryTags result;
    result.truncated = forEachBlockComment(sql, [&result](const SqlComment &comment) {
        readComment(comment.text, comment.truncated, comment.nested, &result.tags);
    });
    result.stack = stackFromTags(result.tags);
    return result;
}

QStringList stackFromTags(const Tags &tags)
{
    QStringList frames;
    static const char16_t separators[] = {u'\n', u'|'};
    for (const Tag &tag : tags) {
        if (!isStackKey(tag.key))
            continue;
        const char16_t *p = reinterpret_cast<const char16_t *>(tag.value.utf16());
        const char16_t *const end = p + tag.value.size();
        while (p < end) {
            const char16_t *stop = findFirstOf(p, end, separators);
            const QStringView frame = QStringView(p, stop - p).trimmed();
            if (!frame.isEmpty())
                frames.append(frame.toString());
            p = stop + 1;
        }
        if (!frames.isEmpty())
            return frames;
    }
    if (const QString location = tagValue(tags, u"source_location"); !location.isEmpty())
        return {location};
    if (const QString path = tagValue(tags, u"code.filepath"); !path.isEmpty()) {
        QString frame = path;
        if (const QString line = tagValue(tags, u"code.lineno"); !line.isEmpty())
            frame += u':' + line;
        if (const QString function = tagValue(tags, u"code.function"); !function.isEmpty())
            frame = function + u" (" + frame + u')';
        return {frame};
    }
    const QString file = tagValue(tags, u"file");
    const QString line = tagValue(tags, u"line");
    if (!file.isEmpty())
        return {line.isEmpty() ? file : file + u':' + line};
    if (!line.isEmpty() && line.contains(u':'))
        return {line}; // Marginalia: line:app/models/user.rb:12:in `find'
    return {};
}

QString codeLocation(const QueryTags &tags)
{
    return codeLocation(tags.tags, tags.stack);
}

QString codeLocation(const Tags &tags, const QStringList &stack)
{
    if (!stack.isEmpty())
        return stack.first();
    if (const QString route = tagValue(tags, u"route"); !route.isEmpty())
        return route;
    const QString controller = tagValue(tags, u"controller");
    const QString action = tagValue(tags, u"action");
    if (!controller.isEmpty())
        return action.isEmpty() ? controller : controller + u'#' + action;
    return action;
}

} // namespace poolscope
