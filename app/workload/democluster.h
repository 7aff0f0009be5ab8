#pragma once

#include <QString>
#include <QStringList>

#include <functional>

namespace poolscope::workload {

// The demo's throwaway servers: a PostgreSQL cluster and a PgBouncer in front of it, in a
// temporary directory, on free loopback ports. PostgreSQL and PgBouncer refuse to run as
// root, so as root they run as the `postgres` user. A generated password reaches the clients
// only through a pgpass file in the directory, never a command line.
//
// Everything is stopped and removed by stop() or the destructor. A directory whose owning
// process died without stopping it (killed, crashed) is cleaned up by the next start().
class DemoCluster
{
public:
    struct Options
    {
        QString parentDirectory; // where the temporary directory goes [QDir::tempPath()]
        int maxConnections = 50; // small, so that the flood reaches it
        int superuserReserved = 3;
        int bouncerPoolSize = 10;
    };
    using Progress = std::function<void(const QString &step)>;

    DemoCluster();
    explicit DemoCluster(Options options);
    ~DemoCluster();
    DemoCluster(const DemoCluster &) = delete;
    DemoCluster &operator=(const DemoCluster &) = delete;

    // Starts both servers; on failure leaves nothing behind and says why in *error (which
    // packages to install when the binaries are missing).
    bool start(QString *error, const Progress &progress = {});
    void stop(); // safe to call twice, or after a failed start

    const Options &options() const { return m_options; }
    QString directory() const { return m_directory; }
    int postgresPort() const { return m_postgresPort; }
    int bouncerPort() const { return m_bouncerPort; }
    // Conninfos (libpq key=value), all with connect_timeout and the pgpass file.
    QString postgresConninfo() const;   // superuser, database postgres: what PoolScope inspects
    QString bouncerConsoleConninfo() const; // PgBouncer admin console
    QString shopConninfo() const;       // the shop's database through PgBouncer, as the shop role
    QString shopDirectConninfo() const; // the same straight to PostgreSQL

    // Removes demo directories under `parent` whose owner process is gone, stopping the
    // servers still running in them. Returns the directories removed.
    static QStringList removeStale(const QString &parent);
    static QString directoryPrefix() { return QStringLiteral("poolscope-demo-"); }

private:
    bool startPostgres(QString *error);
    bool createShopDatabase(QString *error);
    bool startBouncer(QString *error);
    bool runAsServerOwner(const QString &program, const QStringList &arguments, QString *error) const;
    bool chownToServerOwner(const QString &path, QString *error) const;
    QString commonConninfo(int port, const QString &user, const QString &database) const;

    Options m_options;
    QString m_directory;
    QString m_postgresBin; // directory of initdb, pg_ctl, postgres
    QString m_pgbouncer;
    QString m_runuser;     // set when running as root
    QString m_password;
    int m_postgresPort = 0;
    int m_bouncerPort = 0;
};

} // namespace poolscope::workload
