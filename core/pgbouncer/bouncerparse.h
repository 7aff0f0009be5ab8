#pragma once

#include "model/bouncersnapshot.h"
#include "pgbouncer/resulttable.h"

namespace poolscope {

// Readers of the PgBouncer console's answers. Every column is looked up by name: versions
// 1.18 to 1.25 add, rename and drop columns, and a missing one is left at its default.
int parseBouncerVersion(const QString &text, QString *version); // "PgBouncer 1.18.0" -> 11800
QList<BouncerPool> parsePools(const ResultTable &table);
QList<BouncerConnection> parseConnections(const ResultTable &table); // SHOW CLIENTS or SHOW SERVERS
QList<BouncerDatabase> parseDatabases(const ResultTable &table);
QList<BouncerSetting> parseConfig(const ResultTable &table);
QList<BouncerStats> parseStats(const ResultTable &table);
QMap<QString, qint64> parseLists(const ResultTable &table);

// The console commands PoolScope reads, by name ("pools" is SHOW POOLS).
const QStringList &bouncerCommands();

// Builds a snapshot from the console's answers, keyed by command name. A command the console
// did not know is simply absent from `tables` and is listed in missingCommands. Its findings
// are the databases'.
void assembleBouncerSnapshot(BouncerSnapshot &snapshot, const QMap<QString, ResultTable> &tables);

// A paused or disabled database holds its clients back by design, and nothing else in the
// console's answers says so: one finding each ("database-paused", "database-disabled").
QList<Finding> databaseFindings(const QList<BouncerDatabase> &databases);

// Fills each pool's effective size and where it comes from: a per-database pool_size wins
// over default_pool_size.
void resolvePoolSizes(BouncerSnapshot &snapshot);

// Rates from cumulative counters. A counter that went backwards (PgBouncer restarted) gives a
// rate of 0, never a negative one.
void computeRates(QList<BouncerStats> &current, const QList<BouncerStats> &previous, double seconds);

} // namespace poolscope
