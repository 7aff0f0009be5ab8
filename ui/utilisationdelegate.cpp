#include "utilisationdelegate.h"

#include "keyedtreemodel.h"

#include <QApplication>
#include <QPainter>

#include <algorithm>

namespace poolscope::ui {

void UtilisationDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QVariant fraction = index.data(KeyedTreeModel::SortRole);
    if (fraction.typeId() != QMetaType::Double) { // connection rows under a pool: plain text
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &background, painter, option.widget);

    const double value = std::clamp(fraction.toDouble(), 0.0, 1.0);
    painter->save();
    // Green while there is room, amber from 80 %, red when full; light enough to read over.
    QColor fill = value >= 1.0 ? QColor(0xe5, 0x39, 0x35) : value >= 0.8 ? QColor(0xfb, 0x8c, 0x00) : QColor(0x43, 0xa0, 0x47);
    fill.setAlpha(110);
    QRect filled = option.rect.adjusted(1, 1, -1, -1);
    filled.setWidth(int(filled.width() * value));
    painter->fillRect(filled, fill);
    painter->setPen(option.palette.color(option.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text));
    painter->drawText(option.rect.adjusted(4, 0, -4, 0), Qt::AlignVCenter | Qt::AlignLeft, index.data(Qt::DisplayRole).toString());
    painter->restore();
}

} // namespace poolscope::ui
