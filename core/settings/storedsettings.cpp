#include "settings/storedsettings.h"

#include "analysis/tracecontext.h"
#include "postgres/conninfo.h"

#include <cmath>

namespace poolscope {

namespace {

class Checker
{
public:
    Checker(QSettings &settings, QStringList &problems) : m_settings(settings), m_problems(problems) {}

    double number(const QString &key, double fallback, double low, double high)
    {
        if (!m_settings.contains(key))
            return fallback;
        const QVariant value = m_settings.value(key);
        bool ok = false;
        const double number = value.toDouble(&ok);
        if (ok && std::isfinite(number) && number >= low && number <= high)
            return number;
        complain(key, value, QStringLiteral("a number from %1 to %2").arg(low).arg(high), QString::number(fallback));
        return fallback;
    }

    int whole(const QString &key, int fallback, int low, int high)
    {
        if (!m_settings.contains(key))
            return fallback;
        const QVariant value = m_settings.value(key);
        bool ok = false;
        const qlonglong number = value.toString().trimmed().toLongLong(&ok);
        if (ok && number >= low && number <= high)
            return int(number);
        complain(key, value, QStringLiteral("a whole number from %1 to %2").arg(low).arg(high), QString::number(fallback));
        return fallback;
    }

    bool flag(const QString &key, bool fallback)
    {
        if (!m_settings.contains(key))
            return fallback;
        const QVariant value = m_settings.value(key);
        if (value.typeId() == QMetaType::Bool)
            return value.toBool();
        const QString text = value.toString().trimmed().toLower();
        if (text == QLatin1String("true") || text == QLatin1String("1"))
            return true;
        if (text == QLatin1String("false") || text == QLatin1String("0"))
            return false;
        complain(key, value, QStringLiteral("true or false"), fallback ? QStringLiteral("true") : QStringLiteral("false"));
        return fallback;
    }

    void complain(const QString &key, const QVariant &value, const QString &wanted, const QString &used)
    {
        QString shown = value.toString();
        if (shown.size() > 40)
            shown = shown.left(40) + QStringLiteral("…");
        m_problems.append(QStringLiteral("%1: \"%2\" is not %3; %4 is used").arg(key, shown, wanted, used));
    }

private:
    QSettings &m_settings;
    QStringList &m_problems;
};

// A list saved by QSettings: a list, one value (INI files keep a one-item list as a plain
// value), or nothing.
QStringList stringsAt(QSettings &settings, const QString &key)
{
    const QVariant value = settings.value(key);
    return value.typeId() == QMetaType::QStringList ? value.toStringList()
           : value.isValid()                        ? QStringList{value.toString()}
                                                    : QStringList();
}

} // namespace

StoredSettings readStoredSettings(QSettings &settings)
{
    StoredSettings stored;
    Checker check(settings, stored.problems);
    const AlertRules defaults;
    stored.alertRules.slotsUsedPercent =
        check.number(QStringLiteral("alerts/slotsUsedPercent"), defaults.slotsUsedPercent, 1, 100);
    stored.alertRules.waitingLongerThanSeconds =
        check.number(QStringLiteral("alerts/waitingLongerThanSeconds"), defaults.waitingLongerThanSeconds, 0, 3600);
    stored.alertRules.leakedSessions = check.flag(QStringLiteral("alerts/leakedSessions"), defaults.leakedSessions);
    stored.alertRules.risingSamples = check.whole(QStringLiteral("alerts/risingSamples"), defaults.risingSamples, 0, 100);
    if (stored.alertRules.risingSamples == 1)
        stored.alertRules.risingSamples = 2; // a trend needs two samples
    stored.readOnly = check.flag(QStringLiteral("readOnly"), false);
    stored.alwaysRecord = check.flag(QStringLiteral("recording/alwaysOn"), false);
    stored.recordingCapMegabytes = check.whole(QStringLiteral("recording/capMegabytes"),
                                               StoredSettings::kDefaultRecordingCapMegabytes,
                                               StoredSettings::kMinRecordingCapMegabytes,
                                               StoredSettings::kMaxRecordingCapMegabytes);
    if (settings.contains(QStringLiteral("sampling/serverBudgetPercent")))
        stored.serverBudgetPercent = check.number(QStringLiteral("sampling/serverBudgetPercent"), 2, 0, 100);
    if (settings.contains(QStringLiteral("analysis/ignore"))) {
        // Saved as the rules' text, one a line ("application=pg_dump"); an empty list is a
        // choice (nothing ignored), not a missing one.
        stored.ignoreRules = IgnoreRules{{}, {}, {}};
        for (const QString &rule : stringsAt(settings, QStringLiteral("analysis/ignore"))) {
            if (!rule.trimmed().isEmpty() && !stored.ignoreRules.add(rule))
                stored.problems.append(QStringLiteral("analysis/ignore: \"%1\" is not application=, user= or database=NAME; "
                                                      "left out").arg(rule));
        }
    }
    for (const QString &text : stringsAt(settings, QStringLiteral("leaklogs/files"))) {
        if (text.trimmed().isEmpty())
            continue;
        QString error;
        if (const std::optional<LeakLogSpec> spec = LeakLogSpec::parse(text, &error))
            stored.leakLogs.append(*spec);
        else
            stored.problems.append(QStringLiteral("leaklogs/files: \"%1\": %2; left out").arg(text, error));
    }
    if (settings.contains(QStringLiteral("analysis/appCallSites"))) {
        // As the ignore rules: one pattern a line, and an empty list means none.
        stored.appCallSites.patterns.clear();
        for (const QString &pattern : stringsAt(settings, QStringLiteral("analysis/appCallSites"))) {
            if (pattern.isEmpty())
                continue;
            if (const QString problem = AppCallSites::problem(pattern); problem.isEmpty())
                stored.appCallSites.patterns.append(pattern);
            else
                stored.problems.append(QStringLiteral("analysis/appCallSites: \"%1\" %2; left out").arg(pattern, problem));
        }
    }
    stored.traceUrlTemplate = readTraceUrlTemplate(settings, &stored.problems);
    for (const QString &text : stringsAt(settings, QStringLiteral("targets"))) {
        if (text.trimmed().isEmpty())
            continue;
        QString error;
        if (stored.targets.size() >= StoredSettings::kMaxTargets) {
            stored.problems.append(QStringLiteral("targets: more than %1; the rest are not opened").arg(StoredSettings::kMaxTargets));
            break;
        }
        if (ConnInfo::parse(text, &error))
            stored.targets.append(text);
        else
            stored.problems.append(QStringLiteral("targets: not a connection string (%1); not opened").arg(error));
    }
    return stored;
}

QString readTraceUrlTemplate(QSettings &settings, QStringList *problems)
{
    const QString urlTemplate = settings.value(QStringLiteral("traces/urlTemplate")).toString().trimmed();
    if (const QString problem = traceUrlTemplateProblem(urlTemplate); !problem.isEmpty()) {
        if (problems)
            problems->append(QStringLiteral("traces/urlTemplate: \"%1\" %2; no trace links").arg(urlTemplate, problem));
        return {};
    }
    return urlTemplate;
}

void writeAlertRules(QSettings &settings, const AlertRules &rules)
{
    settings.setValue(QStringLiteral("alerts/slotsUsedPercent"), rules.slotsUsedPercent);
    settings.setValue(QStringLiteral("alerts/waitingLongerThanSeconds"), rules.waitingLongerThanSeconds);
    settings.setValue(QStringLiteral("alerts/leakedSessions"), rules.leakedSessions);
    settings.setValue(QStringLiteral("alerts/risingSamples"), rules.risingSamples);
}

} // namespace poolscope
