#include "leaklog/logtime.h"

#include <QDateTime>
#include <QTimeZone>

namespace poolscope {

namespace {

// A cursor over the start of a line, for reading a time by hand: it runs on every line of a log
// that may be an application's whole output.
struct Cursor
{
    QByteArrayView text;
    qsizetype at = 0;

    bool atEnd() const { return at >= text.size(); }
    char peek() const { return atEnd() ? '\0' : text[at]; }
    bool take(char c)
    {
        if (peek() != c)
            return false;
        ++at;
        return true;
    }
    // Exactly `count` digits (count > 0), or between min and max when max > min.
    std::optional<int> digits(int min, int max)
    {
        int value = 0;
        int n = 0;
        while (n < max && !atEnd() && text[at] >= '0' && text[at] <= '9') {
            value = value * 10 + (text[at] - '0');
            ++at;
            ++n;
        }
        if (n < min)
            return std::nullopt;
        return value;
    }
    std::optional<int> month() // "Jan" … "Dec"
    {
        static constexpr const char *names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        if (at + 3 > text.size())
            return std::nullopt;
        for (int i = 0; i < 12; ++i) {
            if (text.sliced(at, 3) == QByteArrayView(names[i], 3)) {
                at += 3;
                return i + 1;
            }
        }
        return std::nullopt;
    }
};

// hh:mm:ss with optional fractions (.123 or ,123).
std::optional<QTime> readClock(Cursor &c, int hourDigitsMin)
{
    const auto h = c.digits(hourDigitsMin, 2);
    if (!h || !c.take(':'))
        return std::nullopt;
    const auto m = c.digits(2, 2);
    if (!m || !c.take(':'))
        return std::nullopt;
    const auto s = c.digits(2, 2);
    if (!s)
        return std::nullopt;
    int ms = 0;
    if (c.peek() == '.' || c.peek() == ',') {
        const qsizetype start = ++c.at;
        const auto fraction = c.digits(1, 9);
        if (!fraction)
            return std::nullopt;
        const qsizetype n = c.at - start;
        QByteArrayView f = c.text.sliced(start, qMin<qsizetype>(n, 3));
        for (char d : f)
            ms = ms * 10 + (d - '0');
        for (qsizetype i = f.size(); i < 3; ++i)
            ms *= 10;
    }
    QTime time(*h, *m, qMin(*s, 59), ms);
    if (!time.isValid())
        return std::nullopt;
    return time;
}

// "Z", "+01:00", "+0100", "-05" after an ISO time; nullopt when there is none.
std::optional<int> readOffsetSeconds(Cursor &c)
{
    if (c.take('Z'))
        return 0;
    const char sign = c.peek();
    if (sign != '+' && sign != '-')
        return std::nullopt;
    Cursor probe = c;
    ++probe.at;
    const auto hours = probe.digits(2, 2);
    if (!hours)
        return std::nullopt;
    probe.take(':');
    const auto minutes = probe.digits(2, 2);
    c = probe;
    const int seconds = (*hours * 60 + minutes.value_or(0)) * 60;
    return sign == '-' ? -seconds : seconds;
}

std::optional<qint64> epochMs(QDate date, QTime time, std::optional<int> offsetSeconds)
{
    if (!date.isValid() || !time.isValid())
        return std::nullopt;
    const QDateTime at = offsetSeconds ? QDateTime(date, time, QTimeZone(*offsetSeconds)) : QDateTime(date, time);
    if (!at.isValid())
        return std::nullopt;
    return at.toMSecsSinceEpoch();
}

// What may follow a time at the start of a line: the rest of a log prefix, not more digits.
bool endsTime(const Cursor &c)
{
    const char next = c.peek();
    return next == '\0' || next == ' ' || next == '\t' || next == ']' || next == '|' || next == ',';
}

std::optional<qint64> isoTime(Cursor c) // 2026-12-07[ T]01:02:03[.456][Z|+01:00]
{
    const auto year = c.digits(4, 4);
    if (!year || !c.take('-'))
        return std::nullopt;
    const auto month = c.digits(2, 2);
    if (!month || !c.take('-'))
        return std::nullopt;
    const auto day = c.digits(2, 2);
    if (!day || !(c.take(' ') || c.take('T')))
        return std::nullopt;
    const auto time = readClock(c, 2);
    if (!time)
        return std::nullopt;
    const auto offset = readOffsetSeconds(c);
    if (!endsTime(c))
        return std::nullopt;
    return epochMs(QDate(*year, *month, *day), *time, offset);
}

std::optional<qint64> julTime(Cursor c) // Dec 7, 2026 1:02:03 AM (SimpleFormatter, English)
{
    const auto month = c.month();
    if (!month || !c.take(' '))
        return std::nullopt;
    const auto day = c.digits(1, 2);
    if (!day || !c.take(',') || !c.take(' '))
        return std::nullopt;
    const auto year = c.digits(4, 4);
    if (!year || !c.take(' '))
        return std::nullopt;
    const auto time = readClock(c, 1);
    if (!time || !c.take(' '))
        return std::nullopt;
    const bool pm = c.take('P');
    if (!pm && !c.take('A'))
        return std::nullopt;
    if (!c.take('M') || !endsTime(c))
        return std::nullopt;
    const int hour12 = time->hour() % 12;
    const QTime clock(pm ? hour12 + 12 : hour12, time->minute(), time->second(), time->msec());
    return epochMs(QDate(*year, *month, *day), clock, std::nullopt);
}

std::optional<qint64> tomcatTime(Cursor c) // 07-Dec-2026 01:02:03.456 (OneLineFormatter)
{
    const auto day = c.digits(2, 2);
    if (!day || !c.take('-'))
        return std::nullopt;
    const auto month = c.month();
    if (!month || !c.take('-'))
        return std::nullopt;
    const auto year = c.digits(4, 4);
    if (!year || !c.take(' '))
        return std::nullopt;
    const auto time = readClock(c, 2);
    if (!time || !endsTime(c))
        return std::nullopt;
    return epochMs(QDate(*year, *month, *day), *time, std::nullopt);
}

} // namespace

std::optional<qint64> logLineTimeMs(QByteArrayView line)
{
    Cursor c{line};
    c.take('[');
    const char first = c.peek();
    if (first >= '0' && first <= '9') {
        if (c.text.size() > c.at + 4 && c.text[c.at + 4] == '-')
            return isoTime(c);
        return tomcatTime(c);
    }
    if (first >= 'A' && first <= 'S')
        return julTime(c);
    return std::nullopt;
}

bool logTimeHasWholeSeconds(QByteArrayView line)
{
    if (!logLineTimeMs(line))
        return false;
    const qsizetype clock = line.indexOf(':');
    if (clock < 0 || clock + 6 >= line.size())
        return true;
    const char after = line[clock + 6]; // hh:mm:ss then '.', ',' or something else
    return after != '.' && after != ',';
}

std::optional<qint64> timeWithZoneMs(QByteArrayView text)
{
    Cursor c{text};
    const auto year = c.digits(4, 4);
    if (!year || !c.take('-'))
        return std::nullopt;
    const auto month = c.digits(2, 2);
    const auto day = (month && c.take('-')) ? c.digits(2, 2) : std::nullopt;
    if (!day || !c.take(' '))
        return std::nullopt;
    const auto clock = readClock(c, 2);
    if (!clock)
        return std::nullopt;
    c.take(' ');
    const auto offset = readOffsetSeconds(c);
    return epochMs(QDate(*year, *month, *day), *clock, offset);
}

} // namespace poolscope
