#include "recording/recordingformat.h"

#include "recording/bytecodec.h"

#include <QtEndian>

namespace poolscope::recording {

using codec::ByteReader;
using codec::ByteWriter;

namespace {

template<class T> void appendLittleEndian(QByteArray &bytes, T value)
{
    const T le = qToLittleEndian(value);
    bytes.append(reinterpret_cast<const char *>(&le), sizeof le);
}

template<class T> T readLittleEndian(const char *data) { return qFromLittleEndian<T>(data); }

bool isKnownType(quint8 type)
{
    switch (RecordType(type)) {
    case RecordType::Start:
    case RecordType::Target:
    case RecordType::Keyframe:
    case RecordType::Delta:
    case RecordType::Gap:
    case RecordType::Alert:
    case RecordType::Action:
    case RecordType::LeakReport:
    case RecordType::End:
        return true;
    }
    return false;
}

quint16 checksum(quint8 type, quint8 flags, const char *body, qsizetype size)
{
    QByteArray checked;
    checked.reserve(size + 2);
    checked.append(char(type)).append(char(flags)).append(body, size);
    return qChecksum(checked, Qt::ChecksumIso3309);
}

QString offsetText(qint64 offset) { return QStringLiteral("byte %1").arg(offset); }

} // namespace

QByteArray fileHeader()
{
    QByteArray header(kMagic, kMagicSize);
    appendLittleEndian<quint16>(header, kFormatVersion);
    appendLittleEndian<quint16>(header, 0);
    return header;
}

QString checkHeader(const QByteArray &header)
{
    if (header.size() < kHeaderSize || !header.startsWith(QByteArray(kMagic, kMagicSize))) {
        if (header.startsWith("PoolScopeRec"))
            return QStringLiteral("not a PoolScope recording: its header is damaged (a file transfer in text mode?)");
        return QStringLiteral("not a PoolScope recording");
    }
    const quint16 version = readLittleEndian<quint16>(header.constData() + kMagicSize);
    if (version == 0)
        return QStringLiteral("not a PoolScope recording: format version 0");
    if (version > kFormatVersion)
        return QStringLiteral("recorded by a newer PoolScope (format version %1); this one reads version %2 — update PoolScope to open it")
            .arg(version)
            .arg(kFormatVersion);
    return {};
}

QByteArray frameRecord(RecordType type, const QByteArray &body)
{
    QByteArray record;
    record.reserve(kRecordHeaderSize + body.size());
    appendLittleEndian<quint32>(record, kSync);
    appendLittleEndian<quint32>(record, quint32(body.size()));
    record.append(char(type)).append(char(0));
    appendLittleEndian<quint16>(record, checksum(quint8(type), 0, body.constData(), body.size()));
    record.append(body);
    return record;
}

bool RecordScanner::readChecked(qint64 offset, Record *record, qint64 *end)
{
    if (!m_device->seek(offset))
        return false;
    const QByteArray header = m_device->read(kRecordHeaderSize);
    if (header.size() < kRecordHeaderSize || readLittleEndian<quint32>(header.constData()) != kSync)
        return false;
    const quint32 length = readLittleEndian<quint32>(header.constData() + 4);
    const quint8 type = quint8(header[8]);
    const quint8 flags = quint8(header[9]);
    if (length > kMaxRecordBody || !isKnownType(type) || offset + kRecordHeaderSize + qint64(length) > m_device->size())
        return false;
    const QByteArray body = m_device->read(length);
    if (body.size() != qsizetype(length) ||
        checksum(type, flags, body.constData(), body.size()) != readLittleEndian<quint16>(header.constData() + 10))
        return false;
    record->type = RecordType(type);
    record->offset = offset;
    record->body = body;
    *end = offset + kRecordHeaderSize + length;
    return true;
}

bool RecordScanner::readAt(qint64 offset, Record *record)
{
    qint64 end = 0;
    return readChecked(offset, record, &end);
}

bool RecordScanner::next(Record *record)
{
    const qint64 size = m_device->size();
    if (m_offset >= size)
        return false;
    qint64 end = 0;
    if (readChecked(m_offset, record, &end)) {
        m_offset = end;
        return true;
    }
    // Damage: look for the next sync word that starts a record which checks out.
    const qint64 damagedAt = m_offset;
    const QByteArray sync = [] {
        QByteArray bytes;
        appendLittleEndian<quint32>(bytes, kSync);
        return bytes;
    }();
    constexpr qint64 kChunk = 1 << 20;
    qint64 from = m_offset + 1;
    while (from < size) {
        if (!m_device->seek(from))
            break;
        const QByteArray chunk = m_device->read(kChunk + 3);
        if (chunk.isEmpty())
            break;
        for (qsizetype at = chunk.indexOf(sync); at >= 0; at = chunk.indexOf(sync, at + 1)) {
            if (readChecked(from + at, record, &end)) {
                if (m_problems.size() < 100)
                    m_problems.append(QStringLiteral("%1–%2: %3 damaged bytes skipped")
                                          .arg(offsetText(damagedAt))
                                          .arg(from + at)
                                          .arg(from + at - damagedAt));
                m_offset = end;
                return true;
            }
        }
        from += kChunk;
    }
    if (m_problems.size() < 100)
        m_problems.append(QStringLiteral("%1: the last %2 bytes are an incomplete or damaged record (cut short while "
                                         "writing?) and were skipped")
                              .arg(offsetText(damagedAt))
                              .arg(size - damagedAt));
    m_offset = size;
    return false;
}

QByteArray encodeSummary(const SampleSummary &summary)
{
    ByteWriter out;
    const HistoryPoint &p = summary.point;
    for (quint16 band : p.bands)
        out.putUnsigned(band);
    out.putUnsigned(p.limit);
    out.putUnsigned(p.leaked);
    out.putUnsigned(p.waiting);
    out.putDouble(p.maxWaitSeconds);
    out.putUnsigned(p.ownerCount);
    for (int i = 0; i < p.ownerCount; ++i) {
        out.putBytes(summary.ownerNames.value(i).toUtf8());
        out.putUnsigned(p.owners[i].count);
    }
    out.putUnsigned(p.otherOwners);
    out.putUnsigned(quint64(summary.trendFindings.size()));
    for (const Finding &finding : summary.trendFindings) {
        out.putUnsigned(quint64(finding.severity));
        out.putBytes(finding.code.toUtf8());
        out.putBytes(finding.message.toUtf8());
    }
    out.putDouble(p.connectsPerSecond); // added after the first release: absent from older files
    return out.take();
}

bool decodeSummary(const QByteArray &bytes, SampleSummary *summary)
{
    ByteReader in(bytes);
    HistoryPoint &p = summary->point;
    p = {};
    const auto small = [&in] {
        const quint64 value = in.getUnsigned();
        if (value > 0xffff)
            in.fail();
        return quint16(value);
    };
    for (quint16 &band : p.bands)
        band = small();
    p.limit = small();
    p.leaked = small();
    p.waiting = small();
    p.maxWaitSeconds = float(in.getDouble());
    const quint64 owners = in.getUnsigned();
    if (owners > quint64(HistoryPoint::kOwners))
        return false;
    p.ownerCount = quint8(owners);
    summary->ownerNames.clear();
    for (int i = 0; i < p.ownerCount; ++i) {
        summary->ownerNames.append(QString::fromUtf8(in.getBytes()));
        p.owners[i].count = small();
    }
    p.otherOwners = small();
    const qsizetype findings = in.getCount();
    summary->trendFindings.clear();
    for (qsizetype i = 0; i < findings && !in.failed(); ++i) {
        Finding finding;
        const quint64 severity = in.getUnsigned();
        if (severity > quint64(Finding::Severity::Critical))
            return false;
        finding.severity = Finding::Severity(severity);
        finding.code = QString::fromUtf8(in.getBytes());
        finding.message = QString::fromUtf8(in.getBytes());
        summary->trendFindings.append(finding);
    }
    if (!in.failed() && !in.atEnd())
        p.connectsPerSecond = float(in.getDouble());
    return !in.failed() && in.atEnd();
}

QJsonObject alertToJson(const Alert &alert)
{
    QJsonObject object{{QStringLiteral("target"), alert.target},
                       {QStringLiteral("code"), alert.code},
                       {QStringLiteral("message"), alert.message},
                       {QStringLiteral("fired_ms"), alert.firedAtMs}};
    if (alert.clearedAtMs)
        object.insert(QStringLiteral("cleared_ms"), alert.clearedAtMs);
    return object;
}

Alert alertFromJson(const QJsonObject &object)
{
    Alert alert;
    alert.target = object.value(QStringLiteral("target")).toString();
    alert.code = object.value(QStringLiteral("code")).toString();
    alert.message = object.value(QStringLiteral("message")).toString();
    alert.firedAtMs = qint64(object.value(QStringLiteral("fired_ms")).toDouble());
    alert.clearedAtMs = qint64(object.value(QStringLiteral("cleared_ms")).toDouble());
    return alert;
}

QJsonObject auditEntryToJson(const AuditEntry &entry)
{
    // The audit log's own line format, so that one reader reads both.
    return QJsonObject{{QStringLiteral("time"), entry.time.toUTC().toString(Qt::ISODateWithMs)},
                       {QStringLiteral("target"), entry.target},
                       {QStringLiteral("action"), entry.action},
                       {QStringLiteral("arguments"), entry.arguments},
                       {QStringLiteral("result"), QJsonObject{{QStringLiteral("status"), entry.status},
                                                              {QStringLiteral("message"), entry.message},
                                                              {QStringLiteral("sqlstate"), entry.sqlstate}}}};
}

} // namespace poolscope::recording
