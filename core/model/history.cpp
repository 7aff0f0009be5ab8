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
{
}

void History::append(const HistoryPoint &point)
{
    const std::size_t index = (m_head + m_size) % m_points.size();
    m_points[index] = point;
    if (m_size < m_points.size())
        ++m_size;
    else
        m_head = (m_head + 1) % m_points.size();
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
    return m_points.size() * sizeof(HistoryPoint) + names;
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

QList<int> reduceForDisplay(const History &history, int first, int last, int buckets,
                            const std::function<int(const HistoryPoint &)> &value)
{
    first = std::clamp(first, 0, history.size());
    last = std::clamp(last, first, history.size());
    QList<int> kept;
    if (first == last)
        return kept;
    if (buckets <= 0 || last - first <= 2 * buckets) {
        kept.reserve(last - first);
        for (int i = first; i < last; ++i)
            kept.append(i);
        return kept;
    }
    const qint64 t0 = history.at(first).timeMs;
    const qint64 span = qMax<qint64>(1, history.at(last - 1).timeMs - t0 + 1);
    kept.reserve(2 * buckets + 8);
    auto keep = [&](int i) {
        if (kept.isEmpty() || kept.last() < i)
            kept.append(i);
    };
    int i = first;
    while (i < last) {
        const qint64 bucket = (history.at(i).timeMs - t0) * buckets / span;
        int low = -1, high = -1;
        for (; i < last && (history.at(i).timeMs - t0) * buckets / span == bucket; ++i) {
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
                continue;
            }
            const int v = value(p);
            if (low < 0 || v < value(history.at(low)))
                low = i;
            if (high < 0 || v > value(history.at(high)))
                high = i;
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
    for (int i = first; i < last; ++i) {
        const HistoryPoint &p = history.at(i);
        for (int o = 0; o < p.ownerCount; ++o) {
            int &best = peak[p.owners[std::size_t(o)].owner];
            best = std::max(best, int(p.owners[std::size_t(o)].count));
        }
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
