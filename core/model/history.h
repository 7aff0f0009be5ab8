#pragma once

#include "analysis/owners.h"
#include "model/snapshot.h"

#include <QHash>
#include <QList>
#include <QStringList>

#include <array>
#include <vector>

namespace poolscope {

struct BouncerSnapshot;

// What the charts draw of one sample, small enough to keep a day at 1 s for every target
// (about 80 bytes a point: 7 MB a day). Per-session detail is not kept here.
struct HistoryPoint
{
    static constexpr int kBands = 7;
    static constexpr int kOwners = 8;
    struct OwnerCount
    {
        quint16 owner = 0; // index into History::ownerNames()
        quint16 count = 0;
    };

    qint64 timeMs = 0; // client clock, so that targets share one time axis
    // PostgreSQL: sessions per SessionClass. PgBouncer: servers active, idle, used, tested or
    // logging in, then clients active, waiting, idle.
    std::array<quint16, kBands> bands{};
    quint16 limit = 0;   // usable slots, or the sum of the pools' sizes
    quint16 leaked = 0;
    quint16 waiting = 0; // PgBouncer: clients waiting for a server; PostgreSQL: lock waiters
    float maxWaitSeconds = 0;
    float connectsPerSecond = 0; // PostgreSQL: new connections a second lately
    // The largest owners of this sample, largest first; the rest are summed in otherOwners.
    std::array<OwnerCount, kOwners> owners{};
    quint8 ownerCount = 0;
    quint16 otherOwners = 0;
    bool gap = false; // the target could not be sampled from here until the next point

    int total() const;
};

// A chart point as the analysis makes it, with its owners by name: each History that keeps it
// interns the names itself (HistoryPoint::owners[i].owner is only meaningful inside one).
struct ChartSample
{
    HistoryPoint point;
    QStringList ownerNames; // one per point.owners[i], i < point.ownerCount
};

// Summaries of a snapshot in the form the charts draw: PostgreSQL sessions by class and by
// application; PgBouncer servers and clients by state, and clients by database.
ChartSample chartSampleOf(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication, qint64 timeMs);
ChartSample chartSampleOf(const BouncerSnapshot &snapshot, qint64 timeMs);

// A bounded ring of HistoryPoints, oldest first. Owner names are interned so that a point
// stores two small numbers per owner.
class History
{
public:
    static constexpr int kDefaultCapacity = 24 * 3600; // a day at 1 s

    explicit History(int capacity = kDefaultCapacity);

    // Points arrive in time order; when the ring is full the oldest is dropped.
    void append(const HistoryPoint &point);
    void append(const ChartSample &sample); // interns its owner names
    // Marks the start of an outage; repeated marks of one outage are kept as one.
    void appendGap(qint64 timeMs);

    int size() const { return int(m_size); }
    int capacity() const { return int(m_points.size()); }
    bool isEmpty() const { return m_size == 0; }
    const HistoryPoint &at(int index) const; // 0 = oldest
    const HistoryPoint &last() const { return at(size() - 1); }
    int lowerBound(qint64 timeMs) const;    // first index whose time is >= timeMs

    quint16 internOwner(const QString &name);
    const QStringList &ownerNames() const { return m_ownerNames; }
    std::size_t memoryBytes() const;

    // What a chart of a long window asks of every kBlock consecutive points (blocks aligned on
    // the points' sequence numbers), kept as the points arrive: the points with the fewest and
    // the most sessions, whether a gap is among them, and each owner's largest count. A day at
    // 1 s is reduced to a chart's width by reading ~1,400 of these instead of 86,400 points.
    static constexpr int kBlock = 64;
    struct Block
    {
        qint64 lowSequence = 0, highSequence = 0;
        int lowTotal = 0, highTotal = 0;
        bool gap = false;
        QList<HistoryPoint::OwnerCount> ownerPeaks;
    };
    // The block that begins at `index`, when index is the first of a block whose points are
    // all still here; nullptr otherwise.
    const Block *blockAt(int index) const;
    int indexOfSequence(qint64 sequence) const { return int(sequence - m_firstSequence); }

private:
    void summarise(qint64 sequence, const HistoryPoint &point);

    std::vector<HistoryPoint> m_points;
    std::size_t m_head = 0; // index of the oldest point
    std::size_t m_size = 0;
    qint64 m_firstSequence = 0; // of the oldest point: points are numbered as they arrive
    std::vector<Block> m_blocks; // ring, by sequence / kBlock
    QStringList m_ownerNames;
    QHash<QString, quint16> m_ownerIndex;
};

// The indices in [first, last) worth drawing in `buckets` pixels: per equal slice of time,
// the points with the fewest and the most sessions (HistoryPoint::total), in time order, so
// peaks and troughs survive; gap markers and the points either side of them always stay.
// When there are no more than two points a slice, all are kept.
QList<int> reduceForDisplay(const History &history, int first, int last, int buckets);
// The same with slices `bucketMs` wide on a fixed grid from `originMs` (earlier points included).
// A chart that keeps its origin while time passes gets the same indices for every slice but
// the newest, so it can skip redrawing what did not change.
QList<int> reduceForDisplay(const History &history, int first, int last, qint64 originMs, qint64 bucketMs);

// Per owner, the largest count over [first, last) of `history`, largest first: which owners a
// chart of that window should draw by name (the rest is "other").
QList<std::pair<quint16, int>> topOwners(const History &history, int first, int last, int howMany);

} // namespace poolscope
