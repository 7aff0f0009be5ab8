#pragma once

// Network faults on loopback for the live tests: a relay that can stop passing bytes, and a
// meter of how long the test thread's event loop stalls meanwhile.

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <atomic>

// A TCP relay between PoolScope and the server that can stop passing anything on, as a lost
// network does: both sockets stay open, nothing arrives on either side. It runs on a thread of
// its own, so that the test's thread may block (stopping a sampler) without stalling it.
class LossyRelay
{
public:
    LossyRelay(const QString &host, quint16 port)
    {
        m_context.moveToThread(&m_thread);
        m_thread.start();
        QMetaObject::invokeMethod(&m_context, [this, host, port] { listen(host, port); }, Qt::BlockingQueuedConnection);
    }
    ~LossyRelay()
    {
        QMetaObject::invokeMethod(&m_context, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    quint16 port() const { return m_port; }
    void setLost(bool lost) { m_lost = lost; }

private:
    void listen(const QString &host, quint16 port)
    {
        m_server = new QTcpServer;
        m_server->listen(QHostAddress::LocalHost);
        m_port = m_server->serverPort();
        QObject::connect(m_server, &QTcpServer::newConnection, m_server, [this, host, port] {
            while (QTcpSocket *client = m_server->nextPendingConnection()) {
                auto *upstream = new QTcpSocket(client);
                upstream->connectToHost(host, port);
                const auto pass = [this](QTcpSocket *from, QTcpSocket *to) {
                    const QByteArray data = from->readAll();
                    if (!m_lost)
                        to->write(data);
                };
                QObject::connect(client, &QTcpSocket::readyRead, upstream, [=] { pass(client, upstream); });
                QObject::connect(upstream, &QTcpSocket::readyRead, client, [=] { pass(upstream, client); });
                QObject::connect(client, &QTcpSocket::disconnected, upstream, [this, upstream] {
                    if (!m_lost)
                        upstream->disconnectFromHost();
                });
                QObject::connect(upstream, &QTcpSocket::disconnected, client, [this, client] {
                    if (!m_lost)
                        client->disconnectFromHost();
                });
            }
        });
    }

    QThread m_thread;
    QObject m_context;
    QTcpServer *m_server = nullptr; // lives on m_thread, with every socket under it
    quint16 m_port = 0;
    std::atomic<bool> m_lost{false};
};

// `conninfo` with its port replaced by the relay's.
inline QString throughRelay(const QString &conninfo, const LossyRelay &relay)
{
    QString relayed = conninfo;
    relayed.replace(QRegularExpression(QStringLiteral("port=(\\d+)")), QStringLiteral("port=%1").arg(relay.port()));
    return relayed;
}

inline quint16 portOf(const QString &conninfo)
{
    return quint16(QRegularExpression(QStringLiteral("port=(\\d+)")).match(conninfo).captured(1).toUInt());
}

// The longest time this thread's event loop went without turning, from start() on: what an
// operator sees as a frozen window.
class StallMeter
{
public:
    StallMeter()
    {
        m_heartbeat.setInterval(5);
        QObject::connect(&m_heartbeat, &QTimer::timeout, &m_heartbeat, [this] {
            const qint64 now = m_clock.elapsed();
            m_longestMs = qMax(m_longestMs, now - m_lastBeat - 5);
            m_lastBeat = now;
        });
    }
    void start()
    {
        m_clock.start();
        m_lastBeat = 0;
        m_longestMs = 0;
        m_heartbeat.start();
    }
    qint64 longestMs() const { return m_longestMs; }

private:
    QTimer m_heartbeat;
    QElapsedTimer m_clock;
    qint64 m_lastBeat = 0;
    qint64 m_longestMs = 0;
};
