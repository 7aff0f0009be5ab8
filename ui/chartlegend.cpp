#include "chartlegend.h"

#include <QFontMetrics>
#include <QPainter>
#include <QStringList>

namespace poolscope::ui {

namespace {

constexpr int kMarginX = 8;
constexpr int kMarginBottom = 4;
constexpr int kGap = 14;      // between entries
constexpr int kInnerGap = 5;  // swatch, name and value

QFont boldOf(QFont font)
{
    font.setBold(true);
    return font;
}

} // namespace

ChartLegend::ChartLegend(QWidget *parent)
    : QWidget(parent)
{
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void ChartLegend::setEntries(const QList<Entry> &entries)
{
    if (entries == m_entries)
        return;
    m_entries = entries;
    // A new value is a repaint; the layout hears of it only when the entries need other lines.
    const int lines = linesAt(width());
    if (lines != m_linesShown) {
        m_linesShown = lines;
        updateGeometry();
    }
    update();
}

QString ChartLegend::text() const
{
    QStringList parts;
    for (const Entry &e : m_entries)
        parts.append(e.name + u' ' + e.value);
    return parts.join(QStringLiteral("  "));
}

int ChartLegend::lineHeight() const
{
    return std::max(fontMetrics().height(), QFontMetrics(boldOf(font())).height()) + 2;
}

int ChartLegend::entryWidth(const Entry &entry) const
{
    const int swatch = fontMetrics().ascent();
    return swatch + kInnerGap + fontMetrics().horizontalAdvance(entry.name) + kInnerGap
           + QFontMetrics(boldOf(font())).horizontalAdvance(entry.value);
}

QList<QPoint> ChartLegend::place(int width) const
{
    QList<QPoint> at;
    at.reserve(m_entries.size());
    const int right = std::max(kMarginX + 1, width - kMarginX);
    int x = kMarginX, y = 0;
    for (const Entry &e : m_entries) {
        const int w = entryWidth(e);
        if (x > kMarginX && x + w > right) {
            x = kMarginX;
            y += lineHeight();
        }
        at.append(QPoint(x, y));
        x += w + kGap;
    }
    return at;
}

int ChartLegend::linesAt(int width) const
{
    if (m_entries.isEmpty())
        return 0;
    return place(width).last().y() / lineHeight() + 1;
}

int ChartLegend::heightForWidth(int width) const
{
    const int lines = linesAt(width);
    return lines == 0 ? 0 : lines * lineHeight() + kMarginBottom;
}

QSize ChartLegend::sizeHint() const
{
    const int w = width() > 0 ? width() : 400;
    return QSize(w, heightForWidth(w));
}

QSize ChartLegend::minimumSizeHint() const
{
    return QSize(0, heightForWidth(width() > 0 ? width() : 400));
}

void ChartLegend::paintEvent(QPaintEvent *)
{
    if (m_linesShown != linesAt(width())) {
        // Resized since: the layout places the legend again, then it is painted.
        m_linesShown = linesAt(width());
        updateGeometry();
    }
    QPainter painter(this);
    const QFontMetrics fm = fontMetrics();
    const QFont bold = boldOf(font());
    const QList<QPoint> at = place(width());
    painter.setPen(palette().color(QPalette::WindowText));
    for (int i = 0; i < m_entries.size(); ++i) {
        const Entry &e = m_entries[i];
        const int baseline = at[i].y() + 1 + fm.ascent();
        const int swatch = fm.ascent() - fm.ascent() / 4;
        painter.fillRect(QRect(at[i].x(), baseline - swatch, swatch, swatch), e.color);
        int x = at[i].x() + fm.ascent() + kInnerGap;
        painter.setFont(font());
        painter.drawText(QPoint(x, baseline), e.name);
        x += fm.horizontalAdvance(e.name) + kInnerGap;
        painter.setFont(bold);
        painter.drawText(QPoint(x, baseline), e.value);
    }
}

} // namespace poolscope::ui
