#include "plaintext.h"

#include <QLabel>
#include <QTextDocument>

namespace poolscope::ui {

QString richFromPlain(const QString &plain)
{
    if (plain.isEmpty())
        return plain;
    // WhiteSpaceNormal: a long query wraps in the tooltip instead of running off the screen.
    return Qt::convertFromPlainText(safeText(plain), Qt::WhiteSpaceNormal);
}

void setPlainLabel(QLabel *label, const QString &text)
{
    if (label->textFormat() != Qt::PlainText)
        label->setTextFormat(Qt::PlainText);
    label->setText(safeText(text));
}

} // namespace poolscope::ui
