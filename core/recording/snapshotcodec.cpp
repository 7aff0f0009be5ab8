#include "recording/snapshotcodec.h"

namespace poolscope {

using codec::ByteReader;
using codec::ByteWriter;

namespace {

// A time column stored as milliseconds before the sample was taken (0 stays NULL): ages
// are small numbers, epoch times are not.
template<class Row>
struct Time
{
    qint64 Row::*member;
};

// The stored fields of each row, in their order on disk. A field's position is its bit in the
// row's change mask, so fields are only ever appended (with a new format version).
template<class V> void fields(V &v, const Session *)
{
    // What changes from sample to sample first: a change mask of seven bits is one byte.
    v(&Session::state);
    v(Time<Session>{&Session::stateChangeMs});
    v(Time<Session>{&Session::queryStartMs});
    v(&Session::query);
    v(&Session::queryId);
    v(Time<Session>{&Session::xactStartMs});
    v(&Session::backendXid);
    v(&Session::waitEventType);
    v(&Session::waitEvent);
    v(&Session::backendXmin);
    v(&Session::blockedBy);
    v(&Session::tags);
    v(&Session::stack);
    v(&Session::tagsRemembered);
    v(&Session::pid);
    v(&Session::database);
    v(&Session::user);
    v(&Session::applicationName);
    v(&Session::clientAddr);
    v(&Session::clientPort);
    v(Time<Session>{&Session::backendStartMs});
    v(&Session::backendType);
    v(&Session::leaderPid);
    v(&Session::visible);
    v(&Session::own);
}

template<class V> void fields(V &v, const Snapshot *)
{
    v(&Snapshot::serverVersion);
    v(&Snapshot::serverVersionNum);
    v(&Snapshot::takenAtMs);
    v(&Snapshot::readMs);
    v(&Snapshot::ownPid);
    v(&Snapshot::fullVisibility);
    v(&Snapshot::hiddenColumns);
    v(&Snapshot::backgroundProcesses);
}

template<class V> void fields(V &v, const Limits *)
{
    v(&Limits::maxConnections);
    v(&Limits::superuserReserved);
    v(&Limits::reserved);
    v(&Limits::idleInTransactionTimeoutMs);
    v(&Limits::idleSessionTimeoutMs);
    v(&Limits::hasIdleSessionTimeout);
    v(&Limits::hasReservedConnections);
    v(&Limits::roles);
    v(&Limits::databases);
}

template<class V> void fields(V &v, const BouncerSnapshot *)
{
    v(&BouncerSnapshot::version);
    v(&BouncerSnapshot::versionNum);
    v(&BouncerSnapshot::takenAtMs);
    v(&BouncerSnapshot::clientsReadAtMs);
    v(&BouncerSnapshot::lists);
    v(&BouncerSnapshot::missingCommands);
    v(&BouncerSnapshot::findings);
}

template<class V> void fields(V &v, const BouncerPool *)
{
    v(&BouncerPool::database);
    v(&BouncerPool::user);
    v(&BouncerPool::clActive);
    v(&BouncerPool::clWaiting);
    v(&BouncerPool::clIdle);
    v(&BouncerPool::clCancelRequests);
    v(&BouncerPool::svActive);
    v(&BouncerPool::svIdle);
    v(&BouncerPool::svUsed);
    v(&BouncerPool::svTested);
    v(&BouncerPool::svLogin);
    v(&BouncerPool::maxWaitSeconds);
    v(&BouncerPool::poolMode);
    v(&BouncerPool::size);
    v(&BouncerPool::sizeSource);
    v(&BouncerPool::reserve);
}

template<class V> void fields(V &v, const BouncerConnection *)
{
    v(&BouncerConnection::id);
    v(&BouncerConnection::user);
    v(&BouncerConnection::database);
    v(&BouncerConnection::state);
    v(&BouncerConnection::addr);
    v(&BouncerConnection::port);
    v(&BouncerConnection::localPort);
    v(&BouncerConnection::ptr);
    v(&BouncerConnection::link);
    v(&BouncerConnection::remotePid);
    v(&BouncerConnection::applicationName);
    v(&BouncerConnection::waitSeconds);
    v(&BouncerConnection::connectTime);
    v(&BouncerConnection::requestTime);
}

template<class V> void fields(V &v, const BouncerDatabase *)
{
    v(&BouncerDatabase::name);
    v(&BouncerDatabase::host);
    v(&BouncerDatabase::port);
    v(&BouncerDatabase::database);
    v(&BouncerDatabase::forceUser);
    v(&BouncerDatabase::poolSize);
    v(&BouncerDatabase::minPoolSize);
    v(&BouncerDatabase::reservePool);
    v(&BouncerDatabase::poolMode);
    v(&BouncerDatabase::maxConnections);
    v(&BouncerDatabase::currentConnections);
    v(&BouncerDatabase::paused);
    v(&BouncerDatabase::disabled);
}

template<class V> void fields(V &v, const BouncerSetting *)
{
    v(&BouncerSetting::key);
    v(&BouncerSetting::value);
    v(&BouncerSetting::defaultValue);
    v(&BouncerSetting::changeable);
}

template<class V> void fields(V &v, const BouncerStats *)
{
    v(&BouncerStats::database);
    v(&BouncerStats::totalXacts);
    v(&BouncerStats::totalQueries);
    v(&BouncerStats::totalWaitUs);
    v(&BouncerStats::totalReceived);
    v(&BouncerStats::totalSent);
    v(&BouncerStats::xactsPerSecond);
    v(&BouncerStats::queriesPerSecond);
    v(&BouncerStats::waitMsPerSecond);
}

// Writing and reading one value of each stored type.
struct Out
{
    ByteWriter &bytes;
    codec::StringWriter &strings;
    qint64 baseMs = 0;

    void put(const QString &v) { strings.put(bytes, v); }
    void put(int v) { bytes.putSigned(v); }
    void put(qint64 v) { bytes.putSigned(v); }
    void put(bool v) { bytes.putByte(v ? 1 : 0); }
    void put(double v) { bytes.putDouble(v); }
    // pg_stat_activity.query_id: a 64-bit hash per statement, repeated from sample to
    // sample, so it goes through the string table (absent: the empty string).
    void put(const std::optional<qint64> &v) { put(v ? QString::number(*v) : QString()); }
    template<class T> void put(const std::optional<T> &v)
    {
        put(v.has_value());
        if (v)
            put(*v);
    }
    template<class T> void put(const QList<T> &list)
    {
        bytes.putUnsigned(quint64(list.size()));
        for (const T &item : list)
            put(item);
    }
    void put(const Tag &tag) { put(tag.key), put(tag.value); }
    void put(const ConnectionLimit &l) { put(l.name), put(l.limit), put(l.current); }
    void put(const Finding &f) { bytes.putUnsigned(quint64(f.severity)), put(f.code), put(f.message); }
    void put(const QMap<QString, qint64> &map)
    {
        bytes.putUnsigned(quint64(map.size()));
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            put(it.key()), put(it.value());
    }
    void putTime(qint64 ms) { bytes.putSigned(ms == 0 ? 0 : baseMs - ms + (baseMs - ms >= 0 ? 1 : 0)); }
};

struct In
{
    ByteReader &bytes;
    codec::StringReader &strings;
    qint64 baseMs = 0;

    void get(QString &v) { v = strings.get(bytes); }
    void get(int &v) { v = int(bytes.getSigned()); }
    void get(qint64 &v) { v = bytes.getSigned(); }
    void get(bool &v) { v = bytes.byte() != 0; }
    void get(double &v) { v = bytes.getDouble(); }
    void get(std::optional<qint64> &v)
    {
        QString text;
        get(text);
        bool ok = false;
        const qint64 value = text.toLongLong(&ok);
        if (text.isEmpty())
            v.reset();
        else if (ok)
            v = value;
        else
            bytes.fail();
    }
    template<class T> void get(std::optional<T> &v)
    {
        bool present = false;
        get(present);
        if (!present) {
            v.reset();
            return;
        }
        T value{};
        get(value);
        v = value;
    }
    template<class T> void get(QList<T> &list)
    {
        const qsizetype count = bytes.getCount();
        list.clear();
        list.reserve(count);
        for (qsizetype i = 0; i < count && !bytes.failed(); ++i) {
            T item{};
            get(item);
            list.append(item);
        }
    }
    void get(Tag &tag) { get(tag.key), get(tag.value); }
    void get(ConnectionLimit &l) { get(l.name), get(l.limit), get(l.current); }
    void get(Finding &f)
    {
        const quint64 severity = bytes.getUnsigned();
        if (severity > quint64(Finding::Severity::Critical))
            bytes.fail();
        f.severity = Finding::Severity(severity);
        get(f.code), get(f.message);
    }
    void get(QMap<QString, qint64> &map)
    {
        const qsizetype count = bytes.getCount();
        map.clear();
        for (qsizetype i = 0; i < count && !bytes.failed(); ++i) {
            QString key;
            qint64 value = 0;
            get(key), get(value);
            map.insert(key, value);
        }
    }
    qint64 getTime()
    {
        const qint64 stored = bytes.getSigned();
        if (stored == 0)
            return 0;
        return baseMs - (stored > 0 ? stored - 1 : stored);
    }
};

// Which stored fields differ between two rows, one bit per field.
template<class Row>
struct Differ
{
    const Row &a;
    const Row &b;
    quint64 mask = 0;
    int bit = 0;
    template<class M> void operator()(M Row::*m)
    {
        if (!(a.*m == b.*m))
            mask |= quint64(1) << bit;
        ++bit;
    }
    void operator()(Time<Row> t) { (*this)(t.member); }
};

template<class Row>
struct Writer
{
    Out &out;
    const Row &row;
    quint64 mask;
    int bit = 0;
    bool wanted() { return mask & (quint64(1) << bit++); }
    template<class M> void operator()(M Row::*m)
    {
        if (wanted())
            out.put(row.*m);
    }
    void operator()(Time<Row> t)
    {
        if (wanted())
            out.putTime(row.*(t.member));
    }
};

template<class Row>
struct Reader
{
    In &in;
    Row &row;
    quint64 mask;
    int bit = 0;
    bool wanted() { return mask & (quint64(1) << bit++); }
    template<class M> void operator()(M Row::*m)
    {
        if (wanted())
            in.get(row.*m);
    }
    void operator()(Time<Row> t)
    {
        if (wanted())
            row.*(t.member) = in.getTime();
    }
};

template<class Row>
struct Counter
{
    int n = 0;
    template<class M> void operator()(M Row::*) { ++n; }
    void operator()(Time<Row>) { ++n; }
};

template<class Row> int fieldCount()
{
    Counter<Row> counter;
    fields(counter, static_cast<const Row *>(nullptr));
    return counter.n;
}

// A row as its change mask against `before` and the fields that changed.
template<class Row> void putRow(Out &out, const Row &before, const Row &row)
{
    Differ<Row> differ{before, row};
    fields(differ, static_cast<const Row *>(nullptr));
    out.bytes.putUnsigned(differ.mask);
    Writer<Row> writer{out, row, differ.mask};
    fields(writer, static_cast<const Row *>(nullptr));
}

template<class Row> void getRow(In &in, Row &row)
{
    const quint64 mask = in.bytes.getUnsigned();
    if (mask >> fieldCount<Row>()) {
        in.bytes.fail(); // a field this version does not know
        return;
    }
    Reader<Row> reader{in, row, mask};
    fields(reader, static_cast<const Row *>(nullptr));
}

// A list as operations on the previous sample's list, in the new list's order: keep the next n
// rows, take the next row with changes, insert a new row, or continue from another position.
// Keys only make the encoding small; duplicate keys still decode to the same list.
enum ListOp : quint64 { Keep = 0, Change = 1, Insert = 2, Seek = 3 };

template<class Row, class KeyOf>
void putList(Out &out, const QList<Row> &before, const QList<Row> &now, KeyOf keyOf)
{
    using Key = decltype(keyOf(now.first()));
    QHash<Key, int> index;
    index.reserve(before.size());
    for (int i = 0; i < before.size(); ++i)
        index.insert(keyOf(before[i]), i);
    out.bytes.putUnsigned(quint64(now.size()));
    int cursor = 0;
    quint64 kept = 0;
    const auto flushKept = [&] {
        if (kept)
            out.bytes.putUnsigned(kept << 2 | Keep);
        kept = 0;
    };
    static const Row empty{};
    for (const Row &row : now) {
        const int at = index.value(keyOf(row), -1);
        if (at < 0) {
            flushKept();
            out.bytes.putUnsigned(Insert);
            putRow(out, empty, row);
            continue;
        }
        if (at != cursor) {
            flushKept();
            out.bytes.putUnsigned(quint64(at) << 2 | Seek);
            cursor = at;
        }
        Differ<Row> differ{before[at], row};
        fields(differ, static_cast<const Row *>(nullptr));
        if (differ.mask == 0) {
            ++kept;
        } else {
            flushKept();
            out.bytes.putUnsigned(Change);
            putRow(out, before[at], row);
        }
        ++cursor;
    }
    flushKept();
}

template<class Row> void getList(In &in, const QList<Row> &before, QList<Row> &now)
{
    // Kept rows cost no bytes, new ones at least one: a longer list is a damaged one.
    const quint64 count = in.bytes.getUnsigned();
    if (count > quint64(before.size()) + quint64(in.bytes.remaining())) {
        in.bytes.fail();
        return;
    }
    now.clear();
    now.reserve(qsizetype(count));
    qsizetype cursor = 0;
    while (quint64(now.size()) < count && !in.bytes.failed()) {
        const quint64 op = in.bytes.getUnsigned();
        const quint64 argument = op >> 2;
        switch (ListOp(op & 3)) {
        case Keep:
            if (argument > quint64(before.size() - cursor) || argument > count - quint64(now.size())) {
                in.bytes.fail();
                break;
            }
            now.append(before.mid(cursor, qsizetype(argument)));
            cursor += qsizetype(argument);
            break;
        case Change:
            if (cursor >= before.size()) {
                in.bytes.fail();
                break;
            }
            now.append(before[cursor++]);
            getRow(in, now.last());
            break;
        case Insert:
            now.append(Row{});
            getRow(in, now.last());
            break;
        case Seek:
            if (argument >= quint64(before.size())) {
                in.bytes.fail();
                break;
            }
            cursor = qsizetype(argument);
            break;
        }
    }
}

quint64 sessionKey(const Session &s) { return s.key(); }
QString poolKey(const BouncerPool &p) { return p.database + QChar(0) + p.user; }
QString connectionKey(const BouncerConnection &c) { return c.ptr.isEmpty() ? c.id : c.ptr; }
QString databaseKey(const BouncerDatabase &d) { return d.name; }
QString settingKey(const BouncerSetting &s) { return s.key; }
QString statsKey(const BouncerStats &s) { return s.database; }

// Every sample starts with a byte saying what it holds, so that a PostgreSQL sample is never
// applied to a PgBouncer target's state or the other way round.
enum SampleKind : quint8 { PostgresSample = 'P', BouncerSample = 'B' };

} // namespace

QByteArray SnapshotEncoder::encode(const Snapshot &snapshot, bool keyframe)
{
    if (keyframe) {
        m_strings.clear();
        m_previous = Snapshot{};
    }
    ByteWriter bytes;
    bytes.putByte(PostgresSample);
    Out out{bytes, m_strings, snapshot.takenAtMs};
    putRow(out, m_previous, snapshot);
    putRow(out, m_previous.limits, snapshot.limits);
    putList(out, m_previous.sessions, snapshot.sessions, sessionKey);
    m_previous = snapshot;
    return bytes.take();
}

QByteArray SnapshotEncoder::encode(const BouncerSnapshot &snapshot, bool keyframe)
{
    if (keyframe) {
        m_strings.clear();
        m_previousBouncer = BouncerSnapshot{};
    }
    ByteWriter bytes;
    bytes.putByte(BouncerSample);
    Out out{bytes, m_strings, snapshot.takenAtMs};
    const BouncerSnapshot &before = m_previousBouncer;
    putRow(out, before, snapshot);
    putList(out, before.pools, snapshot.pools, poolKey);
    putList(out, before.clients, snapshot.clients, connectionKey);
    putList(out, before.servers, snapshot.servers, connectionKey);
    putList(out, before.databases, snapshot.databases, databaseKey);
    putList(out, before.settings, snapshot.settings, settingKey);
    putList(out, before.stats, snapshot.stats, statsKey);
    m_previousBouncer = snapshot;
    return bytes.take();
}

qint64 SnapshotEncoder::memoryBytes() const
{
    // Sessions dominate: a few hundred bytes each with their query.
    qint64 bytes = m_strings.memoryBytes();
    bytes += qint64(m_previous.sessions.size()) * qint64(sizeof(Session) + 64);
    bytes += qint64(m_previousBouncer.clients.size() + m_previousBouncer.servers.size()) *
             qint64(sizeof(BouncerConnection) + 64);
    return bytes;
}

bool SnapshotDecoder::decode(const QByteArray &bytes, bool keyframe, Snapshot *snapshot)
{
    if (keyframe) {
        m_strings.clear();
        m_current = Snapshot{};
        m_hasBase = true;
    }
    ByteReader reader(bytes);
    if (!m_hasBase || reader.byte() != PostgresSample) {
        m_hasBase = false;
        return false;
    }
    Snapshot next = m_current;
    In in{reader, m_strings, 0};
    getRow(in, next);
    in.baseMs = next.takenAtMs;
    getRow(in, next.limits);
    getList(in, m_current.sessions, next.sessions);
    if (reader.failed() || !reader.atEnd()) {
        m_hasBase = false;
        return false;
    }
    m_current = std::move(next);
    if (snapshot) {
        const QString target = snapshot->target;
        *snapshot = m_current;
        snapshot->target = target;
        m_callSites.apply(*snapshot, true);
        classify(*snapshot, m_rules);
    }
    return true;
}

bool SnapshotDecoder::decode(const QByteArray &bytes, bool keyframe, BouncerSnapshot *snapshot)
{
    if (keyframe) {
        m_strings.clear();
        m_currentBouncer = BouncerSnapshot{};
        m_hasBase = true;
    }
    ByteReader reader(bytes);
    if (!m_hasBase || reader.byte() != BouncerSample) {
        m_hasBase = false;
        return false;
    }
    const BouncerSnapshot &before = m_currentBouncer;
    BouncerSnapshot next = before;
    In in{reader, m_strings, 0};
    getRow(in, next);
    getList(in, before.pools, next.pools);
    getList(in, before.clients, next.clients);
    getList(in, before.servers, next.servers);
    getList(in, before.databases, next.databases);
    getList(in, before.settings, next.settings);
    getList(in, before.stats, next.stats);
    if (reader.failed() || !reader.atEnd()) {
        m_hasBase = false;
        return false;
    }
    m_currentBouncer = std::move(next);
    if (snapshot) {
        const QString target = snapshot->target;
        *snapshot = m_currentBouncer;
        snapshot->target = target;
    }
    return true;
}

} // namespace poolscope
