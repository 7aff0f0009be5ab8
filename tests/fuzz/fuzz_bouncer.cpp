// libFuzzer target: the PgBouncer console readers, fed an arbitrary table in the fixture format
// as the answer to every SHOW command at once.
#include "pgbouncer/bouncerparse.h"
#include "analysis/linker.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const poolscope::ResultTable table = poolscope::ResultTable::fromTsv(text);
    QMap<QString, poolscope::ResultTable> tables;
    for (const QString &command : poolscope::bouncerCommands())
        tables.insert(command, table);
    poolscope::BouncerSnapshot snapshot;
    poolscope::assembleBouncerSnapshot(snapshot, tables);
    poolscope::computeRates(snapshot.stats, snapshot.stats, 1.0);
    (void)poolscope::linkLayers(snapshot, nullptr);
    return 0;
}
