#pragma once

#include <QCache>
#include <QFont>
#include <QFontMetrics>
#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

namespace poolscope::ui {

// The narrowest advance of a printable ASCII character in `font`, in whole pixels rounded down.
int narrowestAdvance(const QFont &font);
// The start of `text` that can show in `width` pixels, no more characters than the width over
// the narrowest advance, and an ellipsis if that is not all of it: eliding it to the right
// gives what eliding the whole text gives. The whole text when that start does not fill the
// width (characters narrower than the narrowest: marks that combine, zero widths).
QString fittingStart(const QString &text, const QFontMetrics &metrics, int narrowestAdvance, int width);

// Paints a plain-text cell as QStyledItemDelegate does (background, selection, focus, colours,
// font, alignment, elision), but keeps each cell text's laid-out glyphs: a table of thousands
// of sessions repaints every second, and shaping each visible cell's text again was a third of
// the window's time. Cells with a check box or an icon are left to QStyledItemDelegate.
class CachedTextDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    struct Key
    {
        QString text;
        int width;
        int elideMode;
        QFont font; // hashed and compared by its description, not by key(), which builds a string
        friend bool operator==(const Key &, const Key &) = default;
        friend size_t qHash(const Key &key, size_t seed = 0) noexcept
        {
            return qHashMulti(seed, key.text, key.width, key.elideMode, key.font);
        }
    };
    // A few screens of cells; the ages that tick every second push out the oldest.
    mutable QCache<Key, QStaticText> m_texts{4000};
    mutable QHash<QFont, int> m_narrowest; // per font: the narrowest printable ASCII advance
};

} // namespace poolscope::ui
