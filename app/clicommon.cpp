#include "clicommon.h"

#include "output/safetext.h"
#include "sampling/sampler.h"
#include "sampling/terminationrequest.h"

#include <QCoreApplication>
#include <QTimer>

#include <atomic>
#include <cmath>
#include <csignal>

#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

namespace poolscope::cli {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

void writeOut(const QByteArray &bytes)
{
    out().flush();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

std::optional<int> parseOrExit(QCommandLineParser &parser, const QStringList &arguments, int minPositional,
                               int maxPositional)
{
    if (!parser.parse(arguments)) {
        err() << parser.errorText() << "\nTry '" << arguments.value(0) << " --help'.\n";
        err().flush();
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        out().flush();
        return ExitOk;
    }
    const qsizetype count = parser.positionalArguments().size();
    if (count < minPositional || (maxPositional >= 0 && count > maxPositional)) {
        err() << (count < minPositional ? "missing arguments" : "too many arguments") << "\n" << parser.helpText();
        err().flush();
        return ExitUsage;
    }
    return std::nullopt;
}

std::optional<ConnInfo> targetFrom(const QString &text)
{
    QString error;
    auto target = ConnInfo::parse(text, &error);
    if (!target) {
        err() << "poolscope: invalid connection string: " << safeText(error) << "\n";
        err().flush();
    }
    return target;
}

namespace {

struct ThresholdOption
{
    const char *name;
    const char *help;
    double LeakRules::*field;
    bool percent;
};

const ThresholdOption kThresholds[] = {
    {"aborted-leaked-after", "Idle in transaction (aborted) this long is leaked [10s].", &LeakRules::abortedLeakedAfter, false},
    {"idle-tx-warn-after", "Idle in transaction this long gets a reason [5s].", &LeakRules::idleInTxWarnAfter, false},
    {"idle-tx-suspect-after", "Idle in transaction this long is a suspected leak [30s].", &LeakRules::idleInTxSuspectAfter, false},
    {"idle-tx-leaked-after", "Idle in transaction this long is leaked [60s].", &LeakRules::idleInTxLeakedAfter, false},
    {"idle-starved-after", "Idle this long while its role, database or server is out of slots is suspected [5s].",
     &LeakRules::idleStarvedAfter, false},
    {"flood-warn", "Warn when client sessions use this percentage of usable slots [80].", &LeakRules::floodWarnPercent, true},
    {"flood-critical", "Critical at this percentage of usable slots [95].", &LeakRules::floodCriticalPercent, true},
    {"owner-share", "Flag an owner holding more than this percentage of slots, mostly idle [30].",
     &LeakRules::ownerSharePercent, true},
    {"slow-statement", "An active statement running this long counts towards a slow server [5s].",
     &LeakRules::slowStatementAfter, false},
};

} // namespace

void addAnalysisOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("owner-by"),
                      QStringLiteral("Group owners by application, user, client, database or code [application]."),
                      QStringLiteral("key"), QStringLiteral("application")});
    for (const ThresholdOption &option : kThresholds)
        parser.addOption({QString::fromLatin1(option.name), QString::fromLatin1(option.help),
                          option.percent ? QStringLiteral("percent") : QStringLiteral("duration")});
    parser.addOption({QStringLiteral("rising-samples"),
                      QStringLiteral("Samples in a row a code location's leaked count must rise to be called a leak [3]."),
                      QStringLiteral("n")});
    parser.addOption({QStringLiteral("connect-storm"),
                      QStringLiteral("New connections a second, sustained, that are a connect storm [10]."),
                      QStringLiteral("rate")});
    parser.addOption({QStringLiteral("ignore"),
                      QStringLiteral("Never judge these sessions leaked, nor alert or diagnose on them: application=NAME, "
                                     "user=NAME or database=NAME; repeat for more. Besides pg_dump, pg_dumpall, "
                                     "pg_restore, pg_basebackup and queries commented /* poolscope:ignore */; "
                                     "--ignore none drops those defaults."),
                      QStringLiteral("rule")});
    parser.addOption({QStringLiteral("leak-log"),
                      QStringLiteral("A connection pool's log to read leak reports from (HikariCP, c3p0, DBCP2, Tomcat "
                                     "JDBC, SQLAlchemy) and join to the sessions they explain: FILE, OWNER=FILE "
                                     "(only sessions of that application_name), and ,threshold=DURATION for the "
                                     "pool's leak threshold (HikariCP, c3p0); repeat for more."),
                      QStringLiteral("spec")});
    parser.addOption({QStringLiteral("app-callsite"),
                      QStringLiteral("Read an owner and a call site from application_name with this regular expression "
                                     "and its groups (?<owner>...) and (?<frame>...); repeat for more, tried in order "
                                     "before the defaults (owner@File.java:212, owner:func@file.py:12, "
                                     "owner (file.go:123)). --app-callsite none drops the defaults."),
                      QStringLiteral("regex")});
}

std::optional<QList<LeakLogSpec>> leakLogsFrom(const QCommandLineParser &parser)
{
    QList<LeakLogSpec> specs;
    for (const QString &text : parser.values(QStringLiteral("leak-log"))) {
        QString error;
        const std::optional<LeakLogSpec> spec = LeakLogSpec::parse(text, &error);
        if (!spec) {
            err() << "poolscope: --leak-log: '" << safeLine(text) << "': " << safeLine(error) << "\n";
            err().flush();
            return std::nullopt;
        }
        specs.append(*spec);
    }
    return specs;
}

std::optional<LeakRules> rulesFrom(const QCommandLineParser &parser)
{
    LeakRules rules;
    for (const ThresholdOption &option : kThresholds) {
        const QString name = QString::fromLatin1(option.name);
        if (!parser.isSet(name))
            continue;
        const QString text = parser.value(name);
        std::optional<double> value;
        if (option.percent) {
            bool ok = false;
            const double percent = text.toDouble(&ok);
            if (ok && percent > 0 && percent <= 100)
                value = percent;
        } else {
            value = parseSeconds(text);
        }
        if (!value) {
            err() << "poolscope: --" << name << ": '" << safeLine(text) << "' is not a "
                  << (option.percent ? "percentage between 0 and 100" : "duration such as 30s, 2min or 500ms") << "\n";
            err().flush();
            return std::nullopt;
        }
        rules.*option.field = *value;
    }
    if (parser.isSet(QStringLiteral("rising-samples"))) {
        bool ok = false;
        rules.risingSamples = parser.value(QStringLiteral("rising-samples")).toInt(&ok);
        if (!ok || rules.risingSamples < 2) {
            err() << "poolscope: --rising-samples needs a whole number of at least 2\n";
            err().flush();
            return std::nullopt;
        }
    }
    if (parser.isSet(QStringLiteral("connect-storm"))) {
        bool ok = false;
        rules.connectStormPerSecond = parser.value(QStringLiteral("connect-storm")).toDouble(&ok);
        if (!ok || !(rules.connectStormPerSecond > 0) || rules.connectStormPerSecond > 1e6) {
            err() << "poolscope: --connect-storm needs a number of connections a second above 0\n";
            err().flush();
            return std::nullopt;
        }
    }
    for (const QString &rule : parser.values(QStringLiteral("ignore"))) {
        if (rule == QLatin1String("none")) {
            rules.ignore = IgnoreRules{{}, {}, {}};
            continue;
        }
        if (!rules.ignore.add(rule)) {
            err() << "poolscope: --ignore: '" << safeLine(rule)
                  << "' is not application=NAME, user=NAME, database=NAME or none\n";
            err().flush();
            return std::nullopt;
        }
    }
    // Given patterns go before the defaults, in their order; "none" drops all before it.
    qsizetype given = 0;
    for (const QString &pattern : parser.values(QStringLiteral("app-callsite"))) {
        if (pattern == QLatin1String("none")) {
            rules.callSites.patterns.clear();
            given = 0;
            continue;
        }
        if (const QString problem = AppCallSites::problem(pattern); !problem.isEmpty()) {
            err() << "poolscope: --app-callsite: '" << safeLine(pattern) << "' " << problem << "\n";
            err().flush();
            return std::nullopt;
        }
        rules.callSites.patterns.insert(given++, pattern);
    }
    return rules;
}

std::optional<OwnerKey> ownerKeyFrom(const QCommandLineParser &parser)
{
    const auto key = ownerKeyFromName(parser.value(QStringLiteral("owner-by")));
    if (!key) {
        err() << "poolscope: --owner-by takes application, user, client, database or code\n";
        err().flush();
    }
    return key;
}

QCommandLineOption timeoutOption()
{
    return {QStringLiteral("timeout"), QStringLiteral("Deadline for each query [5s]."), QStringLiteral("duration"),
            QStringLiteral("5s")};
}

std::chrono::milliseconds timeoutFrom(const QCommandLineParser &parser, bool *ok)
{
    const auto seconds = parseSeconds(parser.value(QStringLiteral("timeout")));
    *ok = seconds && *seconds > 0;
    if (!*ok) {
        err() << "poolscope: --timeout needs a duration such as 5s\n";
        err().flush();
        return {};
    }
    return std::chrono::milliseconds(qint64(*seconds * 1000));
}

int reportConnectionError(const ConnInfo &target, const PgError &error)
{
    if (error.kind == PgError::Kind::Options) {
        err() << "poolscope: invalid connection string: " << safeText(error.message) << "\n";
        err().flush();
        return ExitUsage;
    }
    // The message may quote the server, which may quote what a database user wrote.
    err() << "poolscope: cannot connect to " << safeLine(target.displayName()) << ": " << safeText(error.message) << "\n";
    if (const QString advice = error.advice(); !advice.isEmpty())
        err() << "  " << safeText(advice) << "\n";
    err().flush();
    return error.kind == PgError::Kind::Privilege ? ExitPrivilege : ExitConnection;
}

int confirm(bool yes, const QString &question)
{
    if (yes)
        return ExitOk;
    if (!isatty(STDIN_FILENO)) {
        err() << "poolscope: refusing to act without a terminal to confirm on; pass --yes to confirm in advance\n";
        err().flush();
        return ExitUsage;
    }
    out() << question << " [y/N] ";
    out().flush();
    char line[64] = {};
    if (!std::fgets(line, sizeof line, stdin))
        return ExitDeclined;
    const QString answer = QString::fromLocal8Bit(line).trimmed().toLower();
    if (answer == QLatin1String("y") || answer == QLatin1String("yes"))
        return ExitOk;
    out() << "Nothing done.\n";
    out().flush();
    return ExitDeclined;
}

int terminalWidth()
{
    winsize size{};
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 40)
        return size.ws_col;
    bool ok = false;
    const int columns = qEnvironmentVariableIntValue("COLUMNS", &ok);
    return ok && columns > 40 ? columns : 160;
}

QCommandLineOption serverBudgetOption()
{
    return {QStringLiteral("server-budget"),
            QStringLiteral("Keep the interval while one read costs the server at most this % of it; beyond, the "
                           "interval is stretched and the reason printed. 0 or off keeps the interval whatever a read "
                           "costs [2]."),
            QStringLiteral("percent"), QStringLiteral("2")};
}

std::optional<double> serverBudgetFrom(const QCommandLineParser &parser)
{
    const std::optional<double> percent = parseServerBudget(parser.value(QStringLiteral("server-budget")));
    if (!percent) {
        err() << "poolscope: --server-budget takes a percentage from 0 to 100, or off\n";
        err().flush();
    }
    return percent;
}

void quitOnInterrupt()
{
    onTerminationRequest([] { QCoreApplication::quit(); });
}

} // namespace poolscope::cli
