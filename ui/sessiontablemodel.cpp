#include "sessiontablemodel.h"

#include "analysis/classifier.h"
#include "analysis/querytags.h"
#include "plaintext.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QThread>

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
    const QList<Session> &incoming = snapshot ? snapshot->sessions : QList<Session>();
    QHash<quint64, int> incomingIndex;
    incomingIndex.reserve(incoming.size());
    for (int i = 0; i < incoming.size(); ++i)
        incomingIndex.insert(incoming[i].key(), i);

    for (int end = int(m_rows.size()) - 1; end >= 0;) {
        if (incomingIndex.contains(m_rows[end].key())) {
            --end;
            continue;
        }
        int begin = end;
        while (begin > 0 && !incomingIndex.contains(m_rows[begin - 1].key()))
            --begin;
        beginRemoveRows({}, begin, end);
        for (int r = begin; r <= end; ++r)
            m_outcomes.remove(m_rows[r].key());
        m_rows.remove(begin, end - begin + 1);
        endRemoveRows();
        end = begin - 1;
    }

    QList<bool> placed(incoming.size(), false);
    for (Session &row : m_rows) {
        const int at = incomingIndex.value(row.key());
        row = incoming[at];
        placed[at] = true;
    }
    m_takenAtMs = snapshot ? snapshot->takenAtMs : 0;
    m_sampleTimeMs = sampleTimeMs;
    // One ranged signal: announcing only the rows that changed, in runs, measured no cheaper
    // (bench_gui), because the sort proxy's comparisons are what cost, and those are cheap now.
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));

    const int added = int(std::count(placed.cbegin(), placed.cend(), false));
    if (added > 0) {
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size()) + added - 1);
        m_rows.reserve(m_rows.size() + added);
        for (int i = 0; i < incoming.size(); ++i) {
            if (!placed[i])
                m_rows.append(incoming[i]);
        }
        reindex();
        endInsertRows();
    } else {
        reindex();
    }
}

void SessionTableModel::reindex()
{
    m_rowOfKey.clear();
    m_rowOfKey.reserve(m_rows.size());
    for (int r = 0; r < m_rows.size(); ++r)
        m_rowOfKey.insert(m_rows[r].key(), r);
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
    const Session &s = m_rows[index.row()];
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
        return s.leak == LeakVerdict::None ? QString()
                                           : leakVerdictName(s.leak) + QStringLiteral(": ") + s.reasons.value(0);
    case Application:
        return ownerOf(s, OwnerKey::Application);
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
        return codeLocationOf(s);
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
                                                   "Query", "Last action"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QString();
}

SessionFilterProxy::SessionFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(SessionTableModel::SortRole);
    setDynamicSortFilter(true);
}

void SessionFilterProxy::setFilter(const SessionFilter &filter)
{
    m_filter = filter;
    invalidateFilter();
}

namespace {

// Larger age first means an earlier start; a NULL time (0) has no age and sorts as youngest.
qint64 ageKey(qint64 sinceMs)
{
    return sinceMs > 0 ? -sinceMs : std::numeric_limits<qint64>::min();
}

} // namespace

bool SessionFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const auto *model = static_cast<const SessionTableModel *>(sourceModel());
    const Session &a = model->session(left.row());
    const Session &b = model->session(right.row());
    switch (left.column()) {
    case SessionTableModel::Pid: return a.pid < b.pid;
    case SessionTableModel::Class: return int(a.sessionClass) < int(b.sessionClass);
    case SessionTableModel::Verdict: return int(a.leak) < int(b.leak);
    case SessionTableModel::User: return a.user < b.user;
    case SessionTableModel::Database: return a.database < b.database;
    case SessionTableModel::InState: return ageKey(a.stateChangeMs) < ageKey(b.stateChangeMs);
    case SessionTableModel::Transaction: return ageKey(a.xactStartMs) < ageKey(b.xactStartMs);
    case SessionTableModel::BlockedBy: return a.blockedBy.size() < b.blockedBy.size();
    case SessionTableModel::Query: return a.query < b.query;
    default: return QSortFilterProxyModel::lessThan(left, right);
    }
}

bool SessionFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    const auto *model = static_cast<const SessionTableModel *>(sourceModel());
    return m_filter.matches(model->session(sourceRow));
}

} // namespace poolscope::ui
