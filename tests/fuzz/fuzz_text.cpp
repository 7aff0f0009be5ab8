// libFuzzer target: connection strings from users and the redaction applied to every message.
#include "postgres/conninfo.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    if (const auto info = poolscope::ConnInfo::parse(text, &error)) {
        (void)info->displayName();
        (void)info->redacted();
        (void)info->connectParams(QByteArrayLiteral("poolscope"));
    }
    (void)poolscope::redactSecrets(text);
    return 0;
}
