#pragma once

#include <QStyledItemDelegate>

namespace poolscope::ui {

// Draws a cell whose sort value is a fraction (0…1) as a bar with the cell's text on it: how
// full a pool is, readable at a glance down a column.
class UtilisationDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace poolscope::ui
