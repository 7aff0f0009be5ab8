#pragma once

#include <QString>
#include <QStringList>

#include <memory>

namespace poolscope {

// The connection pools whose leak reports PoolScope reads (leaklog/).
enum class LeakLogPool { HikariCP, C3P0, DBCP2, TomcatJdbc, SQLAlchemy };
QString leakLogPoolName(LeakLogPool pool); // "HikariCP", "c3p0", …

// How sure the join of a report to a session is, weakest first.
enum class LeakJoin {
    None,
    OwnerOnly,  // same owner and a state a checked-out connection has; no time to compare
    TimeWindow, // its transaction (or last query) began between the checkout and the report
    ExactTime,  // …within a second of the checkout the report gives or implies
};
QString leakJoinName(LeakJoin join); // "owner only", "time window", "exact time match"
QString leakJoinKey(LeakJoin join);  // "owner", "window", "exact": for JSON

// One leak report a pool wrote to its log: where a connection that was never given back was
// checked out. Times are milliseconds since the epoch (0 = unknown); the log's own clock.
struct LeakReport
{
    LeakLogPool pool = LeakLogPool::HikariCP;
    QString file;        // the log it came from, as the operator named it
    qint64 line = 0;     // of its first line, 1-based
    qint64 loggedAtMs = 0;    // a report without a time of its own (DBCP2): the last time logged before it
    qint64 checkoutAtMs = 0;  // from the text (DBCP2, Tomcat's elapsed time) or logged − threshold
    bool checkoutExact = false; // the text gave it; false: estimated from the operator's threshold
    int checkoutSlackMs = 0;    // how much later the true checkout may be: a time written to the second
    bool closesConnection = false; // the pool closed the connection as it reported (c3p0, DBCP2, Tomcat abandon)
    QString connection;  // the pool's name for the connection ("org.postgresql.jdbc.PgConnection@1b2c3d")
    QString thread;      // that checked it out, when the report says (HikariCP): not the one that logged it
    QString owner;       // the operator's mapping from this log to an owner, or empty
    QString message;     // the report's first line, as written
    QStringList stack;   // the checkout's frames, innermost first, the pool's own dropped
    int framesDropped = 0; // pool, driver and JDK frames above the application's
    bool withdrawn = false; // HikariCP: "…was returned to the pool (unleaked)"
};
using LeakReportPtr = std::shared_ptr<const LeakReport>;

} // namespace poolscope
