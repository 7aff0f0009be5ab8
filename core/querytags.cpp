#include "querytags.h"

#include <QByteArray>

namespace poolscope {

namespace {

bool isIdentStart(QChar c) { return c.isLetter() || c == u'_'; }
bool isIdentChar(QChar c) { return c.isLetterOrNumber() || c == u'_' || c == u'$'; }

// ASCII characters that can start a token the lexer cares about.
struct SpecialTable
{
    bool special[128] = {};
    constexpr SpecialTable()
    {
        special[int('\'')] = special[int('"')] = special[int('$')] = special[int('-')] = special[int('/')] = true;
    }
};
constexpr SpecialTable kSpecial;

// Index just past the closing quote, or -1 when the text ends first.
qsizetype skipQuoted(QStringView sql, qsizetype i, char16_t quote, bool backslashEscapes)
{
    const qsizetype n = sql.size();
    while (i < n) {
        const char16_t c = sql[i].unicode();
        if (backslashEscapes && c == u'\\') {
            i += 2;
        } else if (c == quote) {
            if (i + 1 < n && sql[i + 1] == quote)
                i += 2; // doubled quote
            else
                return i + 1;
        } else {
            ++i;
        }
    }
    return -1;
}

QString decodeSqlcommenterValue(QStringView raw)
{
    QString value;
    value.reserve(raw.size());
    for (qsizetype i = 0; i < raw.size(); ++i) {
        if (raw[i] == u'\\' && i + 1 < raw.size() && (raw[i + 1] == u'\'' || raw[i + 1] == u'\\')) {
            value.append(raw[++i]);
        } else if (raw[i] == u'%' && i + 1 < raw.size() && raw[i + 1] == u'%') {
            value.append(u'%'); // drivers that format with %-placeholders double every percent
            ++i;
        } else if (raw[i] == u'+') {
            value.append(u' '); // form-style encoders write '+' for a space
        } else {
            value.append(raw[i]);
        }
    }
    if (!value.contains(u'%'))
        return value;
    return QString::fromUtf8(QByteArray::fromPercentEncoding(value.toUtf8()));
}

bool isMarginaliaKey(QStringView key)
{
    if (key.isEmpty() || !isIdentStart(key[0]))
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
            tag->key = decodeSqlcommenterValue(key);
            tag->value = decodeSqlcommenterValue(rest.sliced(1, rest.size() - 2));
            return true;
        }
    }
    const qsizetype colon = segment.indexOf(u':');
    if (colon > 0 && isMarginaliaKey(segment.first(colon))) {
        tag->key = segment.first(colon).toString();
        tag->value = segment.sliced(colon + 1).trimmed().toString();
        return true;
    }
    return false;
}

// Splits at commas outside single quotes; a quote may be escaped with a backslash.
QList<QStringView> splitSegments(QStringView content)
{
    QList<QStringView> segments;
    bool quoted = false;
    qsizetype start = 0;
    for (qsizetype i = 0; i < content.size(); ++i) {
        const QChar c = content[i];
        if (quoted && c == u'\\') {
            ++i;
        } else if (c == u'\'') {
            quoted = !quoted;
        } else if (c == u',' && !quoted) {
            segments.append(content.sliced(start, i - start));
            start = i + 1;
        }
    }
    segments.append(content.sliced(start));
    return segments;
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

void readComment(QStringView content, bool truncated, Tags *tags)
{
    QString flattened;
    if (content.contains(QStringView(u"/*"))) {
        flattened = withoutNestedComments(content);
        content = flattened;
    }
    QList<QStringView> segments = splitSegments(content);
    if (truncated && segments.size() > 1)
        segments.removeLast(); // cut off mid-tag: its value cannot be trusted
    Tags found;
    int nonEmpty = 0;
    for (QStringView segment : std::as_const(segments)) {
        if (segment.trimmed().isEmpty())
            continue;
        ++nonEmpty;
        Tag tag;
        if (parseSegment(segment, &tag))
            found.append(std::move(tag));
    }
    // "Most segments are tags": prose such as a Hibernate "/* load com.shop.Order */"
    // comment is not mistaken for tags.
    if (!found.isEmpty() && found.size() * 2 > nonEmpty)
        tags->append(found);
}

bool isStackKey(QStringView key)
{
    static const char16_t *const keys[] = {u"stack", u"stacktrace", u"stack_trace", u"callstack", u"call_stack",
                                           u"backtrace", u"traceback", u"code.stacktrace"};
    for (const char16_t *candidate : keys) {
        if (key.compare(QStringView(candidate), Qt::CaseInsensitive) == 0)
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
    const qsizetype n = sql.size();
    qsizetype i = 0;
    while (i < n) {
        const char16_t c = sql[i].unicode();
        if (c >= 128 || !kSpecial.special[c]) {
            ++i;
            continue;
        }
        if (c == u'\'') {
            // E'…' takes backslash escapes; the E must not end an identifier.
            const bool escaped = i > 0 && (sql[i - 1] == u'E' || sql[i - 1] == u'e')
                && (i < 2 || !isIdentChar(sql[i - 2]));
            i = skipQuoted(sql, i + 1, u'\'', escaped);
        } else if (c == u'"') {
            i = skipQuoted(sql, i + 1, u'"', false);
        } else if (c == u'$') {
            if (i > 0 && isIdentChar(sql[i - 1])) {
                ++i; // part of an identifier such as a$b
                continue;
            }
            qsizetype j = i + 1;
            if (j < n && isIdentStart(sql[j])) {
                while (j < n && sql[j] != u'$' && isIdentChar(sql[j]))
                    ++j;
            }
            if (j >= n || sql[j] != u'$') {
                i = j; // $1 parameter or a stray dollar
                continue;
            }
            const QStringView delimiter = sql.sliced(i, j - i + 1);
            const qsizetype close = sql.indexOf(delimiter, j + 1);
            i = close < 0 ? -1 : close + delimiter.size();
        } else if (c == u'-') {
            if (i + 1 < n && sql[i + 1] == u'-') {
                const qsizetype eol = sql.indexOf(u'\n', i + 2);
                i = eol < 0 ? n : eol + 1;
            } else {
                ++i;
            }
            continue;
        } else { // '/'
            if (i + 1 >= n || sql[i + 1] != u'*') {
                ++i;
                continue;
            }
            int depth = 1;
            qsizetype j = i + 2;
            while (j < n && depth > 0) {
                if (sql[j] == u'/' && j + 1 < n && sql[j + 1] == u'*') {
                    ++depth;
                    j += 2;
                } else if (sql[j] == u'*' && j + 1 < n && sql[j + 1] == u'/') {
                    --depth;
                    j += 2;
                } else {
                    ++j;
                }
            }
            const bool closed = depth == 0;
            readComment(sql.sliced(i + 2, (closed ? j - 2 : n) - (i + 2)), !closed, &result.tags);
            if (!closed)
                result.truncated = true;
            i = j;
            continue;
        }
        if (i < 0) { // the text ended inside a string: truncated at track_activity_query_size
            result.truncated = true;
            break;
        }
    }
    result.stack = stackFromTags(result.tags);
    return result;
}

QStringList stackFromTags(const Tags &tags)
{
    QStringList frames;
    for (const Tag &tag : tags) {
        if (!isStackKey(tag.key))
            continue;
        const QList<QStringView> parts = QStringView(tag.value).split(u'\n');
        for (QStringView line : parts) {
            for (QStringView frame : line.split(u'|')) {
                frame = frame.trimmed();
                if (!frame.isEmpty())
                    frames.append(frame.toString());
            }
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
    if (!tags.stack.isEmpty())
        return tags.stack.first();
    if (const QString route = tags.value(u"route"); !route.isEmpty())
        return route;
    const QString controller = tags.value(u"controller");
    const QString action = tags.value(u"action");
    if (!controller.isEmpty())
        return action.isEmpty() ? controller : controller + u'#' + action;
    return action;
}

} // namespace poolscope
