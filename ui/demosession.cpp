#include "demosession.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStandardPaths>

namespace poolscope::ui {

DemoSession::DemoSession(QObject *parent)
    : QObject(parent)
{
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &DemoSession::readLines);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            Q_EMIT failed(tr("cannot start %1: %2").arg(hostProgram(), m_process.errorString()));
    });
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        if (m_stopping)
            return;
        const QString why = !m_lastError.isEmpty() ? m_lastError
            : status == QProcess::CrashExit        ? tr("the demo's workload crashed")
                                                   : tr("the demo's workload ended (exit code %1)").arg(code);
        Q_EMIT failed(why);
    });
    // Its complaints go where ours go: the terminal that started PoolScope.
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
}

DemoSession::~DemoSession()
{
    stop();
}

QString DemoSession::hostProgram() const
{
    if (!m_hostProgram.isEmpty())
        return m_hostProgram;
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/poolscope-workload");
    if (QFileInfo(beside).isExecutable())
        return beside;
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("poolscope-workload"));
    return onPath.isEmpty() ? beside : onPath;
}

void DemoSession::start(const QString &scenario)
{
    m_stopping = false;
    m_lastError.clear();
    m_process.start(hostProgram(), {QStringLiteral("--demo"), QStringLiteral("--scenario"), scenario});
}

void DemoSession::send(const QString &command)
{
    if (isRunning())
        m_process.write(command.toUtf8() + '\n');
}

void DemoSession::stop(std::chrono::milliseconds wait)
{
    if (!isRunning())
        return;
    m_stopping = true;
    m_process.closeWriteChannel(); // the host's cue to stop and clean up
    if (!m_process.waitForFinished(int(wait.count()))) {
        m_process.terminate();
        if (!m_process.waitForFinished(10000))
            m_process.kill(); // the next demo start removes what it left
    }
}

void DemoSession::readLines()
{
    m_pending += m_process.readAllStandardOutput();
    for (qsizetype end; (end = m_pending.indexOf('\n')) >= 0; m_pending.remove(0, end + 1)) {
        const QJsonObject message = QJsonDocument::fromJson(m_pending.left(end)).object();
        const QString event = message.value(QStringLiteral("event")).toString();
        const QString text = message.value(QStringLiteral("text")).toString();
        if (event == QLatin1String("progress")) {
            Q_EMIT progress(text);
        } else if (event == QLatin1String("ready")) {
            Q_EMIT ready(message.value(QStringLiteral("postgres")).toString(), message.value(QStringLiteral("pgbouncer")).toString());
        } else if (event == QLatin1String("status")) {
            Q_EMIT status(message);
        } else if (event == QLatin1String("error")) {
            const QString command = message.value(QStringLiteral("command")).toString();
            if (command.isEmpty())
                m_lastError = text; // a start that failed: reported when the host exits
            else
                Q_EMIT commandFailed(command, text);
        }
    }
}

} // namespace poolscope::ui
