#pragma once

#include <QString>

#include <chrono>
#include <optional>

namespace poolscope {

// The one reader of durations a person types, for every option of the command line and every
// field of the window: "30s", "1.5min", "250ms", "2h", "1d", with or without a space. A bare
// number is seconds, everywhere: PostgreSQL would read a bare 60 as 60 ms for a timeout, and
// PgBouncer as 60 s; PoolScope converts before anything is sent, so the two never disagree.
// Units: ms, s, sec, m, min, h, d. Refuses negative, empty and non-finite values.
std::optional<double> parseSeconds(const QString &text);
// The same, rounded to whole milliseconds.
std::optional<std::chrono::milliseconds> parseDuration(const QString &text);

// The value with its unit as PostgreSQL and PgBouncer read it back: "60s", "1500ms", "0".
QString durationSetting(std::chrono::milliseconds duration);

} // namespace poolscope
