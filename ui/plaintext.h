#pragma once

#include "output/safetext.h"

#include <QString>

class QLabel;

namespace poolscope::ui {

// Text from a server or a database user in a widget. Qt reads a label's, a tooltip's or a
// message box's text as HTML when it looks like HTML (Qt::mightBeRichText), so an owner named
// "<img src=…>" or "<font size=30>" would be rendered, not shown; and the text layout obeys
// bidi overrides. These show such text as text, in the notation of safetext.h.

// For a tooltip or a message box: the text made safe, HTML-escaped and marked up as rich text
// (so Qt's guess cannot go the other way either), line breaks kept.
QString richFromPlain(const QString &plain);

// Makes the label plain text (once) and shows the text, made safe, in it.
void setPlainLabel(QLabel *label, const QString &text);

} // namespace poolscope::ui
