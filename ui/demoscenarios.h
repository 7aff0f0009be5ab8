#pragma once

#include <QList>
#include <QString>

namespace poolscope::ui {

// What the demo panel says about each of the workload's scenarios: a title for its button,
// and the short narrative a presenter shows (what is happening, what to look at, the fix).
struct DemoScenario
{
    QString name;      // the workload's name for it: "healthy", "leak", …
    QString title;     // button text
    QString happening; // what the shop is doing wrong
    QString lookAt;    // where PoolScope shows it
    QString fix;       // how to end it
    QString fixButton; // text of the panel's fix button; empty when there is nothing to fix
};

const QList<DemoScenario> &demoScenarios();
const DemoScenario *demoScenario(const QString &name);
// The narrative as rich text for a label.
QString narrativeHtml(const DemoScenario &scenario);

} // namespace poolscope::ui
