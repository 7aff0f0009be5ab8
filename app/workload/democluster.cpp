#include "democluster.h"

#include <libpq-fe.h>

#include <QCollator>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QThread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace poolscope::workload {

namespace {

const char kServerOwner[] = "postgres"; // the user the postgresql package creates

QString findPostgresBin()
{
    const QString configured = qEnvironmentVariable("POOLSCOPE_PG_BIN");
    if (!configured.isEmpty())
        return QFileInfo::exists(configured + QStringLiteral("/initdb")) ? configured : QString();
    // Debian keeps the server binaries out of PATH, one directory per major version.
    QDir versions(QStringLiteral("/usr/lib/postgresql"));
    QStringList majors = versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    QCollator numeric;
    numeric.setNumericMode(true);
    std::sort(majors.begin(), majors.end(), [&](const QString &a, const QString &b) { return numeric.compare(a, b) > 0; });
    for (const QString &major : std::as_const(majors)) {
        const QString bin = versions.filePath(major + QStringLiteral("/bin"));
        if (QFileInfo(bin + QStringLiteral("/initdb")).isExecutable())
            return bin;
    }
    const QString initdb = QStandardPaths::findExecutable(QStringLiteral("initdb"));
    return initdb.isEmpty() ? QString() : QFileInfo(initdb).absolutePath();
}

QString findSystemTool(const QString &name)
{
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty()) // not in an unprivileged user's PATH on Debian
        path = QStandardPaths::findExecutable(name, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"),
                                                     QStringLiteral("/usr/local/sbin")});
    return path;
}

// A port nobody listens on now. Another process could take it before the server does; the
// server then fails to start with a clear message in its log.
int freeLoopbackPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

// Alive and not a zombie (a container's PID 1 may never reap the daemons we started).
bool processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')');
    return close >= 0 && text.mid(close + 2, 1) != "Z";
}

qint64 pidFromFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return file.readLine().trimmed().toLongLong();
}

bool waitForExit(qint64 pid, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (processAlive(pid)) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        QThread::msleep(50);
    }
    return true;
}

// Whether `pid` is still the daemon we started in `directory`: a pid file left by a crash or
// a reboot may name a pid that now belongs to someone else's process, which must not be hit.
bool runsIn(qint64 pid, const QString &directory)
{
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    return cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(QFile::encodeName(directory));
}

// Ends the daemon of `directory` with `polite`, then harder if it does not go.
void endProcess(qint64 pid, const QString &directory, int polite, std::chrono::milliseconds patience)
{
    if (!processAlive(pid) || !runsIn(pid, directory))
        return;
    ::kill(pid_t(pid), polite);
    if (waitForExit(pid, patience))
        return;
    ::kill(pid_t(pid), SIGQUIT); // PostgreSQL: immediate shutdown
    if (waitForExit(pid, std::chrono::seconds(5)))
        return;
    ::kill(pid_t(pid), SIGKILL);
    waitForExit(pid, std::chrono::seconds(5));
}

// Stops whatever still runs in a demo directory and removes it.
void stopAndRemove(const QString &directory)
{
    endProcess(pidFromFile(directory + QStringLiteral("/pgbouncer.pid")), directory, SIGTERM, std::chrono::seconds(5));
    // SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing is waited for.
    endProcess(pidFromFile(directory + QStringLiteral("/pg/postmaster.pid")), directory, SIGINT, std::chrono::seconds(10));
    QDir(directory).removeRecursively();
}

bool writeFile(const QString &path, const QByteArray &contents, QFileDevice::Permissions permissions, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(contents) != contents.size()
        || !file.setPermissions(permissions)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QString lastLines(const QString &text, int count)
{
    const QStringList lines = text.trimmed().split(u'\n');
    return lines.mid(qMax(0, int(lines.size()) - count)).join(u'\n');
}

} // namespace

DemoCluster::DemoCluster()
    : DemoCluster(Options{})
{
}

DemoCluster::DemoCluster(Options options)
    : m_options(std::move(options))
{
    if (m_options.parentDirectory.isEmpty())
        m_options.parentDirectory = QDir::tempPath();
}

DemoCluster::~DemoCluster()
{
    stop();
}

QStringList DemoCluster::removeStale(const QString &parent)
{
    QStringList removed;
    const QDir directory(parent);
    const QStringList candidates = directory.entryList({directoryPrefix() + u'*'}, QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &name : candidates) {
        const QString path = directory.filePath(name);
        const QFileInfo owner(path + QStringLiteral("/owner"));
        // Only our own user's demos, and only when the process that started them is gone. A
        // directory without an owner file is a start that died before writing it.
        if (owner.exists() && (owner.ownerId() != ::geteuid() || processAlive(pidFromFile(owner.filePath()))))
            continue;
        if (!owner.exists() && QFileInfo(path).lastModified().secsTo(QDateTime::currentDateTime()) < 120)
            continue; // maybe still being set up by another start
        stopAndRemove(path);
        removed.append(path);
    }
    return removed;
}

bool DemoCluster::start(QString *error, const Progress &progress)
{
    const auto step = [&](const QString &text) {
        if (progress)
            progress(text);
    };
    m_postgresBin = findPostgresBin();
    if (m_postgresBin.isEmpty()) {
        *error = QStringLiteral("the PostgreSQL server programs (initdb, pg_ctl) were not found: install the "
                                "Debian package 'postgresql' (sudo apt-get install postgresql), or point "
                                "POOLSCOPE_PG_BIN at the directory that holds them");
        return false;
    }
    m_pgbouncer = findSystemTool(QStringLiteral("pgbouncer"));
    if (m_pgbouncer.isEmpty()) {
        *error = QStringLiteral("PgBouncer was not found: install the Debian package 'pgbouncer' "
                                "(sudo apt-get install pgbouncer)");
        return false;
    }
    if (::geteuid() == 0) {
        m_runuser = findSystemTool(QStringLiteral("runuser"));
        if (!::getpwnam(kServerOwner) || m_runuser.isEmpty()) {
            *error = QStringLiteral("PostgreSQL and PgBouncer refuse to run as root, and there is no '%1' user "
                                    "(or no runuser) to run them as: install the 'postgresql' package, which creates it, "
                                    "or run the demo as an ordinary user")
                         .arg(QLatin1String(kServerOwner));
            return false;
        }
    }
    const QStringList stale = removeStale(m_options.parentDirectory);
    if (!stale.isEmpty())
        step(QStringLiteral("removed %1 demo cluster(s) left by an earlier run").arg(stale.size()));

    QByteArray templatePath = QDir(m_options.parentDirectory).filePath(directoryPrefix() + QStringLiteral("XXXXXX")).toLocal8Bit();
    if (!::mkdtemp(templatePath.data())) {
        *error = QStringLiteral("cannot create a directory in %1: %2").arg(m_options.parentDirectory, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    m_directory = QString::fromLocal8Bit(templatePath);
    m_password = QString::number(QRandomGenerator::system()->generate64(), 16)
        + QString::number(QRandomGenerator::system()->generate64(), 16);
    const QByteArray pgpass = QStringLiteral("127.0.0.1:*:*:*:%1\n").arg(m_password).toUtf8();
    // The owner file marks whose demo this is: a later start removes the directory once that
    // process is gone.
    bool ok = writeFile(m_directory + QStringLiteral("/owner"), QByteArray::number(qint64(::getpid())) + '\n',
                        QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther, error)
        && writeFile(m_directory + QStringLiteral("/pgpass"), pgpass, QFile::ReadOwner | QFile::WriteOwner, error)
        && QFile::setPermissions(m_directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                                                  | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther)
        && chownToServerOwner(m_directory, error);
    if (!ok) {
        if (error->isEmpty())
            *error = QStringLiteral("cannot set up %1").arg(m_directory);
        stop();
        return false;
    }
    step(QStringLiteral("starting PostgreSQL in %1").arg(m_directory));
    ok = startPostgres(error) && createShopDatabase(error);
    if (ok) {
        step(QStringLiteral("starting PgBouncer"));
        ok = startBouncer(error);
    }
    if (!ok)
        stop();
    return ok;
}

void DemoCluster::stop()
{
    if (m_directory.isEmpty())
        return;
    stopAndRemove(m_directory);
    m_directory.clear();
    m_postgresPort = m_bouncerPort = 0;
}

bool DemoCluster::runAsServerOwner(const QString &program, const QStringList &arguments, QString *error) const
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setWorkingDirectory(m_directory); // readable by the server owner, unlike root's cwd
    if (m_runuser.isEmpty()) {
        process.start(program, arguments);
    } else {
        process.start(m_runuser, QStringList{QStringLiteral("-u"), QLatin1String(kServerOwner), QStringLiteral("--"), program} + arguments);
    }
    const bool finished = process.waitForFinished(120000);
    if (finished && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0)
        return true;
    if (!finished)
        process.kill();
    *error = QStringLiteral("%1 failed: %2").arg(QFileInfo(program).fileName(),
                                                 lastLines(QString::fromLocal8Bit(process.readAll()), 6));
    if (process.error() == QProcess::FailedToStart)
        *error = QStringLiteral("cannot run %1: %2").arg(program, process.errorString());
    return false;
}

bool DemoCluster::chownToServerOwner(const QString &path, QString *error) const
{
    if (m_runuser.isEmpty())
        return true;
    const passwd *owner = ::getpwnam(kServerOwner);
    if (owner && ::chown(QFile::encodeName(path).constData(), owner->pw_uid, owner->pw_gid) == 0)
        return true;
    *error = QStringLiteral("cannot hand %1 to the '%2' user: %3").arg(path, QLatin1String(kServerOwner), QString::fromLocal8Bit(strerror(errno)));
    return false;
}

bool DemoCluster::startPostgres(QString *error)
{
    const QString passwordFile = m_directory + QStringLiteral("/initdb-password");
    if (!writeFile(passwordFile, m_password.toUtf8() + '\n', QFile::ReadOwner | QFile::WriteOwner, error)
        || !chownToServerOwner(passwordFile, error))
        return false;
    const QString data = m_directory + QStringLiteral("/pg");
    const bool initialised = runAsServerOwner(m_postgresBin + QStringLiteral("/initdb"),
                                              {QStringLiteral("-D"), data, QStringLiteral("-U"), QLatin1String(kServerOwner),
                                               QStringLiteral("--pwfile=") + passwordFile, QStringLiteral("--auth=scram-sha-256"),
                                               QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C.UTF-8"),
                                               QStringLiteral("--no-sync")},
                                              error);
    QFile::remove(passwordFile);
    if (!initialised)
        return false;
    m_postgresPort = freeLoopbackPort();
    // Small on purpose: the flood has to reach max_connections. Only the server owner may use
    // the Unix socket; everyone else comes over TCP with the password.
    const QString settings = QStringLiteral(
        "\n# PoolScope demo\n"
        "listen_addresses = '127.0.0.1'\n"
        "port = %1\n"
        "unix_socket_directories = '%2'\n"
        "unix_socket_permissions = 0700\n"
        "max_connections = %3\n"
        "superuser_reserved_connections = %4\n"
        "shared_buffers = 32MB\n"
        "fsync = off\n"
        "synchronous_commit = off\n"
        "full_page_writes = off\n")
        .arg(m_postgresPort).arg(m_directory).arg(m_options.maxConnections).arg(m_options.superuserReserved);
    QFile config(data + QStringLiteral("/postgresql.conf"));
    if (!config.open(QIODevice::Append) || config.write(settings.toUtf8()) < 0) {
        *error = QStringLiteral("cannot write %1: %2").arg(config.fileName(), config.errorString());
        return false;
    }
    config.close();
    return runAsServerOwner(m_postgresBin + QStringLiteral("/pg_ctl"),
                            {QStringLiteral("-D"), data, QStringLiteral("-l"), m_directory + QStringLiteral("/postgres.log"),
                             QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"), QStringLiteral("start")},
                            error);
}

bool DemoCluster::createShopDatabase(QString *error)
{
    PGconn *connection = PQconnectdb(postgresConninfo().toUtf8().constData());
    bool ok = PQstatus(connection) == CONNECTION_OK;
    if (ok) {
        // The password is hex digits: nothing to quote.
        const QByteArray sql = QStringLiteral("CREATE ROLE shop LOGIN PASSWORD '%1'").arg(m_password).toUtf8();
        for (const QByteArray &statement : {sql, QByteArrayLiteral("CREATE DATABASE shop OWNER shop")}) {
            PGresult *result = PQexec(connection, statement.constData());
            ok = ok && PQresultStatus(result) == PGRES_COMMAND_OK;
            if (!ok && error->isEmpty())
                *error = QStringLiteral("setting up the shop's database failed: %1").arg(QString::fromUtf8(PQresultErrorMessage(result)).trimmed());
            PQclear(result);
        }
    } else {
        *error = QStringLiteral("the demo's PostgreSQL started but does not let us in: %1")
                     .arg(QString::fromUtf8(PQerrorMessage(connection)).trimmed());
    }
    PQfinish(connection);
    return ok;
}

bool DemoCluster::startBouncer(QString *error)
{
    m_bouncerPort = freeLoopbackPort();
    while (m_bouncerPort == m_postgresPort)
        m_bouncerPort = freeLoopbackPort();
    const QString users = QStringLiteral("\"postgres\" \"%1\"\n\"shop\" \"%1\"\n").arg(m_password);
    // Transaction pooling, as in production; server_login_retry short so that a refused
    // server login during the flood is retried within the demo's pace.
    const QString ini = QStringLiteral(
        "[databases]\n"
        "shop = host=127.0.0.1 port=%1 dbname=shop\n"
        "\n[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        "listen_port = %2\n"
        "unix_socket_dir =\n"
        "auth_type = scram-sha-256\n"
        "auth_file = %3/userlist.txt\n"
        "admin_users = postgres\n"
        "stats_users = postgres\n"
        "pool_mode = transaction\n"
        "default_pool_size = %4\n"
        "max_client_conn = 500\n"
        "server_login_retry = 3\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        "logfile = %3/pgbouncer.log\n"
        "pidfile = %3/pgbouncer.pid\n")
        .arg(m_postgresPort).arg(m_bouncerPort).arg(m_directory).arg(m_options.bouncerPoolSize);
    const QString userlist = m_directory + QStringLiteral("/userlist.txt");
    const QString config = m_directory + QStringLiteral("/pgbouncer.ini");
    if (!writeFile(userlist, users.toUtf8(), QFile::ReadOwner | QFile::WriteOwner, error)
        || !writeFile(config, ini.toUtf8(), QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther, error)
        || !chownToServerOwner(userlist, error) || !chownToServerOwner(config, error))
        return false;
    if (!runAsServerOwner(m_pgbouncer, {QStringLiteral("-d"), config}, error))
        return false;
    // -d returns once it has forked; wait until the console answers.
    const QByteArray console = bouncerConsoleConninfo().toUtf8();
    for (int attempt = 0; attempt < 100; ++attempt) {
        if (PQping(console.constData()) == PQPING_OK)
            return true;
        QThread::msleep(100);
    }
    QFile log(m_directory + QStringLiteral("/pgbouncer.log"));
    log.open(QIODevice::ReadOnly);
    *error = QStringLiteral("PgBouncer did not start listening on port %1: %2").arg(m_bouncerPort).arg(lastLines(QString::fromUtf8(log.readAll()), 4));
    return false;
}

QString DemoCluster::commonConninfo(int port, const QString &user, const QString &database) const
{
    return QStringLiteral("host=127.0.0.1 port=%1 user=%2 dbname=%3 passfile=%4/pgpass connect_timeout=5")
        .arg(port).arg(user, database, m_directory);
}

QString DemoCluster::postgresConninfo() const
{
    return commonConninfo(m_postgresPort, QLatin1String(kServerOwner), QStringLiteral("postgres"));
}

QString DemoCluster::bouncerConsoleConninfo() const
{
    return commonConninfo(m_bouncerPort, QLatin1String(kServerOwner), QStringLiteral("pgbouncer"));
}

QString DemoCluster::shopConninfo() const
{
    return commonConninfo(m_bouncerPort, QStringLiteral("shop"), QStringLiteral("shop"));
}

QString DemoCluster::shopDirectConninfo() const
{
    return commonConninfo(m_postgresPort, QStringLiteral("shop"), QStringLiteral("shop"));
}

} // namespace poolscope::workload
