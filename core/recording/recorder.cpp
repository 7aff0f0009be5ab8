#include "recording/recorder.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSysInfo>

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
                       {QStringLiteral("owner_share_percent"), r.ownerSharePercent},
                       {QStringLiteral("connect_storm_per_second"), r.connectStormPerSecond},
                       {QStringLiteral("slow_statement_after"), r.slowStatementAfter},
                       {QStringLiteral("ignore"), QJsonArray::fromStringList(r.ignore.toStrings())},
                       {QStringLiteral("app_callsites"), QJsonArray::fromStringList(r.callSites.patterns)}};
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
    r.connectStormPerSecond = number("connect_storm_per_second", r.connectStormPerSecond);
    r.slowStatementAfter = number("slow_statement_after", r.slowStatementAfter);
    // Files from before ignore rules were recorded judged every session: no rule then.
    r.ignore = IgnoreRules{{}, {}, {}};
    for (const QJsonValue &rule : o.value(QStringLiteral("ignore")).toArray())
        r.ignore.add(rule.toString());
    // Nor were application names read for call sites before their patterns were recorded.
    r.callSites.patterns.clear();
    for (const QJsonValue &pattern : o.value(QStringLiteral("app_callsites")).toArray()) {
        if (AppCallSites::problem(pattern.toString()).isEmpty())
            r.callSites.patterns.append(pattern.toString());
    }
    return r;
}

Recorder::Recorder(const RecorderOptions &options)
    : m_options(options)
{
}

Recorder::~Recorder() { close(); }

namespace {

constexpr qint64 kEndReserve = 4096; // an End record with its reason is ~150 bytes

QString systemError(int error) { return QString::fromLocal8Bit(std::strerror(error)); }

// The pid that holds a flock on the file open as `fd`, from /proc/locks ("1: FLOCK  ADVISORY
// WRITE 4711 08:01:1234 0 EOF", the device in hex), or 0 when it cannot be told.
qint64 lockHolder(int fd)
{
    struct stat info{};
    if (::fstat(fd, &info) != 0)
        return 0;
    const QByteArray device = QByteArray::number(major(info.st_dev), 16).rightJustified(2, '0') + ':'
        + QByteArray::number(minor(info.st_dev), 16).rightJustified(2, '0') + ':' + QByteArray::number(quint64(info.st_ino));
    QFile locks(QStringLiteral("/proc/locks"));
    if (!locks.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : locks.readAll().split('\n')) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        // A blocked waiter's line has "->" after the number and one field more.
        const int at = fields.value(1) == "->" ? 1 : 0;
        if (fields.size() > at + 5 && fields[at + 1] == "FLOCK" && fields[at + 5] == device)
            return fields[at + 4].toLongLong();
    }
    return 0;
}

} // namespace

bool Recorder::open(const QString &path, bool overwrite, QString *error)
{
    close();
    m_path = path;
    const QByteArray native = QFile::encodeName(path);
    // Created owner-only by open(2) itself: query texts can hold customer data, and the file
    // is its owner's alone, as ~/.pgpass is. Not truncated yet: another recorder may hold it.
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? 0 : O_EXCL), 0600);
    if (fd < 0) {
        *error = errno == EEXIST ? QStringLiteral("%1 exists already; choose another file or overwrite it").arg(path)
                                 : QStringLiteral("cannot create %1: %2").arg(path, systemError(errno));
        return false;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int lockError = errno;
        const qint64 holder = lockHolder(fd);
        ::close(fd);
        *error = lockError == EWOULDBLOCK
            ? QStringLiteral("%1 is being recorded to by another PoolScope%2; choose another file, or stop that one first")
                  .arg(path, holder > 0 ? QStringLiteral(" (pid %1)").arg(holder) : QString())
            : QStringLiteral("cannot lock %1: %2").arg(path, systemError(lockError));
        return false;
    }
    // Ours now: emptied, and owner-only even when it was another file before.
    if (::ftruncate(fd, 0) != 0 || ::fchmod(fd, 0600) != 0) {
        *error = QStringLiteral("cannot overwrite %1: %2").arg(path, systemError(errno));
        ::close(fd);
        return false;
    }
    m_fd = fd;
    m_canReserve = true;
    m_targets.clear();
    m_alerts.clear();
    m_error.clear();
    m_bytes = m_samples = 0;
    m_lastSyncMs = QDateTime::currentMSecsSinceEpoch();
    const QByteArray header = recording::fileHeader();
    int writeError = 0;
    if (!writeAll(header, &writeError)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, systemError(writeError));
        closeFile();
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
    return write(keyframe ? RecordType::Keyframe : RecordType::Delta, body.bytes()) && writeAlerts(sample.alerts)
           && writeLeakReports(id, *target, sample);
}

bool Recorder::writeLeakReports(int id, Target &target, const AnalysedSample &sample)
{
    if (!sample.leakLog)
        return true;
    for (const JoinedLeakReport &joined : target.leakReports.changes(*sample.leakLog)) {
        if (!writeJson(RecordType::LeakReport, recording::leakReportToJson(id, sample.timeMs, joined)))
            return false;
    }
    return true;
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

bool Recorder::writeAll(const QByteArray &bytes, int *error)
{
    for (qsizetype done = 0; done < bytes.size();) {
        const ssize_t written = ::write(m_fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0) {
            *error = written < 0 ? errno : ENOSPC;
            return false;
        }
        done += written;
    }
    return true;
}

// Room for an End record is kept allocated past the data (fallocate without changing the size),
// so that a disk that fills up still takes the record saying it did. Where the file system
// cannot (EOPNOTSUPP), the recorder writes on without it.
bool Recorder::reserve(qint64 bytes, int *error)
{
    if (!m_canReserve)
        return true;
    if (::fallocate(m_fd, FALLOC_FL_KEEP_SIZE, off_t(m_bytes), off_t(bytes + kEndReserve)) == 0)
        return true;
    if (errno == EOPNOTSUPP || errno == ENOSYS) {
        m_canReserve = false;
        return true;
    }
    *error = errno;
    return false;
}

bool Recorder::write(RecordType type, const QByteArray &body)
{
    if (!isOpen())
        return false;
    const QByteArray record = recording::frameRecord(type, body);
    // One write of the whole record, straight to the system: a killed PoolScope loses nothing
    // it wrote; a power cut at most the records since the last sync.
    int error = 0;
    if (!reserve(record.size(), &error) || !writeAll(record, &error)) {
        stopOnWriteError(error);
        return false;
    }
    m_bytes += record.size();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastSyncMs >= m_options.syncEveryMs) {
        ::fdatasync(m_fd);
        m_lastSyncMs = now;
    }
    return true;
}

// The system's own words (QFile says "Unknown error" here), and an End record that says why
// the recording stops, in the room reserved for it. A record cut by the failed write is taken
// off first (only then: truncating also frees the reserve on most file systems). Without room
// even for the End record, the file ends at its last whole record.
void Recorder::stopOnWriteError(int error)
{
    const bool full = error == ENOSPC || error == EDQUOT;
    m_error = QStringLiteral("recording stopped: cannot write %1: %2")
                  .arg(m_path, full ? QStringLiteral("no space left on device") : systemError(error));
    const auto cutBack = [this] {
        struct stat info{};
        return ::fstat(m_fd, &info) == 0 && (info.st_size <= m_bytes || ::ftruncate(m_fd, m_bytes) == 0);
    };
    if (cutBack()) {
        const QJsonObject end{{QStringLiteral("time_ms"), QDateTime::currentMSecsSinceEpoch()},
                              {QStringLiteral("stopped"), full ? QStringLiteral("disk_full") : QStringLiteral("write_error")},
                              {QStringLiteral("error"), systemError(error)}};
        const QByteArray record = recording::frameRecord(RecordType::End, QJsonDocument(end).toJson(QJsonDocument::Compact));
        int ignored = 0;
        if (!writeAll(record, &ignored))
            cutBack();
        ::fdatasync(m_fd);
    }
    closeFile();
}

void Recorder::closeFile()
{
    if (m_fd >= 0)
        ::close(m_fd); // the lock goes with it
    m_fd = -1;
}

void Recorder::close(qint64 timeMs)
{
    if (!isOpen())
        return;
    writeJson(RecordType::End,
              QJsonObject{{QStringLiteral("time_ms"), timeMs > 0 ? timeMs : QDateTime::currentMSecsSinceEpoch()}});
    if (isOpen()) {
        ::fdatasync(m_fd);
        closeFile();
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
