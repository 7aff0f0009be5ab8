#pragma once

#include "analysis/alerts.h"
#include "actions/auditreader.h"
#include "model/history.h"

#include <QByteArray>
#include <QIODevice>
#include <QJsonObject>

namespace poolscope::recording {

// The PoolScope recording format, version 1 (README, "Recording format").
//
//   file    = header record*
//   header  = "PoolScopeRec\r\n\x1a\n" (16 bytes), u16 format version, u16 flags (0)
//   record  = u32 sync "PSr1", u32 body length, u8 type, u8 flags, u16 CRC-16 of type, flags
//             and body (qChecksum, ISO 3309), body             — all integers little-endian
//
// Records are appended whole and each one is checked on reading, so a file cut at any byte
// opens with every record before the cut; a damaged record is skipped up to the next sync
// word whose record checks out. Types:
//   'S' start   JSON: format, PoolScope version, host, start time, leak rules, alert rules
//   'T' target  JSON: id, name (redacted), kind ("postgresql" | "pgbouncer")
//   'K' sample  keyframe: the whole snapshot, and a new string table for that target
//   'D' sample  delta: what changed since the target's previous sample
//   'G' gap     JSON: target, time, why it could not be sampled
//   'A' alert   JSON: target, code, message, fired, cleared (one record when it fires, one
//               when it clears)
//   'X' action  JSON: one audit log entry
//   'L' leak    JSON: target, time, a pool's leak report and the session it was joined to,
//               when first read and whenever the join changes (leakrecords.h); readers that
//               do not know the type skip it
//   'E' end     JSON: time; a recording without one was cut short (still readable)
// A sample's body: varint target id, varint sequence number (per target, from 0: a gap means
// a lost record, and the deltas after it wait for the next keyframe), zigzag varint time (ms since the epoch, client clock),
// the summary (length-prefixed: what the charts draw, and findings that need history), and
// the snapshot as SnapshotEncoder wrote it, compressed with qCompress (zlib).

inline constexpr char kMagic[] = "PoolScopeRec\r\n\x1a\n";
inline constexpr int kMagicSize = 16;
inline constexpr int kHeaderSize = kMagicSize + 4;
inline constexpr quint16 kFormatVersion = 1;
inline constexpr quint32 kSync = 0x31725350; // "PSr1" on disk
inline constexpr int kRecordHeaderSize = 12;
inline constexpr quint32 kMaxRecordBody = 64 * 1024 * 1024;

enum class RecordType : quint8 {
    Start = 'S',
    Target = 'T',
    Keyframe = 'K',
    Delta = 'D',
    Gap = 'G',
    Alert = 'A',
    Action = 'X',
    LeakReport = 'L',
    End = 'E',
};

QByteArray fileHeader();
QByteArray frameRecord(RecordType type, const QByteArray &body);

// What one sample adds to the charts and to the findings that depend on earlier samples.
struct SampleSummary
{
    HistoryPoint point;
    QStringList ownerNames;     // the point's owners by name, in its order
    QList<Finding> trendFindings;
};
QByteArray encodeSummary(const SampleSummary &summary);
bool decodeSummary(const QByteArray &bytes, SampleSummary *summary);

QJsonObject alertToJson(const Alert &alert);
Alert alertFromJson(const QJsonObject &object);
QJsonObject auditEntryToJson(const AuditEntry &entry);

// Reads records from a device from a given offset on, checking each one, and skipping damage.
class RecordScanner
{
public:
    struct Record
    {
        RecordType type{};
        qint64 offset = 0; // of the record header
        QByteArray body;
    };

    explicit RecordScanner(QIODevice *device) : m_device(device) {}
    // The next record that checks out, or false at the end. Damage on the way is reported by
    // problems() and skipped.
    bool next(Record *record);
    // One record at a known offset (as next() found it earlier).
    bool readAt(qint64 offset, Record *record);
    void seek(qint64 offset) { m_offset = offset; }
    const QStringList &problems() const { return m_problems; }

private:
    bool readChecked(qint64 offset, Record *record, qint64 *end);

    QIODevice *m_device;
    qint64 m_offset = kHeaderSize;
    QStringList m_problems;
};

// Checks the file header: empty when it is a recording this version reads, or why not.
QString checkHeader(const QByteArray &header);

} // namespace poolscope::recording
