#include "model/history.h"

#include "model/bouncersnapshot.h"

#include <algorithm>
#include <limits>

namespace poolscope {

namespace {

quint16 clamp16(qint64 value)
{
    return quint16(std::clamp<qint64>(value, 0, std::numeric_limits<quint16>::max()));
}

// More owner names than this in one history are all counted as "other": a client that
// tags every query with a fresh id must not grow the intern table without bound.
constexpr int kMaxOwnerNames = 4096;
constexpr quint16 kNoOwner = std::numeric_limits<quint16>::max();

} // namespace

int HistoryPoint::total() const
{
    int sum = 0;
    for (quint16 b : bands)
        sum += b;
    return sum;
}

History::History(int capacity)
    : m_points(std::size_t(qMax(2, capacity)))
    , m_blocks(m_points.size() / kBlock + 2)
{
}

void History::append(const HistoryPoint &point)
{
    const std::size_t index = (m_head + m_size) % m_points.size();
    m_points[index] = point;
    summarise(m_firstSequence + qint64(m_size), point);
    if (m_size < m_points.size()) {
        ++m_size;
    } else {
        m_head = (m_head + 1) % m_points.size();
        ++m_firstSequence;
    }
}

void History::summarise(qint64 sequence, const HistoryPoint &point)
{
    Block &block = m_blocks[std::size_t(sequence / kBlock) % m_blocks.size()];
    const int total = point.total();
    if (sequence % kBlock == 0) {
        block = Block{sequence, sequence, total, total, point.gap, {}};
    } else {
        if (total < block.lowTotal)
            block.lowSequence = sequence, block.lowTotal = total;
        if (total > block.highTotal)
            block.highSequence = sequence, block.highTotal = total;
        block.gap = block.gap || point.gap;
    }
    for (int o = 0; o < point.ownerCount; ++o) {
        const HistoryPoint::OwnerCount &owner = point.owners[std::size_t(o)];
        const auto peak = std::find_if(block.ownerPeaks.begin(), block.ownerPeaks.end(),
                                       [&owner](const HistoryPoint::OwnerCount &p) { return p.owner == owner.owner; });
        if (peak == block.ownerPeaks.end())
            block.ownerPeaks.append(owner);
        else
            peak->count = std::max(peak->count, owner.count);
    }
}

const History::Block *History::blockAt(int index) const
{
    const qint64 sequence = m_firstSequence + index;
    if (index < 0 || sequence % kBlock != 0 || index + kBlock > size())
        return nullptr;
    return &m_blocks[std::size_t(sequence / kBlock) % m_blocks.size()];
}

void History::appendGap(qint64 timeMs)
{
    if (!isEmpty() && last().gap)
        return;
    HistoryPoint gap;
    gap.timeMs = timeMs;
    gap.gap = true;
    append(gap);
}

const HistoryPoint &History::at(int index) const
{
    Q_ASSERT(index >= 0 && std::size_t(index) < m_size);
    return m_points[(m_head + std::size_t(index)) % m_points.size()];
}

int History::lowerBound(qint64 timeMs) const
{
    int low = 0, high = size();
    while (low < high) {
        const int mid = low + (high - low) / 2;
        if (at(mid).timeMs < timeMs)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

quint16 History::internOwner(const QString &name)
{
    const auto it = m_ownerIndex.constFind(name);
    if (it != m_ownerIndex.cend())
        return *it;
    if (m_ownerNames.size() >= kMaxOwnerNames)
        return kNoOwner;
    const quint16 index = quint16(m_ownerNames.size());
    m_ownerNames.append(name);
    m_ownerIndex.insert(name, index);
    return index;
}

std::size_t History::memoryBytes() const
{
    std::size_t names = 0;
    for (const QString &name : m_ownerNames)
        names += sizeof(QString) + std::size_t(name.size()) * 2 + 32; // string, hash entry
    std::size_t blocks = m_blocks.size() * sizeof(Block);
    for (const Block &block : m_blocks)
        blocks += std::size_t(block.ownerPeaks.capacity()) * sizeof(HistoryPoint::OwnerCount);
    return m_points.size() * sizeof(HistoryPoint) + blocks + names;
}

void History::append(const ChartSample &sample)
{
    HistoryPoint point = sample.point;
    int other = point.otherOwners;
    int kept = 0;
    for (int i = 0; i < point.ownerCount; ++i) {
        const quint16 id = internOwner(sample.ownerNames.value(i));
        if (id == kNoOwner) {
            other += point.owners[i].count; // the intern table is full: counted as "other"
            continue;
        }
        point.owners[kept++] = {id, point.owners[i].count};
    }
    point.ownerCount = quint8(kept);
    point.otherOwners = clamp16(other);
    append(point);
}

namespace {

// The largest owners by name, the rest summed as "other".
void fillOwners(ChartSample &sample, QList<std::pair<QString, int>> counts)
{
    std::sort(counts.begin(), counts.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    HistoryPoint &point = sample.point;
    int other = 0;
    for (const auto &[name, count] : counts) {
        if (point.ownerCount >= HistoryPoint::kOwners) {
            other += count;
            continue;
        }
        point.owners[point.ownerCount++].count = clamp16(count);
        sample.ownerNames.append(name);
    }
    point.otherOwners = clamp16(other);
}

} // namespace

ChartSample chartSampleOf(const Snapshot &snapshot, const QList<OwnerSummary> &byApplication, qint64 timeMs)
{
    ChartSample sample;
    HistoryPoint &point = sample.point;
    point.timeMs = timeMs;
    for (int c = 0; c < kSessionClassCount; ++c)
        point.bands[std::size_t(c)] = clamp16(snapshot.totals.byClass[c]);
    point.limit = clamp16(snapshot.limits.usableSlots());
    point.leaked = clamp16(snapshot.totals.leaked);
    point.waiting = clamp16(snapshot.totals.count(SessionClass::Waiting));
    QList<std::pair<QString, int>> counts;
    counts.reserve(byApplication.size());
    for (const OwnerSummary &owner : byApplication)
        counts.append({owner.owner, owner.total});
    fillOwners(sample, counts);
    return sample;
}

ChartSample chartSampleOf(const BouncerSnapshot &snapshot, qint64 timeMs)
{
    ChartSample sample;
    HistoryPoint &point = sample.point;
    point.timeMs = timeMs;
    const BouncerTotals t = snapshot.totals();
    const int bands[HistoryPoint::kBands] = {t.serversActive, t.serversIdle,    t.serversUsed, t.serversOther,
                                             t.clientsActive, t.clientsWaiting, t.clientsIdle};
    for (int b = 0; b < HistoryPoint::kBands; ++b)
        point.bands[std::size_t(b)] = clamp16(bands[b]);
    point.limit = clamp16(t.poolSize);
    point.waiting = clamp16(t.clientsWaiting);
    point.maxWaitSeconds = float(t.maxWaitSeconds);
    // The "owners" of a console are its databases, by the clients each holds.
    QHash<QString, int> byDatabase;
    for (const BouncerPool &pool : snapshot.pools) {
        if (!pool.isAdminConsole())
            byDatabase[pool.database] += pool.clActive + pool.clWaiting + pool.clIdle.value_or(0);
    }
    QList<std::pair<QString, int>> counts;
    for (auto it = byDatabase.cbegin(); it != byDatabase.cend(); ++it)
        counts.append({it.key(), it.value()});
    fillOwners(sample, counts);
    return sample;
}

QList<int> reduceForDisplay(const History &history, int first, int last, int buckets)
{
    first = std::clamp(first, 0, history.size());
    last = std::clamp(last, first, history.size());
    if (first == last || buckets <= 0)
        return reduceForDisplay(history, first, last, 0, 0);
    const qint64 t0 = history.at(first).timeMs;
    const qint64 span = qMax<qint64>(1, history.at(last - 1).timeMs - t0 + 1);
    return reduceForDisplay(history, first, last, t0, (span + buckets - 1) / buckets);
}

QList<int> reduceForDisplay(const History &history, int first, int last, qint64 originMs, qint64 bucketMs)
{
    first = std::clamp(first, 0, history.size());
    last = std::clamp(last, first, history.size());
    QList<int> kept;
    if (first == last)
        return kept;
    // Floored, so that a point before the origin has a bucket of its own.
    const auto bucketOf = [&](qint64 timeMs) {
        const qint64 offset = timeMs - originMs;
        return offset >= 0 ? offset / bucketMs : -((-offset + bucketMs - 1) / bucketMs);
    };
    if (bucketMs <= 0
        || last - first <= 2 * (bucketOf(history.at(last - 1).timeMs) - bucketOf(history.at(first).timeMs) + 1)) {
        kept.reserve(last - first);
        for (int i = first; i < last; ++i)
            kept.append(i);
        return kept;
    }
    kept.reserve(int(2 * (bucketOf(history.at(last - 1).timeMs) - bucketOf(history.at(first).timeMs)) + 8));
    auto keep = [&](int i) {
        if (kept.isEmpty() || kept.last() < i)
            kept.append(i);
    };
    int i = first;
    while (i < last) {
        const qint64 bucketEndMs = originMs + (bucketOf(history.at(i).timeMs) + 1) * bucketMs;
        int low = -1, high = -1, lowTotal = 0, highTotal = 0;
        const auto consider = [&](int index, int total) {
            if (low < 0 || total < lowTotal) {
                low = index;
                lowTotal = total;
            }
            if (high < 0 || total > highTotal) {
                high = index;
                highTotal = total;
            }
        };
        while (i < last && history.at(i).timeMs < bucketEndMs) {
            // A whole block in this bucket and without a gap: its summary stands for its points.
            const History::Block *block = history.blockAt(i);
            if (block && !block->gap && i + History::kBlock <= last && history.at(i + History::kBlock - 1).timeMs < bucketEndMs) {
                consider(history.indexOfSequence(block->lowSequence), block->lowTotal);
                consider(history.indexOfSequence(block->highSequence), block->highTotal);
                i += History::kBlock;
                continue;
            }
            const HistoryPoint &p = history.at(i);
            if (p.gap) {
                // A gap is drawn from its marker to the next point: keep the edges exact.
                if (low >= 0 && high >= 0) {
                    keep(std::min(low, high));
                    keep(std::max(low, high));
                }
                low = high = -1;
                if (i > first)
                    keep(i - 1);
                keep(i);
                if (i + 1 < last)
                    keep(i + 1);
                ++i;
                continue;
            }
            consider(i, p.total());
            ++i;
        }
        if (low >= 0) {
            keep(std::min(low, high));
            keep(std::max(low, high));
        }
    }
    return kept;
}

QList<std::pair<quint16, int>> topOwners(const History &history, int first, int last, int howMany)
{
    QHash<quint16, int> peak;
    first = std::clamp(first, 0, history.size());
    last = std::clamp(last, first, history.size());
    const auto count = [&peak](const HistoryPoint::OwnerCount &owner) {
        int &best = peak[owner.owner];
        best = std::max(best, int(owner.count));
    };
    for (int i = first; i < last;) {
        if (const History::Block *block = history.blockAt(i); block && i + History::kBlock <= last) {
            for (const HistoryPoint::OwnerCount &owner : block->ownerPeaks)
                count(owner);
            i += History::kBlock;
            continue;
        }
        const HistoryPoint &p = history.at(i);
        for (int o = 0; o < p.ownerCount; ++o)
            count(p.owners[std::size_t(o)]);
        ++i;
    }
    QList<std::pair<quint16, int>> owners;
    for (auto it = peak.cbegin(); it != peak.cend(); ++it)
        owners.append({it.key(), it.value()});
    std::sort(owners.begin(), owners.end(), [&](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : history.ownerNames().at(a.first) < history.ownerNames().at(b.first);
    });
    if (owners.size() > howMany)
        owners.resize(howMany);
    return owners;
}

} // namespace poolscope
