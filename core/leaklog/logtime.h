#pragma once

#include <QByteArrayView>

#include <optional>

namespace poolscope {

// The time at the start of a log line, in the forms Logback, Log4j 2, java.util.logging's
// SimpleFormatter, Tomcat's OneLineFormatter and Python's logging write by default:
// "2026-12-07 01:02:03.456", "2026-12-07T01:02:03,456+01:00", "[2026-12-07 01:02:03]",
// "Dec 7, 2026 1:02:03 AM", "07-Dec-2026 01:02:03.456". Without an offset the time is the
// machine's local time, as the pool's JVM or interpreter wrote it. nullopt: not a time. Read
// by hand: it runs on every line of a log that may be an application's whole output.
std::optional<qint64> logLineTimeMs(QByteArrayView line);

// Whether the time starting this line stops at the seconds ("Dec 7, 2026 1:02:03 AM"): a
// time computed from it may be up to a second early.
bool logTimeHasWholeSeconds(QByteArrayView line);

// "2026-12-07 01:02:03 +0000" (a space before the zone allowed), as DBCP2 writes a checkout.
std::optional<qint64> timeWithZoneMs(QByteArrayView text);

} // namespace poolscope
