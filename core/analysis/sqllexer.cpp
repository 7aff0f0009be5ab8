#include "analysis/sqllexer.h"

#include "analysis/charscan.h"

namespace poolscope {

namespace {

bool isIdentStart(QChar c) { return c.isLetter() || c == u'_'; }
bool isIdentChar(QChar c) { return c.isLetterOrNumber() || c == u'_' || c == u'$'; }

// Index just past the closing quote, or -1 when the text ends first.
qsizetype skipQuoted(QStringView sql, qsizetype i, char16_t quote, bool backslashEscapes)
{
    const char16_t *begin = sql.utf16();
    const char16_t *end = begin + sql.size();
    const char16_t *p = begin + i;
    const char16_t plain[] = {quote};
    const char16_t escaping[] = {quote, u'\\'};
    while (true) {
        p = backslashEscapes ? findFirstOf(p, end, escaping) : findFirstOf(p, end, plain);
        if (p >= end)
            return -1;
        if (*p == u'\\') {
            p += 2;
            continue;
        }
        if (p + 1 < end && p[1] == quote) {
            p += 2; // doubled quote
            continue;
        }
        return p + 1 - begin;
    }
}

} // namespace

bool forEachBlockComment(QStringView sql, const std::function<void(const SqlComment &)> &found)
{
    const char16_t *const begin = sql.utf16();
    const char16_t *const end = begin + sql.size();
    const qsizetype n = sql.size();
    static const char16_t tokenStarts[] = {u'\'', u'"', u'$', u'-', u'/'};
    static const char16_t commentMarks[] = {u'*', u'/'};
    qsizetype i = 0;
    while (i < n) {
        i = findFirstOf(begin + i, end, tokenStarts) - begin;
        if (i >= n)
            break;
        const char16_t c = begin[i];
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
            bool nested = false;
            const char16_t *p = begin + i + 2;
            while (depth > 0) {
                p = findFirstOf(p, end, commentMarks);
                if (p >= end)
                    break;
                if (*p == u'/' && p + 1 < end && p[1] == u'*') {
                    ++depth;
                    nested = true;
                    p += 2;
                } else if (*p == u'*' && p + 1 < end && p[1] == u'/') {
                    --depth;
                    p += 2;
                } else {
                    ++p;
                }
            }
            const bool closed = depth == 0;
            const qsizetype j = p - begin;
            found(SqlComment{sql.sliced(i + 2, (closed ? j - 2 : n) - (i + 2)), nested, !closed});
            if (!closed)
                return true;
            i = j;
            continue;
        }
        if (i < 0) // the text ended inside a string: truncated at track_activity_query_size
            return true;
    }
    return false;
}

} // namespace poolscope
