#include "recording/recorder.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSysInfo>

#include <unistd.h>

namespace poolscope {

using recording::RecordType;

QJsonObject leakRulesToJson(const LeakRules &r)
{
    return QJsonObject{{QStringLiteral("aborted_leaked_after"), r.abortedLeakedAfter},
                       {QStringLiteral("idle_in_tx_warn_after"), r.idleInTxWarnAfter},
                       {QStringLiteral("idle_in_tx_suspect_after"), r.idleInTxSuspectAfter},
                       {QStringLiteral("idle_in_tx_leaked_after"), r.idleInTxLeakedAfter},
                       {QStringLiteral("idle_starved_after"), r.idleStarvedAfter},
                       {QStringLiteral("rising_samples"), r.risingSamples},
                       {QStringLiteral("flood_warn_percent"), r.floodWarnPercent},
                       {QStringLiteral("flood_critical_percent"), r.floodCriticalPercent},
                       {QStringLiteral("owner_share_percent"), r.ownerSharePercent}};
}

LeakRules leakRulesFromJson(const QJsonObject &o)
{
    LeakRules r;
    const auto number = [&o](const char *key, double fallback) {
        const QJsonValue value = o.value(QLatin1String(key));
        return value.isDouble() ? value.toDouble() : fallback;
    };
    r.abortedLeakedAfter = number("aborted_leaked_after", r.abortedLeakedAfter);
    r.idleInTxWarnAfter = number("idle_in_tx_warn_after", r.idleInTxWarnAfter);
    r.idleInTxSuspectAfter = number("idle_in_tx_suspect_after", r.idleInTxSuspectAfter);
    r.idleInTxLeakedAfter = number("idle_in_tx_leaked_after", r.idleInTxLeakedAfter);
    r.idleStarvedAfter = number("idle_starved_after", r.idleStarvedAfter);
    r.risingSamples = int(number("rising_samples", r.risingSamples));
    r.floodWarnPercent = number("flood_warn_percent", r.floodWarnPercent);
    r.floodCriticalPercent = number("flood_critical_percent", r.floodCriticalPercent);
    r.ownerSharePercent = number("owner_share_percent", r.ownerSharePercent);
    return r;
}

Recorder::Recorder(const RecorderOptions &options)
    : m_options(options)
{
}

Recorder::~Recorder() { close(); }

bool Recorder::open(const QString &path, bool overwrite, QString *error)
{
    close();
    m_file.setFileName(path);
    const QIODevice::OpenMode mode =
        QIODevice::WriteOnly | (overwrite ? QIODevice::Truncate : QIODevice::NewOnly);
    if (!m_file.open(mode)) {
        *error = m_file.exists() && !overwrite
                     ? QStringLiteral("%1 exists already; choose another file or overwrite it").arg(path)
                     : QStringLiteral("cannot create %1: %2").arg(path, m_file.errorString());
        return false;
    }
    // Query texts can hold customer data: the recording is its owner's alone, as ~/.pgpass is.
    m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    m_targets.clear();
    m_alerts.clear();
    m_error.clear();
    m_bytes = m_samples = 0;
    m_lastSyncMs = QDateTime::currentMSecsSinceEpoch();
    const QByteArray header = recording::fileHeader();
    if (m_file.write(header) != header.size()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, m_file.errorString());
        m_file.close();
        return false;
    }
    m_bytes = header.size();
    const QJsonObject start{
        {QStringLiteral("format"), recording::kFormatVersion},
        {QStringLiteral("poolscope"), QCoreApplication::applicationVersion()},
        {QStringLiteral("host"), QSysInfo::machineHostName()},
        {QStringLiteral("started_ms"), QDateTime::currentMSecsSinceEpoch()},
        {QStringLiteral("leak_rules"), leakRulesToJson(m_options.rules)},
        {QStringLiteral("alert_rules"),
         QJsonObject{{QStringLiteral("slots_used_percent"), m_options.alertRules.slotsUsedPercent},
                     {QStringLiteral("waiting_longer_than_seconds"), m_options.alertRules.waitingLongerThanSeconds},
                     {QStringLiteral("leaked_sessions"), m_options.alertRules.leakedSessions},
                     {QStringLiteral("rising_samples"), m_options.alertRules.risingSamples}}}};
    if (!writeJson(RecordType::Start, start)) {
        *error = m_error;
        return false;
    }
    return true;
}

int Recorder::addTarget(const QString &name, TargetKind kind)
{
    auto target = std::make_unique<Target>();
    target->name = name;
    target->kind = kind;
    const int id = int(m_targets.size());
    m_targets.push_back(std::move(target));
    writeJson(RecordType::Target,
              QJsonObject{{QStringLiteral("id"), id},
                          {QStringLiteral("name"), name},
                          {QStringLiteral("kind"), kind == TargetKind::PgBouncer ? QStringLiteral("pgbouncer")
                                                                                : QStringLiteral("postgresql")}});
    return id;
}

Recorder::Target *Recorder::targetAt(int id)
{
    return id >= 0 && std::size_t(id) < m_targets.size() ? m_targets[std::size_t(id)].get() : nullptr;
}

bool Recorder::append(int id, const AnalysedSample &sample)
{
    Target *target = targetAt(id);
    if (!target || !isOpen() || target->kind != sample.kind)
        return false;
    const bool keyframe = target->sinceKeyframe < 0 || target->sinceKeyframe + 1 >= m_options.keyframeEvery ||
                          target->encoder.memoryBytes() > m_options.keyframeStringBytes;
    target->sinceKeyframe = keyframe ? 0 : target->sinceKeyframe + 1;
    // What the charts draw and the findings that needed earlier samples travel beside the
    // sample, so that opening a recording decodes no sessions.
    recording::SampleSummary summary;
    summary.point = sample.chart.point;
    summary.ownerNames = sample.chart.ownerNames;
    summary.trendFindings = sample.trendFindings;
    const QByteArray encoded = sample.postgres ? target->encoder.encode(*sample.postgres, keyframe)
                                               : target->encoder.encode(*sample.bouncer, keyframe);
    codec::ByteWriter body;
    body.putUnsigned(quint64(id));
    body.putUnsigned(target->sequence++);
    body.putSigned(sample.timeMs);
    body.putBytes(recording::encodeSummary(summary));
    body.putRaw(qCompress(encoded));
    ++m_samples;
    return write(keyframe ? RecordType::Keyframe : RecordType::Delta, body.bytes()) && writeAlerts(sample.alerts);
}

bool Recorder::writeAlerts(const AlertTracker::Changes &changes)
{
    for (const QList<Alert> *list : {&changes.fired, &changes.cleared}) {
        for (const Alert &alert : *list) {
            if (list == &changes.fired)
                m_alerts.append(alert);
            if (!writeJson(RecordType::Alert, recording::alertToJson(alert)))
                return false;
        }
    }
    return true;
}

bool Recorder::appendGap(int id, qint64 timeMs, const QString &why)
{
    if (!targetAt(id))
        return false;
    return writeJson(RecordType::Gap, QJsonObject{{QStringLiteral("target"), id},
                                                  {QStringLiteral("time_ms"), timeMs},
                                                  {QStringLiteral("why"), why}});
}

bool Recorder::appendAction(const AuditEntry &entry)
{
    return writeJson(RecordType::Action, recording::auditEntryToJson(entry));
}

bool Recorder::appendActions(const QList<AuditEntry> &entries, const QList<ConnInfo> &targets)
{
    for (AuditEntry entry : entries) {
        const auto target = std::find_if(targets.cbegin(), targets.cend(), [&entry](const ConnInfo &t) {
            return entry.target == t.redacted() || entry.target == t.displayName();
        });
        if (target == targets.cend())
            continue;
        entry.target = target->displayName();
        if (!appendAction(entry))
            return false;
    }
    return true;
}

bool Recorder::writeJson(RecordType type, const QJsonObject &object)
{
    return write(type, QJsonDocument(object).toJson(QJsonDocument::Compact));
}

bool Recorder::write(RecordType type, const QByteArray &body)
{
    if (!isOpen())
        return false;
    const QByteArray record = recording::frameRecord(type, body);
    // One write of the whole record, then straight to the system: a killed PoolScope loses
    // nothing it wrote; a power cut at most the records since the last sync.
    if (m_file.write(record) != record.size() || !m_file.flush()) {
        m_error = QStringLiteral("recording stopped: cannot write %1: %2").arg(m_file.fileName(), m_file.errorString());
        m_file.close();
        return false;
    }
    m_bytes += record.size();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastSyncMs >= m_options.syncEveryMs) {
        ::fdatasync(m_file.handle());
        m_lastSyncMs = now;
    }
    return true;
}

void Recorder::close(qint64 timeMs)
{
    if (!isOpen())
        return;
    writeJson(RecordType::End,
              QJsonObject{{QStringLiteral("time_ms"), timeMs > 0 ? timeMs : QDateTime::currentMSecsSinceEpoch()}});
    if (isOpen()) {
        ::fdatasync(m_file.handle());
        m_file.close();
    }
}

qint64 Recorder::memoryBytes() const
{
    qint64 bytes = 0;
    for (const auto &target : m_targets)
        bytes += target->encoder.memoryBytes();
    return bytes;
}

} // namespace poolscope
