#include "steadylabels.h"

#include "plaintext.h"

#include <QFontMetricsF>
#include <QLabel>
#include <QResizeEvent>

namespace poolscope::ui {

void setSteadyText(QLabel *label, const QString &text)
{
    if (label->text() == text)
        return;
    label->setText(text);
    // A label of fixed size (the same minimum and maximum) asks nothing of the layout on a new
    // text; it is given a new size only when the text needs more room.
    const QSize wanted = label->sizeHint();
    const bool fixed = label->minimumSize() == label->maximumSize();
    const int width = fixed ? std::max(wanted.width(), label->width()) : wanted.width();
    if (!fixed || width != label->maximumWidth() || wanted.height() != label->maximumHeight())
        label->setFixedSize(width, wanted.height());
}

WrappedLine::WrappedLine(QWidget *parent)
    : QWidget(parent)
    , m_label(new QLabel(this)) // no layout: the label's geometry requests stop here
{
    m_label->setWordWrap(true);
    m_label->setTextFormat(Qt::PlainText);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    fitHeight();
}

void WrappedLine::setText(const QString &text)
{
    const QString before = m_label->text();
    setPlainLabel(m_label, text);
    if (m_label->text() != before && !onlyDigitsChanged(before, m_label->text()))
        fitHeight();
}

bool WrappedLine::onlyDigitsChanged(const QString &before, const QString &after)
{
    // A count or an age that ticks (49 min 22 s, then 23 s) wraps where it did, when every
    // digit of the font is as wide as every other: then the lines, and the height, stay.
    if (before.size() != after.size())
        return false;
    if (m_tabularDigits < 0) {
        const QFontMetricsF metrics(m_label->font());
        const qreal zero = metrics.horizontalAdvance(u'0');
        m_tabularDigits = 1;
        for (char16_t digit = u'1'; digit <= u'9'; ++digit)
            m_tabularDigits &= int(metrics.horizontalAdvance(QChar(digit)) == zero);
    }
    if (!m_tabularDigits)
        return false;
    const auto isDigit = [](QChar c) { return c >= u'0' && c <= u'9'; };
    for (qsizetype i = 0; i < before.size(); ++i) {
        if (before[i] != after[i] && !(isDigit(before[i]) && isDigit(after[i])))
            return false;
    }
    return true;
}

QString WrappedLine::text() const
{
    return m_label->text();
}

void WrappedLine::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_label->setGeometry(rect());
    if (event->size().width() != event->oldSize().width())
        fitHeight();
}

void WrappedLine::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) {
        m_oneLineHeight = -1;
        m_tabularDigits = -1;
        fitHeight();
    }
}

void WrappedLine::fitHeight()
{
    // The lines the text needs at this width; the layout hears of it only when that changes.
    // A text that fits on one line is the usual case, told by its advance alone: the height
    // for a width lays out the document behind a selectable label, every time the text changes.
    const int width = std::max(1, this->width());
    const QString text = m_label->text();
    const QMargins margins = m_label->contentsMargins();
    const bool oneLine = !text.contains(u'\n')
        && m_label->fontMetrics().horizontalAdvance(text) <= width - margins.left() - margins.right() - 2 * m_label->margin();
    if (oneLine && m_oneLineHeight > 0) {
        if (m_oneLineHeight != maximumHeight() || m_oneLineHeight != minimumHeight())
            setFixedHeight(m_oneLineHeight);
        m_label->setGeometry(rect());
        return;
    }
    const int height = m_label->heightForWidth(width);
    if (oneLine && height > 0)
        m_oneLineHeight = height;
    const int wanted = height > 0 ? height : m_label->sizeHint().height();
    if (wanted != maximumHeight() || wanted != minimumHeight())
        setFixedHeight(wanted);
    m_label->setGeometry(rect());
}

} // namespace poolscope::ui
