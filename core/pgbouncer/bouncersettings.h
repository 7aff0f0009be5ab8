#pragma once

#include <QString>

namespace poolscope {

// A value for PgBouncer's `SET key = value`, checked before it is sent. PgBouncer's own parser
// (libusual's cfparser.c) reads an integer setting with strtol into an int and never says it
// wrapped: 99999999999 becomes 1,215,752,191 and 4294967297 becomes 1, and the console still
// answers "SET". So every setting PoolScope knows is checked against its type and the range
// PgBouncer can hold, and sent in a form PgBouncer cannot misread (decimal, never octal or hex,
// booleans as 0/1, durations converted by PoolScope's one duration reader).
struct CheckedSetting
{
    QString value; // what to send
    QString error; // why not, with what is allowed; empty when the value is good
    bool ok() const { return error.isEmpty(); }
};

// Settings PoolScope does not know (a newer PgBouncer's) pass unchanged.
CheckedSetting checkBouncerSetting(const QString &key, const QString &value);

// True when SHOW CONFIG's `readBack` is the value that was `sent`, as PgBouncer prints it
// (durations with printf's %g: six significant digits).
bool bouncerSettingReads(const QString &key, const QString &sent, const QString &readBack);

} // namespace poolscope
