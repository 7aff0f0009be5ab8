#pragma once

// One sampling connection a test keeps open and reads snapshots over, as PoolScope's sampler
// does (the tag memory carries each session's last tagged query from sample to sample).

#include "postgres/pgreader.h"
#include "sampling/sampling.h"

class LiveSampler
{
public:
    explicit LiveSampler(const QString &conninfo)
    {
        QString error;
        if (const auto target = poolscope::ConnInfo::parse(conninfo, &error))
            m_error = m_connection.open(*target, QByteArrayLiteral("poolscope-test")).message;
        else
            m_error = error;
    }
    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }

    poolscope::Snapshot read(const poolscope::LeakRules &rules = {})
    {
        poolscope::Snapshot snapshot;
        const poolscope::PgError error = poolscope::takeSnapshot(m_connection, m_reader, m_tags, rules, std::chrono::seconds(5), &snapshot);
        m_error = error.message;
        return snapshot;
    }

private:
    poolscope::PgConnection m_connection;
    poolscope::PgReader m_reader{m_connection};
    poolscope::TagMemory m_tags;
    QString m_error;
};
