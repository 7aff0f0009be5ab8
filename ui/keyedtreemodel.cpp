#include "keyedtreemodel.h"

#include "plaintext.h"

#include <QHash>
#include <QSet>
#include <QThread>

namespace poolscope::ui {

struct KeyedTreeModel::Node
{
    TreeRow row; // children of row are not kept here: they live in `children`
    Node *parent = nullptr;
    std::vector<std::unique_ptr<Node>> children;
    int rowInParent = 0; // kept current by every merge: parent() is asked for constantly
    bool fetched = false; // row.lazyChildren made children once: they are merged from now on

    void renumberChildren()
    {
        for (std::size_t i = 0; i < children.size(); ++i)
            children[i]->rowInParent = int(i);
    }
};

KeyedTreeModel::KeyedTreeModel(QStringList headers, QObject *parent)
    : QAbstractItemModel(parent)
    , m_headers(std::move(headers))
    , m_root(std::make_unique<Node>())
{
}

KeyedTreeModel::~KeyedTreeModel() = default;

std::unique_ptr<KeyedTreeModel::Node> KeyedTreeModel::build(const TreeRow &row, Node *parent)
{
    auto node = std::make_unique<Node>();
    node->row = row;
    node->row.children.clear();
    node->parent = parent;
    if (row.lazyChildren)
        return node; // made when fetched
    node->children.reserve(std::size_t(row.children.size()));
    QSet<QString> seen;
    for (const TreeRow &child : row.children) {
        if (!seen.contains(child.key)) { // as in mergeChildren: the first of a repeated key wins
            seen.insert(child.key);
            node->children.push_back(build(child, node.get()));
        }
    }
    node->renumberChildren();
    return node;
}

void KeyedTreeModel::merge(const QList<TreeRow> &rows)
{
    Q_ASSERT(QThread::currentThread() == thread());
    mergeChildren(m_root.get(), {}, rows);
}

void KeyedTreeModel::mergeChildren(Node *node, const QModelIndex &index, const QList<TreeRow> &rows)
{
    // Keys are unique among siblings; should a caller repeat one, its first row wins and the
    // rest are dropped, or every merge would append the repeat again.
    QHash<QString, int> wanted;
    wanted.reserve(rows.size());
    for (int i = 0; i < rows.size(); ++i) {
        if (!wanted.contains(rows[i].key))
            wanted.insert(rows[i].key, i);
    }

    // Remove the rows that went, in runs, from the end so the indices before stay valid.
    auto &children = node->children;
    for (int end = int(children.size()) - 1; end >= 0;) {
        if (wanted.contains(children[std::size_t(end)]->row.key)) {
            --end;
            continue;
        }
        int begin = end;
        while (begin > 0 && !wanted.contains(children[std::size_t(begin - 1)]->row.key))
            --begin;
        beginRemoveRows(index, begin, end);
        children.erase(children.begin() + begin, children.begin() + end + 1);
        node->renumberChildren();
        endRemoveRows();
        end = begin - 1;
    }

    // Update the rows that stayed, and note which keys are new.
    QList<bool> present(rows.size(), false);
    for (std::size_t i = 0; i < children.size(); ++i) {
        Node *child = children[i].get();
        const int at = wanted.value(child->row.key);
        present[at] = true;
        const TreeRow &row = rows[at];
        const bool changed = child->row.display != row.display || child->row.toolTip != row.toolTip
            || child->row.emphasised != row.emphasised || child->row.frames != row.frames || child->row.pids != row.pids
            || child->row.notes != row.notes;
        if (changed) {
            child->row = row;
            child->row.children.clear();
            Q_EMIT dataChanged(createIndex(int(i), 0, child), createIndex(int(i), columnCount() - 1, child));
        }
        child->row.lazyChildren = row.lazyChildren;
        if (!row.lazyChildren)
            mergeChildren(child, createIndex(int(i), 0, child), row.children);
        else if (child->fetched)
            mergeChildren(child, createIndex(int(i), 0, child), row.lazyChildren());
    }

    QList<int> added;
    for (int i = 0; i < rows.size(); ++i) {
        if (!present[i] && wanted.value(rows[i].key) == i)
            added.append(i);
    }
    if (added.isEmpty())
        return;
    const int first = int(children.size());
    beginInsertRows(index, first, first + int(added.size()) - 1);
    for (int i : std::as_const(added))
        children.push_back(build(rows[i], node));
    node->renumberChildren();
    endInsertRows();
}

KeyedTreeModel::Node *KeyedTreeModel::nodeOf(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex KeyedTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    const Node *node = nodeOf(parent);
    if (row < 0 || column < 0 || column >= columnCount() || std::size_t(row) >= node->children.size())
        return {};
    return createIndex(row, column, node->children[std::size_t(row)].get());
}

QModelIndex KeyedTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    Node *parent = nodeOf(child)->parent;
    if (!parent || parent == m_root.get())
        return {};
    return createIndex(parent->rowInParent, 0, parent);
}

int KeyedTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int KeyedTreeModel::columnCount(const QModelIndex &) const
{
    return int(m_headers.size());
}

QVariant KeyedTreeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const TreeRow &row = nodeOf(index)->row;
    switch (role) {
    case Qt::DisplayRole: {
        // Owners, stacks, pool and client names come from the servers and their users.
        const QVariant value = row.display.value(index.column());
        return value.typeId() == QMetaType::QString ? QVariant(safeLine(value.toString())) : value;
    }
    case SortRole:
        return index.column() < row.sortValues.size() ? row.sortValues[index.column()] : row.display.value(index.column());
    case Qt::ToolTipRole:
        return row.toolTip.isEmpty() ? QVariant() : QVariant(richFromPlain(row.toolTip));
    case Qt::BackgroundRole:
        return row.emphasised ? QVariant(QBrush(QColor(0xd3, 0x2f, 0x2f, 60))) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() > 0 && row.display.value(index.column()).typeId() == QMetaType::Int
            ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter))
            : QVariant();
    case FramesRole:
        return row.frames;
    case NotesRole:
        return row.notes;
    case PidsRole:
        return QVariant::fromValue(row.pids);
    case KeyRole:
        return row.key;
    default:
        return {};
    }
}

bool KeyedTreeModel::hasChildren(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return false;
    const Node *node = nodeOf(parent);
    return !node->children.empty() || node->row.lazyChildren; // a lazy row has children, fetched or not
}

bool KeyedTreeModel::canFetchMore(const QModelIndex &parent) const
{
    const Node *node = nodeOf(parent);
    return parent.isValid() && node->row.lazyChildren && !node->fetched;
}

void KeyedTreeModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    Node *node = nodeOf(parent);
    node->fetched = true;
    // The rows arrive from the event loop, not inside the caller's own handling of the model
    // (a view expanding the row, or another model's signal it is still answering).
    const QPersistentModelIndex row(parent.siblingAtColumn(0));
    QMetaObject::invokeMethod(this, [this, row] {
        if (!row.isValid())
            return; // the row went with a merge meanwhile
        Node *fetched = nodeOf(row);
        if (fetched->row.lazyChildren)
            mergeChildren(fetched, row, fetched->row.lazyChildren());
    }, Qt::QueuedConnection);
}

QVariant KeyedTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole)
        return m_headers.value(section);
    return {};
}

} // namespace poolscope::ui
