#pragma once

#include "analysis/classifier.h"
#include "postgres/conninfo.h"
#include "exitcodes.h"
#include "analysis/owners.h"
#include "postgres/pgconnection.h"
#include "leaklog/leaklogparser.h"
#include "model/duration.h" // parseSeconds and parseDuration: the one duration reader

#include <QCommandLineParser>
#include <QTextStream>

#include <chrono>
#include <optional>

namespace poolscope::cli {

QTextStream &out();
QTextStream &err();
// Bytes straight to standard output (a JSON document), after what out() has buffered.
void writeOut(const QByteArray &bytes);

// Parses the verb's arguments; prints help or the error and returns an exit code when the
// command should stop here.
std::optional<int> parseOrExit(QCommandLineParser &parser, const QStringList &arguments, int minPositional,
                               int maxPositional);

// Validates the CONNINFO argument with libpq; prints libpq's message on failure.
std::optional<ConnInfo> targetFrom(const QString &text);

// Options shared by the reading verbs: owner grouping and every leak threshold.
void addAnalysisOptions(QCommandLineParser &parser);
// Returns std::nullopt after printing the error.
std::optional<LeakRules> rulesFrom(const QCommandLineParser &parser);
std::optional<OwnerKey> ownerKeyFrom(const QCommandLineParser &parser);
// --leak-log [OWNER=]FILE[,threshold=DURATION], repeatable. Returns std::nullopt after printing
// the error; a file that cannot be read is not an error here (it is followed until it can).
std::optional<QList<LeakLogSpec>> leakLogsFrom(const QCommandLineParser &parser);

QCommandLineOption timeoutOption();
// --server-budget PERCENT: the share of the interval one read may cost before the interval is
// stretched (0 or "off": never stretched). Returns std::nullopt after printing the error.
QCommandLineOption serverBudgetOption();
std::optional<double> serverBudgetFrom(const QCommandLineParser &parser);
std::chrono::milliseconds timeoutFrom(const QCommandLineParser &parser, bool *ok);

// Prints a connection error with advice, and returns the exit code for it: 2 when libpq
// refused the options before connecting (sslmode=bogus, a missing service), 3 otherwise.
int reportConnectionError(const ConnInfo &target, const PgError &error);

// Asks "Proceed? [y/N]" unless --yes; refuses without a terminal. Returns ExitOk to go on.
int confirm(bool yes, const QString &question);

int terminalWidth();

// Ctrl-C, SIGTERM and SIGHUP (the SSH session went away) quit the event loop, so that the
// verb closes its connections and files on the way out.
void quitOnInterrupt();

} // namespace poolscope::cli
