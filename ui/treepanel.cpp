#include "treepanel.h"

#include "cachedtextdelegate.h"
#include "plaintext.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTreeView>
#include <QVBoxLayout>

namespace poolscope::ui {

TreePanel::TreePanel(const QStringList &columns, bool withStackPane, QWidget *parent)
    : QWidget(parent)
    , m_model(new KeyedTreeModel(columns, this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_view(new QTreeView(this))
    , m_toolBar(new QHBoxLayout)
    , m_placeholder(new QLabel(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(KeyedTreeModel::SortRole);
    m_proxy->setDynamicSortFilter(true);
    m_view->setModel(m_proxy);
    m_view->setItemDelegate(new CachedTextDelegate(m_view));
    m_view->setSortingEnabled(true);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->header()->setStretchLastSection(true);
    m_view->setColumnWidth(0, m_view->fontMetrics().horizontalAdvance(u'M') * 28);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setEnabled(false); // drawn greyed out

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(m_toolBar);
    layout->addWidget(m_placeholder);
    if (withStackPane) {
        m_stack = new QPlainTextEdit(this);
        m_stack->setObjectName(QStringLiteral("stackPane"));
        m_stack->setReadOnly(true);
        m_stack->setPlaceholderText(tr("Select an owner, stack or session to see the stack that checked it out."));
        m_stack->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        auto *splitter = new QSplitter(Qt::Horizontal, this);
        splitter->addWidget(m_view);
        splitter->addWidget(m_stack);
        splitter->setStretchFactor(0, 3);
        splitter->setStretchFactor(1, 2);
        layout->addWidget(splitter);
    } else {
        layout->addWidget(m_view);
    }
    // Owners and pools open at their first level; what the user folds stays folded.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &parent, int first, int last) {
        if (parent.isValid())
            return;
        for (int r = first; r <= last; ++r)
            m_view->expand(m_proxy->index(r, 0));
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] {
        updateStackPane();
        Q_EMIT currentChanged(currentIndex());
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this, &TreePanel::updateStackPane);
    updatePlaceholder();
}

void TreePanel::merge(const QList<TreeRow> &rows)
{
    m_model->merge(rows);
    updatePlaceholder();
}

void TreePanel::setPlaceholder(const QString &text)
{
    m_placeholder->setText(text);
    updatePlaceholder();
}

void TreePanel::updatePlaceholder()
{
    const bool empty = m_model->rowCount() == 0;
    m_placeholder->setVisible(empty && !m_placeholder->text().isEmpty());
}

QModelIndex TreePanel::currentIndex() const
{
    return m_proxy->mapToSource(m_view->currentIndex());
}

QString TreePanel::stackText() const
{
    const QModelIndex index = currentIndex();
    if (!index.isValid())
        return {};
    const QStringList frames = index.data(KeyedTreeModel::FramesRole).toStringList();
    QStringList lines{index.siblingAtColumn(0).data().toString()};
    if (frames.isEmpty())
        lines.append(tr("  (no stack: the client sent no stack tag in its query comments, nor a call site in its "
                        "application_name)"));
    for (int i = 0; i < frames.size(); ++i)
        lines.append(QStringLiteral("  #%1 %2").arg(QString::number(i), safeLine(frames[i])));
    for (const QString &note : index.data(KeyedTreeModel::NotesRole).toStringList())
        lines.append(u"  " + safeLine(note));
    return lines.join(u'\n');
}

void TreePanel::updateStackPane()
{
    // Set only when it changes: the operator may be selecting frames to copy while samples
    // arrive, and laying out the text again each second costs the window for nothing.
    if (!m_stack)
        return;
    const QString text = stackText();
    if (text != m_stackShown) {
        m_stackShown = text;
        m_stack->setPlainText(text);
    }
}

void TreePanel::copySelection() const
{
    QStringList lines;
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &row : rows) {
        QStringList cells;
        for (int c = 0; c < m_proxy->columnCount(); ++c)
            cells.append(m_proxy->index(row.row(), c, row.parent()).data().toString());
        lines.append(cells.join(u'\t'));
    }
    if (rows.size() == 1 && m_stack)
        lines.append(stackText());
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(u'\n') + u'\n');
}

} // namespace poolscope::ui
