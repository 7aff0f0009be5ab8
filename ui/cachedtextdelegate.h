#pragma once

#include <QCache>
#include <QFont>
#include <QStaticText>
#include <QStyledItemDelegate>

namespace poolscope::ui {

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
};

} // namespace poolscope::ui
