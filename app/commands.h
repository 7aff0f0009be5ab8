#pragma once

#include <QStringList>

namespace poolscope::cli {

// Each takes the verb's own arguments (arguments[0] is "poolscope VERB") and returns the
// process exit code.
int runSnapshot(const QStringList &arguments);
int runWatch(const QStringList &arguments);
int runSignal(const QStringList &arguments, bool terminate);
int runLimit(const QStringList &arguments);
int runBouncerSet(const QStringList &arguments);
int runBouncerCommand(const QStringList &arguments, const QString &verb); // pause, resume, reconnect, …

} // namespace poolscope::cli
