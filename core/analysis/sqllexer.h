#pragma once

#include <QStringView>

#include <functional>

namespace poolscope {

struct SqlComment
{
    QStringView text; // between /* and */, nested comments included
    bool nested = false;
    bool truncated = false; // the text ended before the comment closed
};

// Lexes SQL the way PostgreSQL does ('…', E'…', "…", $tag$…$tag$, -- comments, nested
// /* */) and calls `found` for every block comment outside strings and identifiers, in
// order. Returns true when the text ended inside a comment, string or dollar quote: it was
// cut, as pg_stat_activity cuts queries at track_activity_query_size.
bool forEachBlockComment(QStringView sql, const std::function<void(const SqlComment &)> &found);

} // namespace poolscope
