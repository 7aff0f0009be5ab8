#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace poolscope {

// Text that any database user can choose (query text and its comments, hence owners and
// stacks; application_name; PgBouncer's client fields; server messages) on its way to a
// person. Written raw, an ESC or a C1 CSI would let that user clear the operator's terminal,
// retitle it or plant a hyperlink, and a bidi override would show a line reversed. So every
// face of PoolScope shows these characters in one visible notation:
//   C0 controls, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F)  \x1b  (two hex digits)
//   bidi embeddings, overrides, isolates and marks (U+202A–U+202E,
//   U+2066–U+2069, U+200E, U+200F, U+061C), the line and paragraph
//   separators (U+2028, U+2029) and unpaired surrogates               \u202e (four hex digits)
// A backslash is left as it is, so the text stays readable and escaping twice changes nothing
// (the JSON output keeps the exact value for anyone who must tell `\x1b` typed from ESC sent).

// One line (a table cell, a log line): tab, newline and carriage return are escaped too.
QString safeLine(const QString &text);
// Several lines (an error message, a stack): newline and tab are kept, everything else as above.
QString safeText(const QString &text);
// Whether safeLine() would change the text.
bool needsEscaping(QStringView text);
// Whether a terminal or a text renderer acts on this character: C0, DEL, C1, or one of the
// bidi and line layout controls above (surrogates aside).
bool isTerminalControl(char16_t c);

// A JSON document (UTF-8) with C1 controls, DEL and the characters above that JSON leaves raw
// written as \u escapes instead: the same document to any JSON reader, harmless in a terminal.
QByteArray terminalSafeJson(const QByteArray &json);

// Inline Markdown (a table cell, a heading, a list item): safe, on one line (line breaks and
// tabs become spaces), and every character Markdown could read as markup — | \ ` * _ [ ] < > ~ &
// — backslash-escaped, so content can neither end a cell nor become a link, HTML or an entity.
QString markdownInline(const QString &text);
// Inline code: the safe line between enough backticks that none inside can close the span.
QString markdownCode(const QString &text);
// A fenced block of these lines, each made safe, with a fence no line can close.
QString markdownCodeBlock(const QStringList &lines);

// A text cell of a CSV file: safe (line breaks and tabs kept, the cell is quoted), and a cell
// a spreadsheet would read as a formula — starting with = + - @ or a tab — gets a leading '
// (OWASP's advice). Numbers written by PoolScope itself must not go through this: a negative
// number is not a formula.
QString csvText(const QString &text);

} // namespace poolscope
