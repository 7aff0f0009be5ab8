#pragma once

#include "keyedtreemodel.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QHBoxLayout;
class QLabel;
class QPlainTextEdit;
class QSortFilterProxyModel;
class QTreeView;
QT_END_NAMESPACE

namespace poolscope::ui {

// A sortable tree of keyed rows that survives refreshes, with an optional pane showing the
// stack frames of the selected row. Owners, blocking chains and pools are each one of these.
class TreePanel : public QWidget
{
    Q_OBJECT
public:
    TreePanel(const QStringList &columns, bool withStackPane, QWidget *parent = nullptr);

    void merge(const QList<TreeRow> &rows);
    QHBoxLayout *toolBar() const { return m_toolBar; }
    QTreeView *view() const { return m_view; }
    KeyedTreeModel *model() const { return m_model; }
    QModelIndex currentIndex() const; // in the model's terms, or invalid
    QString stackText() const;
    void copySelection() const;
    void setPlaceholder(const QString &text); // shown when the tree is empty

Q_SIGNALS:
    void currentChanged(const QModelIndex &index);

private:
    void updateStackPane();
    void updatePlaceholder();

    KeyedTreeModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTreeView *m_view;
    QPlainTextEdit *m_stack = nullptr;
    QString m_stackShown; // what m_stack holds
    QHBoxLayout *m_toolBar;
    QLabel *m_placeholder;
};

} // namespace poolscope::ui
