#pragma once

#include <QColor>
#include <QList>
#include <QString>
#include <QWidget>

namespace poolscope::ui {

// The legend under a TimeChart: a swatch, a name and the latest value per entry, flowing onto
// as many lines as the width needs. Painted, not a rich-text label: the values change every
// second, and a word-wrapped rich-text QLabel lays its whole document out again on each
// change, then once more for the layout's height-for-width (several milliseconds a second per
// chart at the window's size). Here a new value costs a repaint; the height is asked again
// only when the lines the entries need change.
class ChartLegend : public QWidget
{
    Q_OBJECT

public:
    struct Entry
    {
        QColor color;
        QString name;  // already safe for display (safeLine)
        QString value;
        bool operator==(const Entry &other) const = default;
    };

    explicit ChartLegend(QWidget *parent = nullptr);

    void setEntries(const QList<Entry> &entries);
    QList<Entry> entries() const { return m_entries; }
    // The legend as one line of text, e.g. for the clipboard and for tests.
    QString text() const;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    // Where each entry goes at a width: its top-left corner, one per entry.
    QList<QPoint> place(int width) const;
    int entryWidth(const Entry &entry) const;
    int lineHeight() const;
    int linesAt(int width) const;

    QList<Entry> m_entries;
    int m_linesShown = 0;
};

} // namespace poolscope::ui
