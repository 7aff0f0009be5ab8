// libFuzzer target: the audit log, which PoolScope reads back for its audit view; a line cut
// by a crash or written by someone else must be skipped, never trusted.
#include "actions/auditreader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const poolscope::AuditReadResult log = poolscope::parseAuditLog(bytes, 50);
    if (log.entries.size() > 50)
        __builtin_trap(); // the cap is the contract that keeps the audit view bounded
    return 0;
}
