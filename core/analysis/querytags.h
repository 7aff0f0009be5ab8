#pragma once

#include "model/snapshot.h"

#include <QStringView>

namespace poolscope {

// What the comments of one query say about the code that sent it.
struct QueryTags
{
    Tags tags;          // from every tag comment, leading or trailing, in order
    QStringList stack;  // frames, innermost first, when the tags carry one
    bool truncated = false; // the text ended inside a comment, string or dollar quote

    bool isEmpty() const { return tags.isEmpty(); }
    QString value(QStringView key) const; // first tag with that key, or empty
};

// Lexes SQL the way PostgreSQL does ('…', E'…', "…", $tag$…$tag$, -- comments, nested
// /* */) and reads every block comment whose comma-separated segments are mostly
// sqlcommenter (key='url-encoded value') or Marginalia (key:value) tags.
QueryTags parseQueryTags(QStringView sql);

// The frames a set of tags describes: a stack key holding frames separated by newlines or
// '|', or else a single frame from file/line, source_location, code.* or Marginalia's line.
QStringList stackFromTags(const Tags &tags);

// One line naming where the code is: the innermost frame, else route or controller#action.
QString codeLocation(const QueryTags &tags);
QString codeLocation(const Tags &tags, const QStringList &stack);

} // namespace poolscope
