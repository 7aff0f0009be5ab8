// libFuzzer target: the SQL lexer and tag reader, fed arbitrary query text.
#include "analysis/querytags.h"

#include <QString>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString sql = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const poolscope::QueryTags tags = poolscope::parseQueryTags(sql);
    // Whatever came out must be usable.
    (void)poolscope::codeLocation(tags);
    for (const poolscope::Tag &tag : tags.tags)
        (void)tag.value.size();
    return 0;
}
