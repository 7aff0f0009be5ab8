#pragma once

#include <QWidget>

QT_BEGIN_NAMESPACE
class QHBoxLayout;
class QLabel;
QT_END_NAMESPACE

namespace poolscope::ui {

class WrappedLine;

class TargetController;

// The glance: totals against the limit, the classes that matter in an incident, the health
// line in words, and the sampler's status with the age of the last sample.
class OverviewStrip : public QWidget
{
    Q_OBJECT
public:
    explicit OverviewStrip(const TargetController &target, QWidget *parent = nullptr);

    void refresh(); // from the target's latest sample and status
    QString healthText() const;
    QString statusText() const;

private:
    struct Tile { QLabel *value; QLabel *caption; };
    Tile addTile(QHBoxLayout *layout);
    void setTile(int index, const QString &value, const QString &caption, const QString &toolTip = {},
                 bool alarming = false);

    const TargetController &m_target;
    QList<Tile> m_tiles;
    WrappedLine *m_health;
    WrappedLine *m_status;
};

} // namespace poolscope::ui
