#pragma once

#include <QAbstractItemModel>
#include <QBrush>
#include <QStringList>
#include <QVariant>

#include <functional>
#include <memory>
#include <vector>

namespace poolscope::ui {

// One row of a tree as a sample describes it: a stable key among its siblings, the text and
// the sort value of every column, and its children.
struct TreeRow
{
    QString key;
    QVariantList display;    // one per column
    QVariantList sortValues; // one per column; display is used where missing
    QString toolTip;
    bool emphasised = false; // leaked: drawn with the warning background
    QStringList frames;      // the stack shown in the stack pane when the row is selected
    QStringList notes;       // lines under it there: where the stack came from, the trace
    QList<int> pids;         // sessions this row stands for, for actions
    QList<TreeRow> children;
    // Children made only once the view asks for them (a stack's thousands of sessions when it
    // is expanded), and merged from then on: rows nobody looks at are not built every sample.
    std::function<QList<TreeRow>()> lazyChildren;
};

// A tree model that merges each new sample into what the view already shows: rows are
// matched by key, so a row that stays keeps its selection and expansion, a row that goes is
// removed and a new one appended. Order is left to a sort proxy above it.
class KeyedTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Role { SortRole = Qt::UserRole + 1, FramesRole, PidsRole, KeyRole, NotesRole };

    explicit KeyedTreeModel(QStringList headers, QObject *parent = nullptr);
    ~KeyedTreeModel() override;

    void merge(const QList<TreeRow> &rows);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

private:
    struct Node;
    Node *nodeOf(const QModelIndex &index) const;
    void mergeChildren(Node *node, const QModelIndex &index, const QList<TreeRow> &rows);
    static std::unique_ptr<Node> build(const TreeRow &row, Node *parent);

    QStringList m_headers;
    std::unique_ptr<Node> m_root;
};

} // namespace poolscope::ui
