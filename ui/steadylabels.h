#pragma once

#include <QWidget>

class QLabel;

namespace poolscope::ui {

// Labels whose text changes every sample without laying the window out again each time.
//
// QLabel::setText() asks the layout above for a new geometry, and that request climbs to the
// window: every layout on the way is activated again, and each word-wrapped or selectable label
// in them lays its text out several times over for its size hints. With a dozen numbers changing
// every second that was milliseconds of the GUI thread per sample (bench_gui). These keep the
// geometry fixed while the text still fits, and ask for a new one only when it does not.

// Shows `text` (as it is: for PoolScope's own numbers and words) in a label whose size only
// grows: a count that goes from 9,998 to 10,003 and back does not move anything around it.
void setSteadyText(QLabel *label, const QString &text);

// A plain-text line that wraps, can be selected and copied, and whose height follows the number
// of lines it needs. Text from servers is shown through setPlainLabel (safetext's notation).
class WrappedLine : public QWidget
{
    Q_OBJECT

public:
    explicit WrappedLine(QWidget *parent = nullptr);

    void setText(const QString &text); // made safe, shown as plain text
    QString text() const;
    QLabel *label() const { return m_label; } // for its palette, margin and object name

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void fitHeight();
    bool onlyDigitsChanged(const QString &before, const QString &after); // so the lines stay as they are

    QLabel *m_label;
    int m_oneLineHeight = -1; // the label's height for one line of text, once known
    int m_tabularDigits = -1; // whether the font's digits are all as wide: 1, 0, or -1 not known yet
};

} // namespace poolscope::ui
