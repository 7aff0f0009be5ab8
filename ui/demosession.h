#pragma once

#include <QJsonObject>
#include <QObject>
#include <QProcess>

#include <chrono>

namespace poolscope::ui {

// The demo's host process (poolscope-workload --demo): it starts the throwaway PostgreSQL and
// PgBouncer, runs the shop, and takes the presenter's commands. It talks JSON lines on its
// standard output; its standard input is our lifeline — when we exit, even killed, the pipe
// closes and it stops and removes the cluster.
class DemoSession : public QObject
{
    Q_OBJECT
public:
    explicit DemoSession(QObject *parent = nullptr);
    ~DemoSession() override; // stops the host and waits for it to clean up

    // Starts the host next to our own binary; progress, ready or failed follow.
    void start(const QString &scenario);
    void send(const QString &command);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    // Ends the host and waits up to `wait` for it to remove the cluster.
    void stop(std::chrono::milliseconds wait = std::chrono::seconds(30));

    // poolscope-workload beside poolscope, or on PATH, unless set.
    QString hostProgram() const;
    void setHostProgram(const QString &program) { m_hostProgram = program; }

Q_SIGNALS:
    void progress(const QString &text);
    void ready(const QString &postgres, const QString &pgbouncer);
    void status(const QJsonObject &status);
    void commandFailed(const QString &command, const QString &error);
    void failed(const QString &error); // the host could not start, or ended on its own

private:
    void readLines();

    QString m_hostProgram;
    QProcess m_process;
    QByteArray m_pending;
    QString m_lastError;
    bool m_stopping = false;
};

} // namespace poolscope::ui
