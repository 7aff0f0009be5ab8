#pragma once

#include <QByteArray>
#include <QList>
#include <QStringList>

namespace poolscope {

// The frames of the exception a pool logged as its leak report (HikariCP's "Apparent
// connection leak detected", c3p0's checkout trace, DBCP2's and Tomcat's call stacks), as
// Throwable.printStackTrace writes them: "\tat pkg.Class.method(File.java:12)", perhaps
// followed by Logback's packaging data ("~[HikariCP.jar:na]"); "... 5 more" skipped; the
// frames of a "Caused by:" or "Suppressed:" are another exception's and are not read.
struct JavaStack
{
    QStringList applicationFrames; // innermost first, from the first frame outside the libraries
    int libraryFrames = 0;         // the pool's, the driver's and the JDK's frames above them
};
JavaStack readJavaStack(const QList<QByteArray> &lines, int markerLine);

// Frames of the JDK, the pools and the JDBC driver: a leak is never theirs.
bool isLibraryFrame(QStringView frame);

} // namespace poolscope
