#include "model/duration.h"

#include <QRegularExpression>

#include <cmath>

namespace poolscope {

std::optional<double> parseSeconds(const QString &text)
{
    static const QRegularExpression pattern(
        QStringLiteral(R"(^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|sec|m|min|h|d)?\s*$)"));
    const auto match = pattern.match(text);
    if (!match.hasMatch())
        return std::nullopt;
    const double value = match.captured(1).toDouble();
    const QString unit = match.captured(2);
    double seconds = value;
    if (unit == QLatin1String("ms"))
        seconds = value / 1000;
    else if (unit == QLatin1String("m") || unit == QLatin1String("min"))
        seconds = value * 60;
    else if (unit == QLatin1String("h"))
        seconds = value * 3600;
    else if (unit == QLatin1String("d"))
        seconds = value * 86400;
    if (!std::isfinite(seconds))
        return std::nullopt;
    return seconds;
}

std::optional<std::chrono::milliseconds> parseDuration(const QString &text)
{
    const std::optional<double> seconds = parseSeconds(text);
    // Beyond about 292 million years a count of milliseconds no longer fits.
    if (!seconds || *seconds > 9.2e15)
        return std::nullopt;
    return std::chrono::milliseconds(std::llround(*seconds * 1000));
}

QString durationSetting(std::chrono::milliseconds duration)
{
    const qint64 ms = duration.count();
    if (ms == 0)
        return QStringLiteral("0");
    if (ms % 1000 == 0)
        return QString::number(ms / 1000) + u's';
    return QString::number(ms) + QStringLiteral("ms");
}

} // namespace poolscope
