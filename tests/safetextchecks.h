#pragma once

// What must never reach a person raw, written out apart from the code under test (safetext.h)
// so that the tests, the live test and the fuzz target check it against a second opinion.

#include <QStringView>

namespace poolscope::checks {

// The index of the first character no person may receive raw, or -1: C0 (less newline and tab
// with keepBreaks), DEL, C1, the bidi and line-breaking formatting characters, and unpaired
// surrogates.
inline qsizetype firstRawControl(QStringView text, bool keepBreaks)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (keepBreaks && (c == u'\n' || c == u'\t'))
            continue;
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F
            || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
            return i;
        if (QChar::isHighSurrogate(c) && (i + 1 == text.size() || !QChar::isLowSurrogate(text[i + 1].unicode())))
            return i;
        if (QChar::isLowSurrogate(c) && (i == 0 || !QChar::isHighSurrogate(text[i - 1].unicode())))
            return i;
    }
    return -1;
}

// The number of '|' in a line of Markdown that are not backslash-escaped: cell borders.
inline int unescapedPipes(QStringView line)
{
    int pipes = 0;
    qsizetype slashes = 0;
    for (QChar c : line) {
        if (c == u'|' && slashes % 2 == 0)
            ++pipes;
        slashes = c == u'\\' ? slashes + 1 : 0;
    }
    return pipes;
}

} // namespace poolscope::checks
