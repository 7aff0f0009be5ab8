#include "recording/recordingreader.h"

#include "recording/bytecodec.h"
#include "recording/recorder.h"

#include <QBuffer>
#include <QFile>
#include <QJsonDocument>
#include <QThread>
#include <QtEndian>

namespace poolscope {

using recording::RecordScanner;
using recording::RecordType;

namespace {

constexpr qint64 kMaxSnapshotBytes = 512 << 20;

struct SampleHead
{
    int target = -1;
    quint64 sequence = 0;
    qint64 timeMs = 0;
    QByteArray summary;
    QByteArray compressed;
};

bool parseSampleHead(const QByteArray &body, SampleHead *head)
{
    codec::ByteReader in(body);
    const quint64 target = in.getUnsigned();
    head->sequence = in.getUnsigned();
    head->timeMs = in.getSigned();
    head->summary = in.getBytes();
    if (in.failed() || target > 0xffff)
        return false;
    head->target = int(target);
    head->compressed = body.right(in.remaining());
    return true;
}

bool uncompress(const QByteArray &compressed, QByteArray *bytes)
{
    // qUncompress trusts the size in front; a damaged one must not allocate gigabytes.
    if (compressed.size() < 4 || qFromBigEndian<quint32>(compressed.constData()) > kMaxSnapshotBytes)
        return false;
    *bytes = qUncompress(compressed);
    return !bytes->isEmpty();
}

QJsonObject jsonOf(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

} // namespace

int RecordedTarget::sampleAtOrBefore(qint64 timeMs) const
{
    const auto it = std::upper_bound(samples.cbegin(), samples.cend(), timeMs,
                                     [](qint64 t, const Sample &s) { return t < s.timeMs; });
    return int(it - samples.cbegin()) - 1;
}

Recording::~Recording() = default;

void Recording::moveToThread(QThread *thread)
{
    m_device->moveToThread(thread);
}

void Recording::addProblem(const QString &problem)
{
    constexpr int kMaxProblems = 100; // a file of garbage says so in a hundred lines, not a million
    if (m_problems.size() < kMaxProblems)
        m_problems.append(problem);
}

std::unique_ptr<Recording> Recording::open(const QString &path, QString *error, const Progress &progress)
{
    auto file = std::make_unique<QFile>(path);
    if (!file->open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, file->errorString());
        return nullptr;
    }
    std::unique_ptr<Recording> recording = open(std::move(file), error, progress);
    if (recording)
        recording->m_path = path;
    else
        *error = QStringLiteral("%1: %2").arg(path, *error);
    return recording;
}

std::unique_ptr<Recording> Recording::open(std::unique_ptr<QIODevice> device, QString *error, const Progress &progress)
{
    std::unique_ptr<Recording> recording(new Recording);
    recording->m_device = std::move(device);
    if (!recording->load(error, progress))
        return nullptr;
    return recording;
}

bool Recording::load(QString *error, const Progress &progress)
{
    m_device->seek(0);
    if (const QString problem = recording::checkHeader(m_device->read(recording::kHeaderSize)); !problem.isEmpty()) {
        *error = problem;
        return false;
    }
    // Each target's charts, gathered first and put into a History sized to fit.
    struct Pending
    {
        QList<std::pair<HistoryPoint, QStringList>> points; // a gap: point.gap, no names
        quint64 nextSequence = 0;
        bool chainBroken = false;
    };
    QList<Pending> pending;
    QHash<int, int> indexOfId;
    const auto targetOf = [&](int id) -> int { return indexOfId.value(id, -1); };

    RecordScanner scanner(m_device.get());
    RecordScanner::Record record;
    const qint64 total = m_device->size();
    qint64 reportedAt = 0;
    while (scanner.next(&record)) {
        if (progress && record.offset - reportedAt >= (1 << 20)) {
            reportedAt = record.offset;
            if (!progress(record.offset, total)) {
                *error = QStringLiteral("opening cancelled");
                return false;
            }
        }
        switch (record.type) {
        case RecordType::Start:
            m_start = jsonOf(record.body);
            m_rules = leakRulesFromJson(m_start.value(QStringLiteral("leak_rules")).toObject());
            break;
        case RecordType::Target: {
            const QJsonObject object = jsonOf(record.body);
            const int id = object.value(QStringLiteral("id")).toInt(-1);
            if (id < 0 || indexOfId.contains(id)) {
                addProblem(QStringLiteral("byte %1: a target record without a new id, skipped").arg(record.offset));
                break;
            }
            RecordedTarget target;
            target.id = id;
            target.name = object.value(QStringLiteral("name")).toString();
            target.kind = object.value(QStringLiteral("kind")).toString() == QLatin1String("pgbouncer")
                              ? TargetKind::PgBouncer
                              : TargetKind::PostgreSQL;
            indexOfId.insert(id, int(m_targets.size()));
            m_targets.append(target);
            m_cursors.append(std::make_shared<Cursor>(Cursor{SnapshotDecoder(m_rules), -1}));
            pending.append(Pending{});
            break;
        }
        case RecordType::Keyframe:
        case RecordType::Delta: {
            SampleHead head;
            recording::SampleSummary summary;
            const int index = parseSampleHead(record.body, &head) ? targetOf(head.target) : -1;
            if (index < 0 || !decodeSummary(head.summary, &summary)) {
                addProblem(QStringLiteral("byte %1: a sample that cannot be read, skipped").arg(record.offset));
                break;
            }
            RecordedTarget &target = m_targets[index];
            Pending &chart = pending[index];
            if (!target.samples.isEmpty() && head.timeMs < target.samples.constLast().timeMs) {
                addProblem(QStringLiteral("byte %1: a sample of %2 older than the one before it, skipped")
                                      .arg(record.offset)
                                      .arg(target.name));
                break;
            }
            const bool keyframe = record.type == RecordType::Keyframe;
            if (head.sequence != chart.nextSequence) {
                if (!keyframe)
                    addProblem(QStringLiteral("%1: %2 sample(s) missing before byte %3; its sessions are "
                                                     "unavailable until the next keyframe")
                                          .arg(target.name)
                                          .arg(qint64(head.sequence) - qint64(chart.nextSequence))
                                          .arg(record.offset));
                chart.chainBroken = true;
            }
            if (keyframe)
                chart.chainBroken = false;
            chart.nextSequence = head.sequence + 1;
            target.samples.append({record.offset, head.timeMs, keyframe, !chart.chainBroken});
            if (!summary.trendFindings.isEmpty())
                target.trendFindings.insert(int(target.samples.size()) - 1, summary.trendFindings);
            summary.point.timeMs = head.timeMs;
            chart.points.append({summary.point, summary.ownerNames});
            if (m_firstMs == 0 || head.timeMs < m_firstMs)
                m_firstMs = head.timeMs;
            m_lastMs = qMax(m_lastMs, head.timeMs);
            break;
        }
        case RecordType::Gap: {
            const QJsonObject object = jsonOf(record.body);
            const int index = targetOf(object.value(QStringLiteral("target")).toInt(-1));
            if (index >= 0) {
                HistoryPoint gap;
                gap.gap = true;
                gap.timeMs = qint64(object.value(QStringLiteral("time_ms")).toDouble());
                pending[index].points.append({gap, {}});
            }
            break;
        }
        case RecordType::Alert: {
            const Alert alert = recording::alertFromJson(jsonOf(record.body));
            if (alert.code.isEmpty())
                break;
            bool merged = false;
            if (!alert.isActive()) {
                for (Alert &fired : m_alerts) {
                    if (fired.target == alert.target && fired.code == alert.code && fired.firedAtMs == alert.firedAtMs) {
                        fired.clearedAtMs = alert.clearedAtMs;
                        merged = true;
                    }
                }
            }
            if (!merged)
                m_alerts.append(alert);
            break;
        }
        case RecordType::LeakReport: {
            const QJsonObject object = jsonOf(record.body);
            const int index = targetOf(object.value(QStringLiteral("target")).toInt(-1));
            std::optional<recording::RecordedLeakReport> leak =
                index >= 0 ? recording::leakReportFromJson(object, m_targets[index].name) : std::nullopt;
            if (!leak) {
                addProblem(QStringLiteral("byte %1: a leak report that cannot be read, skipped").arg(record.offset));
                break;
            }
            // The same report again: its new state, kept where it was first read.
            const LeakReport &r = *leak->joined.report;
            const auto same = std::find_if(m_leakReports.begin(), m_leakReports.end(), [&](const auto &known) {
                const LeakReport &k = *known.joined.report;
                return known.target == leak->target && k.file == r.file && k.line == r.line
                       && k.loggedAtMs == r.loggedAtMs;
            });
            if (same != m_leakReports.end()) {
                leak->firstSeenMs = same->firstSeenMs;
                *same = std::move(*leak);
            } else {
                m_leakReports.append(std::move(*leak));
            }
            break;
        }
        case RecordType::Action: {
            const AuditReadResult read = parseAuditLog(record.body, 0);
            m_actions += read.entries;
            break;
        }
        case RecordType::End: {
            m_ended = true;
            const QJsonObject end = jsonOf(record.body);
            m_stopped = end.value(QStringLiteral("stopped")).toString();
            m_stopError = end.value(QStringLiteral("error")).toString();
            break;
        }
        }
    }
    m_problems = scanner.problems() + m_problems;
    if (m_start.isEmpty() && m_targets.isEmpty()) {
        *error = QStringLiteral("a PoolScope recording with nothing readable in it");
        return false;
    }
    for (int i = 0; i < m_targets.size(); ++i) {
        RecordedTarget &target = m_targets[i];
        target.history = History(int(pending[i].points.size()) + 1);
        for (auto &[point, names] : pending[i].points) {
            if (point.gap) {
                target.history.appendGap(point.timeMs);
                continue;
            }
            target.history.append(ChartSample{point, names});
        }
    }
    if (progress)
        progress(total, total);
    return true;
}

template<class S> bool Recording::decodeAt(int targetIndex, int sample, S *snapshot, QString *error)
{
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (targetIndex < 0 || targetIndex >= m_targets.size())
        return fail(QStringLiteral("no such target"));
    const RecordedTarget &target = m_targets[targetIndex];
    if (sample < 0 || sample >= target.samples.size())
        return fail(QStringLiteral("no such sample"));
    if (!target.samples[sample].decodable)
        return fail(QStringLiteral("this sample's sessions are lost: a record before it is damaged"));
    int keyframe = sample;
    while (keyframe >= 0 && !target.samples[keyframe].keyframe)
        --keyframe;
    if (keyframe < 0)
        return fail(QStringLiteral("no keyframe before this sample"));
    Cursor &cursor = *m_cursors[targetIndex];
    const int from = cursor.position >= keyframe && cursor.position < sample ? cursor.position + 1 : keyframe;
    RecordScanner scanner(m_device.get());
    for (int i = from; i <= sample; ++i) {
        RecordScanner::Record record;
        SampleHead head;
        QByteArray bytes;
        const bool last = i == sample;
        if (!scanner.readAt(target.samples[i].offset, &record) || !parseSampleHead(record.body, &head) ||
            !uncompress(head.compressed, &bytes) ||
            !cursor.decoder.decode(bytes, target.samples[i].keyframe, last ? snapshot : nullptr)) {
            cursor.position = -1;
            return fail(QStringLiteral("the sample at byte %1 is damaged").arg(target.samples[i].offset));
        }
    }
    cursor.position = sample;
    snapshot->target = target.name;
    return true;
}

bool Recording::snapshotAt(int target, int sample, Snapshot *snapshot, QString *error)
{
    if (target >= 0 && target < m_targets.size() && m_targets[target].kind != TargetKind::PostgreSQL) {
        if (error)
            *error = QStringLiteral("not a PostgreSQL target");
        return false;
    }
    return decodeAt(target, sample, snapshot, error);
}

bool Recording::snapshotAt(int target, int sample, BouncerSnapshot *snapshot, QString *error)
{
    if (target >= 0 && target < m_targets.size() && m_targets[target].kind != TargetKind::PgBouncer) {
        if (error)
            *error = QStringLiteral("not a PgBouncer target");
        return false;
    }
    return decodeAt(target, sample, snapshot, error);
}

} // namespace poolscope
