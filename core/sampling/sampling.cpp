#include "sampling/sampling.h"

#include <cmath>

namespace poolscope {

PgError configureSession(PgConnection &connection, std::chrono::milliseconds statementTimeout)
{
    PgResult result;
    return connection.exec("SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false)",
                           {QByteArray::number(qint64(statementTimeout.count()))}, statementTimeout + std::chrono::seconds(1),
                           &result);
}

PgError takeSnapshot(PgConnection &connection, PgReader &reader, TagMemory &tags, const LeakRules &rules,
                     std::chrono::milliseconds timeout, Snapshot *snapshot)
{
    PgError error = reader.read(connection, timeout, snapshot);
    if (error.isError())
        return error;
    tags.apply(*snapshot);
    classify(*snapshot, rules);
    return {};
}

std::chrono::milliseconds reconnectDelay(int attempt, double jitter01)
{
    if (attempt <= 1)
        return std::chrono::milliseconds(0);
    const double base = std::min(250.0 * std::pow(2.0, attempt - 2), 10000.0);
    const double jitter = 1.0 + (std::clamp(jitter01, 0.0, 1.0) - 0.5) * 0.4;
    return std::chrono::milliseconds(qint64(base * jitter));
}

} // namespace poolscope
