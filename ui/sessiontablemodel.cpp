#include "sessiontablemodel.h"

#include "analysis/classifier.h"
#include "analysis/querytags.h"
#include "analysis/tracecontext.h"
#include "plaintext.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QSet>
#include <QThread>

#include <algorithm>
#include <vector>

#include <limits>

namespace poolscope::ui {

namespace {

QString codeLocationOf(const Session &s)
{
    QueryTags tags;
    tags.tags = s.tags;
    tags.stack = s.stack;
    return codeLocation(tags);
}

QString joinPids(const QList<int> &pids)
{
    QStringList text;
    for (int pid : pids)
        text.append(QString::number(pid));
    return text.join(QStringLiteral(", "));
}

QString oneLine(QString text)
{
    text.replace(u'\n', u' ');
    text.replace(u'\t', u' ');
    return text.size() > 300 ? text.left(300) + QStringLiteral("…") : text;
}

} // namespace

SessionTableModel::SessionTableModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
{
}

void SessionTableModel::merge(const SnapshotPtr &snapshot, qint64 sampleTimeMs)
{
    Q_ASSERT(QThread::currentThread() == thread());
    m_takenAtMs = snapshot ? snapshot->takenAtMs : 0;
    m_sampleTimeMs = sampleTimeMs;
    arrange(snapshot);
    // An action's outcome stays with its session, shown or filtered out, until the session goes.
    if (!m_outcomes.isEmpty()) {
        QSet<quint64> alive;
        if (snapshot) {
            for (const Session &s : snapshot->sessions)
                alive.insert(s.key());
        }
        m_outcomes.removeIf([&alive](const auto &it) { return !alive.contains(it.key()); });
    }
}

void SessionTableModel::setFilter(const SessionFilter &filter)
{
    m_filter = filter;
    arrange(m_snapshot);
}

void SessionTableModel::sort(int column, Qt::SortOrder order)
{
    m_sortColumn = column >= 0 && column < ColumnCount ? column : -1;
    m_sortOrder = order;
    arrange(m_snapshot);
}

namespace {

// Larger age first means an earlier start; a NULL time (0) has no age and sorts as youngest.
qint64 ageKey(qint64 sinceMs)
{
    return sinceMs > 0 ? -sinceMs : std::numeric_limits<qint64>::min();
}

} // namespace

QList<int> SessionTableModel::wantedRows(const Snapshot *snapshot) const
{
    QList<int> rows;
    if (!snapshot)
        return rows;
    const QList<Session> &sessions = snapshot->sessions;
    rows.reserve(sessions.size());
    for (int i = 0; i < sessions.size(); ++i) {
        if (m_filter.matches(sessions[i]))
            rows.append(i);
    }
    if (m_sortColumn < 0)
        return rows; // the sample's order
    // Each row's key once, side by side with the session's identity, then comparisons of plain
    // values held together in memory: 10,000 rows are some 140,000 comparisons every sample,
    // and comparing through the sessions themselves (a cache miss each) cost milliseconds.
    // Equal keys keep one order, by identity, so rows do not swap places from sample to sample.
    const bool descending = m_sortOrder == Qt::DescendingOrder;
    const auto byNumber = [&](auto numberOf) {
        struct Key { qint64 number; quint64 id; int index; };
        std::vector<Key> keys;
        keys.reserve(rows.size());
        for (int i : std::as_const(rows))
            keys.push_back({numberOf(sessions[i]), sessions[i].key(), i});
        std::sort(keys.begin(), keys.end(), [descending](const Key &a, const Key &b) {
            if (a.number != b.number)
                return descending ? b.number < a.number : a.number < b.number;
            return a.id < b.id;
        });
        for (qsizetype r = 0; r < rows.size(); ++r)
            rows[r] = keys[std::size_t(r)].index;
    };
    switch (m_sortColumn) {
    case Pid: byNumber([](const Session &s) { return qint64(s.pid); }); return rows;
    case Class: byNumber([](const Session &s) { return qint64(s.sessionClass); }); return rows;
    case Verdict: byNumber([](const Session &s) { return qint64(s.leak); }); return rows;
    case InState: byNumber([](const Session &s) { return ageKey(s.stateChangeMs); }); return rows;
    case Transaction: byNumber([](const Session &s) { return ageKey(s.xactStartMs); }); return rows;
    case BlockedBy: byNumber([](const Session &s) { return qint64(s.blockedBy.size()); }); return rows;
    default: break;
    }
    struct Key { QString text; quint64 id; int index; };
    std::vector<Key> keys;
    keys.reserve(rows.size());
    for (int i : std::as_const(rows)) {
        const Session &s = sessions[i];
        keys.push_back({m_sortColumn == Query ? s.query : cell(s, m_sortColumn, true).toString(), s.key(), i});
    }
    std::sort(keys.begin(), keys.end(), [descending](const Key &a, const Key &b) {
        if (const int c = a.text.compare(b.text); c != 0)
            return descending ? c > 0 : c < 0;
        return a.id < b.id;
    });
    for (qsizetype r = 0; r < rows.size(); ++r)
        rows[r] = keys[std::size_t(r)].index;
    return rows;
}

void SessionTableModel::arrange(const SnapshotPtr &snapshot)
{
    const QList<int> wanted = wantedRows(snapshot.get());
    QHash<quint64, int> wantedAt; // session key -> row it should be on
    wantedAt.reserve(wanted.size());
    for (int p = 0; p < wanted.size(); ++p)
        wantedAt.insert(snapshot->sessions[wanted[p]].key(), p);

    // Where each row shown should go (-1: nowhere); the rows still read the previous sample.
    QList<int> target(m_rows.size());
    for (int r = 0; r < m_rows.size(); ++r)
        target[r] = wantedAt.value(session(r).key(), -1);

    // 1. The rows whose session went or that the filter no longer lets through, in runs.
    for (int end = int(m_rows.size()) - 1; end >= 0;) {
        if (target[end] >= 0) {
            --end;
            continue;
        }
        int begin = end;
        while (begin > 0 && target[begin - 1] < 0)
            --begin;
        beginRemoveRows({}, begin, end);
        m_rows.remove(begin, end - begin + 1);
        target.remove(begin, end - begin + 1);
        endRemoveRows();
        end = begin - 1;
    }

    // 2. The rows that stay: into the new sample, and into the new order by one layout change
    // that carries the selection and the current row with their sessions.
    const auto pointIntoNewSample = [&] {
        m_snapshot = snapshot;
        for (int r = 0; r < m_rows.size(); ++r)
            m_rows[r] = wanted[target[r]];
    };
    if (std::is_sorted(target.cbegin(), target.cend())) {
        pointIntoNewSample();
    } else {
        Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
        QList<int> order = target;
        std::sort(order.begin(), order.end());
        const QModelIndexList from = persistentIndexList();
        QModelIndexList to;
        to.reserve(from.size());
        for (const QModelIndex &index : from) {
            const int row = int(std::lower_bound(order.cbegin(), order.cend(), target[index.row()]) - order.cbegin());
            to.append(createIndex(row, index.column()));
        }
        target = std::move(order);
        pointIntoNewSample();
        changePersistentIndexList(from, to);
        Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    }

    // 3. New rows, in runs, where they belong: the rows above a run are already the wanted ones.
    qsizetype kept = 0;
    for (int p = 0; p < wanted.size();) {
        if (kept < target.size() && target[kept] == p) {
            ++kept;
            ++p;
            continue;
        }
        int next = p;
        while (next < wanted.size() && !(kept < target.size() && target[kept] == next))
            ++next;
        beginInsertRows({}, p, next - 1);
        m_rows.insert(p, next - p, 0);
        std::copy(wanted.cbegin() + p, wanted.cbegin() + next, m_rows.begin() + p);
        endInsertRows();
        p = next;
    }
    m_snapshot = snapshot;
    Q_ASSERT(m_rows == wanted);
    m_rowOfKey = std::move(wantedAt);
    // Whatever changed in the rows that stayed: the view repaints what it shows.
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void SessionTableModel::setActionResult(quint64 sessionKey, const QString &text, bool ok)
{
    m_outcomes.insert(sessionKey, {text, ok});
    const int row = rowOfKey(sessionKey);
    if (row >= 0)
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

double SessionTableModel::ageSeconds(qint64 sinceMs) const
{
    if (sinceMs <= 0 || m_takenAtMs <= 0)
        return -1;
    return qMax<double>(0, (m_takenAtMs - sinceMs + qMax<qint64>(0, m_now() - m_sampleTimeMs)) / 1000.0);
}

int SessionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Session &s = session(index.row());
    const int column = index.column();
    if (role == SessionKeyRole)
        return QVariant::fromValue(s.key());
    if (role == PidRole)
        return s.pid;
    if (role == Qt::BackgroundRole) {
        if (s.leak == LeakVerdict::Leaked)
            return QBrush(QColor(0xd3, 0x2f, 0x2f, 70));
        if (s.leak == LeakVerdict::Suspected)
            return QBrush(QColor(0xf5, 0x9e, 0x0b, 60));
        return {};
    }
    if (role == Qt::ForegroundRole && column == LastAction) {
        const auto outcome = m_outcomes.constFind(s.key());
        if (outcome != m_outcomes.cend())
            return QBrush(outcome->ok ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
        return {};
    }
    if (role == Qt::ToolTipRole) {
        QStringList lines;
        if (!s.reasons.isEmpty())
            lines.append(s.reasons.join(u'\n'));
        if (column == Query && !s.query.isEmpty())
            lines.append(s.query.left(4000));
        if (column == CodeLocation && !s.stack.isEmpty())
            lines.append(s.stack.join(u'\n'));
        if (column == CodeLocation && s.stackFromLeakLog && s.leakReport)
            lines.append(tr("Stack from %1's leak log (%2, line %3): %4")
                             .arg(leakLogPoolName(s.leakReport->pool), s.leakReport->file)
                             .arg(s.leakReport->line)
                             .arg(leakJoinName(s.leakJoin)));
        if ((column == Application || column == CodeLocation) && !s.applicationOwner.isEmpty())
            lines.append(tr("Owner %1, read from application_name %2%3")
                             .arg(s.applicationOwner, s.applicationName,
                                  s.stackFromApplicationName ? tr(" with its call site") : QString()));
        return lines.isEmpty() ? QVariant() : QVariant(richFromPlain(lines.join(QStringLiteral("\n\n"))));
    }
    if (role == Qt::TextAlignmentRole) {
        if (column == Pid || column == InState || column == Transaction)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    if (role == Qt::DisplayRole) {
        // Names, queries, stacks and action results come from the server and its users.
        const QVariant value = cell(s, column, false);
        return value.typeId() == QMetaType::QString ? QVariant(safeLine(value.toString())) : value;
    }
    return role == SortRole ? cell(s, column, true) : QVariant();
}

QVariant SessionTableModel::cell(const Session &s, int column, bool sort) const
{
    switch (column) {
    case Pid:
        return s.pid;
    case Class:
        return sort ? QVariant(int(s.sessionClass)) : QVariant(sessionClassName(s.sessionClass));
    case Verdict:
        if (sort)
            return int(s.leak);
        if (!s.ignoredBecause.isEmpty()) // shown as ignored, not hidden
            return QString(u"ignored: " + s.ignoredBecause);
        return s.leak == LeakVerdict::None ? QString()
                                           : leakVerdictName(s.leak) + QStringLiteral(": ") + s.reasons.value(0);
    case Application: // the whole name, call site and all, where the owner is read from it
        return s.applicationOwner.isEmpty() ? ownerOf(s, OwnerKey::Application) : s.applicationName;
    case User:
        return s.user;
    case Database:
        return s.database;
    case Client:
        if (s.clientAddr.isEmpty())
            return s.visible ? QStringLiteral("local") : QString();
        return sort ? s.clientAddr : s.clientAddr + u':' + QString::number(s.clientPort);
    case InState: {
        const double age = ageSeconds(s.stateChangeMs);
        return sort ? QVariant(age) : QVariant(age < 0 ? QString() : formatDuration(age));
    }
    case Transaction: {
        const double age = ageSeconds(s.xactStartMs);
        return sort ? QVariant(age) : QVariant(age < 0 ? QString() : formatDuration(age));
    }
    case Wait:
        return s.waitEventType.isEmpty() ? QString() : s.waitEventType + u'/' + s.waitEvent;
    case BlockedBy:
        return sort ? QVariant(s.blockedBy.size()) : QVariant(joinPids(s.blockedBy));
    case CodeLocation:
        // A stack the pool's log gave is marked: it is a join, not what the session sent.
        return s.stackFromLeakLog && !sort ? codeLocationOf(s) + tr("  [leak log]") : codeLocationOf(s);
    case Trace:
        return traceIdOf(s);
    case Query:
        return sort ? s.query : oneLine(s.query);
    case LastAction:
        return m_outcomes.value(s.key()).text;
    default:
        return {};
    }
}

QVariant SessionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[ColumnCount] = {"PID",   "Class",     "Leak",       "Application",
                                                   "User",  "Database",  "Client",     "In state",
                                                   "Transaction", "Wait", "Blocked by", "Code location",
                                                   "Trace", "Query", "Last action"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QString();
}

} // namespace poolscope::ui
