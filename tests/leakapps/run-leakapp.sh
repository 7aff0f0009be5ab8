#!/bin/sh
# Compiles LeakApp.java (when the classes are missing or older than the source) and runs it
# with the class path of one pool.
#
#   run-leakapp.sh [-d CLASSDIR] POOL JDBC_URL USER LEAKS HOLD_SECONDS LOGFILE
#
#   POOL      hikari | c3p0 | dbcp2 | tomcat
#   JDBC_URL  e.g. jdbc:postgresql://127.0.0.1:5432/postgres (ApplicationName=leakapp-POOL is added)
#   LOGFILE   where the pool's and the application's log lines go (appended to)
#   CLASSDIR  where javac puts the classes; default $LEAKAPP_CLASSES, else
#             ${TMPDIR:-/tmp}/poolscope-leakapp-classes
#
# stdout gets one line, "READY <pid>...", once the connections are leaked; see LeakApp.java.
# The password, if any, is read from PGPASSWORD. JAVA (default: java) and JAVAC (default:
# javac) may name other binaries. Needs Debian 12's jars in /usr/share/java (JAVA_LIB overrides).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
classes=${LEAKAPP_CLASSES:-${TMPDIR:-/tmp}/poolscope-leakapp-classes}
if [ "${1:-}" = "-d" ]; then
    [ $# -ge 2 ] || { echo "run-leakapp.sh: -d needs a directory" >&2; exit 2; }
    classes=$2
    shift 2
fi
if [ $# -ne 6 ]; then
    echo "usage: run-leakapp.sh [-d CLASSDIR] hikari|c3p0|dbcp2|tomcat JDBC_URL USER LEAKS HOLD_SECONDS LOGFILE" >&2
    exit 2
fi
pool=$1 url=$2 user=$3 leaks=$4 hold=$5 logfile=$6
lib=${JAVA_LIB:-/usr/share/java}
java=${JAVA:-java}
javac=${JAVAC:-javac}

# Each jar with the Debian package that ships it.
jars_hikari="HikariCP.jar:libhikaricp-java slf4j-api.jar:libslf4j-java
    logback-classic.jar:liblogback-java logback-core.jar:liblogback-java"
jars_c3p0="c3p0.jar:libc3p0-java log4j-1.2-api.jar:liblog4j2-java
    log4j-api.jar:liblog4j2-java log4j-core.jar:liblog4j2-java"
jars_dbcp2="commons-dbcp2.jar:libcommons-dbcp2-java commons-pool2.jar:libcommons-pool2-java
    commons-logging.jar:libcommons-logging-java tomcat9-juli.jar:libtomcat9-java"
jars_tomcat="tomcat9-jdbc.jar:libtomcat9-java tomcat9-juli.jar:libtomcat9-java"
jars_driver="postgresql.jar:libpostgresql-jdbc-java"

case $pool in
    hikari) pool_jars=$jars_hikari ;;
    c3p0) pool_jars=$jars_c3p0 ;;
    dbcp2) pool_jars=$jars_dbcp2 ;;
    tomcat) pool_jars=$jars_tomcat ;;
    *) echo "run-leakapp.sh: unknown pool '$pool' (hikari, c3p0, dbcp2 or tomcat)" >&2; exit 2 ;;
esac

# Joins the jars of a list into a class path, or says which are missing and fails.
classpath_of() {
    cp="" missing=""
    for entry in $1; do
        jar=$lib/${entry%%:*}
        case ":$cp:$missing" in *"$jar"*) continue ;; esac
        if [ -r "$jar" ]; then
            cp=${cp:+$cp:}$jar
        else
            missing="$missing
  $jar (Debian package ${entry#*:})"
        fi
    done
    if [ -n "$missing" ]; then
        echo "run-leakapp.sh: missing jar(s):$missing" >&2
        return 1
    fi
    printf '%s\n' "$cp"
}

for tool in "$java" "$javac"; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run-leakapp.sh: '$tool' not found (Debian package default-jdk-headless)" >&2
        exit 1
    }
done

# javac needs every pool's jars (LeakApp.java names them all); the run needs only its own.
compile_cp=$(classpath_of "$jars_driver $jars_hikari $jars_c3p0 $jars_dbcp2 $jars_tomcat") || exit 1
run_cp=$(classpath_of "$jars_driver $pool_jars") || exit 1

# Compiled under a lock, so that runs started side by side do not compile over each other.
mkdir -p "$classes"
(
    flock 9
    if [ ! -f "$classes/LeakApp.class" ] || [ "$here/LeakApp.java" -nt "$classes/LeakApp.class" ]; then
        "$javac" -nowarn -encoding UTF-8 -d "$classes" -cp "$compile_cp" "$here/LeakApp.java" || {
            echo "run-leakapp.sh: javac failed on $here/LeakApp.java" >&2
            exit 1
        }
    fi
) 9>"$classes/.compile.lock" || exit 1

exec "$java" -Dleakapp.log="$logfile" -cp "$classes:$run_cp" \
    LeakApp "$pool" "$url" "$user" "$leaks" "$hold"
