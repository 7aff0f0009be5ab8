#include "cachedtextdelegate.h"

#include <QApplication>
#include <QFontMetricsF>
#include <QPainter>

#include <cmath>
#include <limits>

namespace poolscope::ui {

int narrowestAdvance(const QFont &font)
{
    // Fractional advances, rounded down: a character of 3.6 pixels is not counted as 4.
    const QFontMetricsF metrics(font);
    qreal narrowest = std::numeric_limits<qreal>::max();
    for (char16_t c = 0x20; c < 0x7F; ++c)
        narrowest = std::min(narrowest, metrics.horizontalAdvance(QChar(c)));
    return std::max(1, int(std::floor(narrowest)));
}

QString fittingStart(const QString &text, const QFontMetrics &metrics, int narrowestAdvance, int width)
{
    qsizetype fits = std::max(0, width) / std::max(1, narrowestAdvance) + 2;
    if (text.size() <= fits)
        return text;
    if (text[fits - 1].isHighSurrogate())
        --fits; // not half a code point (a cut inside a longer character is elided with what follows)
    // Characters narrower than the narrowest ASCII one (marks, zero widths) can leave the start
    // short of the width: then only the whole text elides right.
    const QString start = text.first(fits);
    if (metrics.horizontalAdvance(start) <= width)
        return text;
    return start + QChar(0x2026);
}

void CachedTextDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    if (opt.features & (QStyleOptionViewItem::HasCheckIndicator | QStyleOptionViewItem::HasDecoration)) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    const QWidget *widget = opt.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    const QString text = opt.text;
    opt.text.clear(); // the style draws the panel, the selection and the focus frame
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
    if (text.isEmpty())
        return;

    // The text where QCommonStyle puts it: inside the focus frame's margin, one line.
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    const QRect rect = opt.rect.adjusted(margin, 0, -margin, 0);
    if (rect.width() <= 0)
        return;
    const Key key{text, rect.width(), int(opt.textElideMode), opt.font};
    QStaticText *laidOut = m_texts.object(key);
    if (!laidOut) {
        const QFontMetrics metrics(opt.font);
        // Eliding shapes the whole text, and a query or a diagnosis can be a thousand
        // characters that change every sample: only the start that can show is elided.
        int &narrowest = m_narrowest[opt.font];
        if (narrowest <= 0)
            narrowest = narrowestAdvance(opt.font);
        const QString shown = opt.textElideMode == Qt::ElideRight ? fittingStart(text, metrics, narrowest, rect.width()) : text;
        laidOut = new QStaticText(metrics.elidedText(shown, opt.textElideMode, rect.width(), Qt::TextSingleLine));
        laidOut->setTextFormat(Qt::PlainText);
        laidOut->setPerformanceHint(QStaticText::AggressiveCaching);
        laidOut->prepare(QTransform(), opt.font);
        m_texts.insert(key, laidOut);
    }
    const QPalette::ColorGroup group = !(opt.state & QStyle::State_Enabled) ? QPalette::Disabled
        : (opt.state & QStyle::State_Active)                                 ? QPalette::Normal
                                                                              : QPalette::Inactive;
    const QSizeF size = laidOut->size();
    QPointF at(rect.left(), rect.top() + (rect.height() - size.height()) / 2.0);
    const Qt::Alignment horizontal = QStyle::visualAlignment(opt.direction, opt.displayAlignment) & Qt::AlignHorizontal_Mask;
    if (horizontal & Qt::AlignRight)
        at.setX(rect.right() + 1 - size.width());
    else if (horizontal & Qt::AlignHCenter)
        at.setX(rect.left() + (rect.width() - size.width()) / 2.0);
    painter->save();
    painter->setFont(opt.font);
    painter->setPen(opt.palette.color(group, opt.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text));
    painter->setClipRect(rect, Qt::IntersectClip);
    painter->drawStaticText(at, *laidOut);
    painter->restore();
}

} // namespace poolscope::ui
