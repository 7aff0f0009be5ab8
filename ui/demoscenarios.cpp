#include "demoscenarios.h"

#include <QObject>

namespace poolscope::ui {

const QList<DemoScenario> &demoScenarios()
{
    static const QList<DemoScenario> scenarios{
        {QStringLiteral("healthy"), QObject::tr("Healthy baseline"),
         QObject::tr("The shop serves its traffic: catalog and orders through PgBouncer, billing with its own pool "
                     "straight to PostgreSQL. Every connection goes back to its pool."),
         QObject::tr("A few active and idle sessions per service, nothing idle in transaction for long, pools well "
                     "under their limits. This is what normal looks like; remember it."),
         QString(), QString()},
        {QStringLiteral("leak"), QObject::tr("Leak on the error path"),
         QObject::tr("Billing's checkout returns early when a card is declined: no ROLLBACK, no release. Each "
                     "declined card keeps a connection idle in a failed transaction; billing's pool drains, "
                     "checkouts queue and then fail."),
         QObject::tr("The <b>idle in transaction (aborted)</b> band growing in the chart; in <b>Owners</b>, "
                     "<i>billing</i> at the top and under it the stack of <i>Shop::checkout</i>; the leaked rows in "
                     "<b>Sessions</b>, marked with the reason."),
         QObject::tr("Apply the fix (release in finally) to stop new leaks, then end the leaked sessions: in "
                     "Owners select billing's stack and <i>Terminate leaked sessions here</i>. The pool refills at once."),
         QObject::tr("Fix: release in finally")},
        {QStringLiteral("forgotten"), QObject::tr("Forgotten checkout"),
         QObject::tr("Orders runs a report on a borrowed connection inside a transaction and never gives the "
                     "connection back. The connections sit idle in transaction; the orders pool runs dry."),
         QObject::tr("Sessions of <i>orders</i> <b>idle in transaction</b> with their age growing (suspected at "
                     "30 s, leaked at 60 s); on the PgBouncer target, clients holding a server while idle."),
         QObject::tr("Apply the fix so the report gives its connection back, then terminate the held sessions."),
         QObject::tr("Fix: give the connection back")},
        {QStringLiteral("flood"), QObject::tr("Oversized pool flood"),
         QObject::tr("A traffic surge meets pools configured far too large: PgBouncer may open 150 server "
                     "connections and billing 60 of its own, against a server with 47 usable slots. The server "
                     "fills up and refuses new connections."),
         QObject::tr("Total sessions hitting the <b>limit line</b> in the chart and the overview going critical; "
                     "billing's refused connections counted below; PgBouncer's pool far over what the server "
                     "can hold."),
         QObject::tr("Cap the pools: on the PgBouncer target's <b>Limits</b> tab set default_pool_size to 20, "
                     "or use the fix button (it caps PgBouncer and the shop's pools). The surge then queues in "
                     "the pools instead of drowning the server."),
         QObject::tr("Fix: cap the pools")},
        {QStringLiteral("locks"), QObject::tr("Lock pile-up"),
         QObject::tr("A flash sale: every order updates the same product row. One order's code returns before "
                     "COMMIT, keeping the row lock; every later order waits behind it and the orders pool fills "
                     "with waiting sessions."),
         QObject::tr("The <b>Blocking</b> tab: one idle-in-transaction session at the root, the waiting orders "
                     "under it; waiting sessions rising in the chart."),
         QObject::tr("Terminate the session at the root of the blocking tree. The waiters go through at once."),
         QObject::tr("Fix: commit before returning")},
    };
    return scenarios;
}

const DemoScenario *demoScenario(const QString &name)
{
    for (const DemoScenario &scenario : demoScenarios()) {
        if (scenario.name == name)
            return &scenario;
    }
    return nullptr;
}

QString narrativeHtml(const DemoScenario &scenario)
{
    QString html = QStringLiteral("<p><b>%1</b></p><p>%2</p><p><b>Look at:</b> %3</p>")
                       .arg(scenario.title.toHtmlEscaped(), scenario.happening, scenario.lookAt);
    if (!scenario.fix.isEmpty())
        html += QStringLiteral("<p><b>Fix:</b> %1</p>").arg(scenario.fix);
    return html;
}

} // namespace poolscope::ui
