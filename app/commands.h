#pragma once

#include <QStringList>

#include <functional>

namespace poolscope {
class Recording;
}

namespace poolscope::cli {

// Each takes the verb's own arguments (arguments[0] is "poolscope VERB") and returns the
// process exit code.
int runSnapshot(const QStringList &arguments);
int runWatch(const QStringList &arguments);
int runDiagnose(const QStringList &arguments);
int runAdvise(const QStringList &arguments);
int runSignal(const QStringList &arguments, bool terminate);
int runLimit(const QStringList &arguments);
int runBouncerSet(const QStringList &arguments);
int runBouncerCommand(const QStringList &arguments, const QString &verb); // pause, resume, reconnect, …
int runRecord(const QStringList &arguments);
// drawChart(recording, png) draws the report's picture, returning an error or nothing.
int runReport(const QStringList &arguments, const std::function<QString(const Recording &, const QString &)> &drawChart);

} // namespace poolscope::cli
