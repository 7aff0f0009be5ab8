// libFuzzer target: the window's settings file, which a person may edit by hand or a crash may
// cut. Whatever it holds, what PoolScope takes from it stays within the ranges the window offers.
#include "settings/storedsettings.h"

#include <QFile>
#include <QTemporaryDir>

#include <cmath>
#include <cstddef>
#include <cstdint>

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static QTemporaryDir dir;
    static quint64 count = 0;
    // A new name each time: QSettings caches a file's contents by its path.
    const QString path = dir.filePath(QStringLiteral("%1.conf").arg(count++));
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            __builtin_trap();
        file.write(reinterpret_cast<const char *>(data), qint64(size));
    }
    {
        QSettings settings(path, QSettings::IniFormat);
        const StoredSettings stored = readStoredSettings(settings);
        const AlertRules &r = stored.alertRules;
        if (!(r.slotsUsedPercent >= 1 && r.slotsUsedPercent <= 100) ||
            !(r.waitingLongerThanSeconds >= 0 && r.waitingLongerThanSeconds <= 3600) || r.risingSamples < 0 ||
            r.risingSamples == 1 || r.risingSamples > 100 ||
            stored.recordingCapMegabytes < StoredSettings::kMinRecordingCapMegabytes ||
            stored.recordingCapMegabytes > StoredSettings::kMaxRecordingCapMegabytes ||
            stored.targets.size() > StoredSettings::kMaxTargets)
            __builtin_trap();
    }
    QFile::remove(path);
    return 0;
}
