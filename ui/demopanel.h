#pragma once

#include <QJsonObject>
#include <QWidget>

#include <chrono>

QT_BEGIN_NAMESPACE
class QButtonGroup;
class QFrame;
class QLabel;
class QPushButton;
class QSlider;
QT_END_NAMESPACE

namespace poolscope::ui {

class DemoSession;

// The presenter's controls for the demo: the scenario, its fix, the traffic rate and a reset,
// what the shop sees (served, failed, refused, each pool), and a dismissible narrative of the
// scenario chosen. Commands go to the demo's host process through the session.
class DemoPanel : public QWidget
{
    Q_OBJECT
public:
    explicit DemoPanel(DemoSession &session, const QString &scenario, QWidget *parent = nullptr);

    QString scenario() const { return m_scenario; }
    void chooseScenario(const QString &name);
    void applyFix();
    void reset();
    void setRate(int requestsPerSecond);
    bool narrativeVisible() const;

private:
    void onStatus(const QJsonObject &status);
    void setRunning(bool running);
    void showNarrative();
    void updateFixButton(bool fixed);

    DemoSession &m_session;
    QString m_scenario;
    QLabel *m_state;
    QButtonGroup *m_scenarios;
    QPushButton *m_fix;
    QPushButton *m_reset;
    QSlider *m_rate;
    QLabel *m_rateLabel;
    QLabel *m_counters;
    QLabel *m_pools;
    QFrame *m_narrative;
    QLabel *m_narrativeText;
    QPushButton *m_explain;
    double m_lastServed = -1;
    std::chrono::steady_clock::time_point m_lastStatus;
};

} // namespace poolscope::ui
