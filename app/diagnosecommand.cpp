// `poolscope diagnose`: what is wrong, why, and what to do, after watching the targets a while.
#include "commands.h"
#include "observe.h"

#include "output/diagnosisjson.h"
#include "output/safetext.h"
#include "output/snapshotjson.h"

#include <QDateTime>

namespace poolscope::cli {

namespace {

QString clockTime(qint64 ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss")) : QStringLiteral("--:--:--");
}

QString severityLabel(Finding::Severity severity)
{
    return severityName(severity).toUpper();
}

// The command that does what the window's button would, for a person to run after reading.
QString remedyCommand(const Remedy &remedy)
{
    if (remedy.kind == Remedy::Kind::None || remedy.pids.isEmpty())
        return {};
    QString command = remedy.kind == Remedy::Kind::Terminate ? QStringLiteral("poolscope terminate CONNINFO")
                                                             : QStringLiteral("poolscope cancel CONNINFO");
    for (int pid : remedy.pids)
        command += QStringLiteral(" --pid %1").arg(pid);
    return command;
}

void printCause(QTextStream &stream, int number, const Cause &cause)
{
    stream << number << ". " << severityLabel(cause.severity) << "  " << causeTitle(cause.kind);
    if (!cause.owner.isEmpty())
        stream << " - " << safeLine(cause.owner);
    stream << "\n   " << safeLine(cause.summary) << "\n";
    if (!cause.stack.isEmpty()) {
        stream << "   at        " << safeLine(cause.stack.first()) << "\n";
        for (int i = 1; i < cause.stack.size() && i < 4; ++i)
            stream << "             " << safeLine(cause.stack[i]) << "\n";
        if (cause.stack.size() > 4)
            stream << "             … " << cause.stack.size() - 4 << " more frames (--json has them all)\n";
    }
    for (int i = 0; i < cause.evidence.size(); ++i)
        stream << (i == 0 ? "   evidence  " : "             ") << clockTime(cause.evidence[i].atMs) << "  "
               << safeLine(cause.evidence[i].text) << "\n";
    stream << "   next      " << safeLine(cause.nextStep) << "\n";
    if (const QString command = remedyCommand(cause.remedy); !command.isEmpty())
        stream << "   do it     " << command << "\n";
}

void printDiagnosis(const AnalysedSample &sample, const Observation &observation)
{
    QTextStream &stream = out();
    const Diagnosis &diagnosis = *sample.diagnosis;
    stream << "Diagnosis of " << safeLine(sample.target) << " ("
           << (sample.kind == TargetKind::PgBouncer ? "PgBouncer" : "PostgreSQL") << "), watched "
           << formatDuration(observation.duration.count() / 1000.0) << ", at " << clockTime(diagnosis.timeMs);
    if (diagnosis.connectsPerSecond >= 0)
        stream << ", " << QString::number(diagnosis.connectsPerSecond, 'f', 1) << " new connections/s";
    stream << "\n\n";
    if (diagnosis.causes.isEmpty())
        stream << "Nothing wrong found: " << safeLine(sample.health) << "\n";
    for (int i = 0; i < diagnosis.causes.size(); ++i) {
        printCause(stream, i + 1, diagnosis.causes[i]);
        stream << "\n";
    }
    if (!diagnosis.ignoredBecause.isEmpty())
        stream << "Ignored by rule (not judged): " << safeLine(diagnosis.ignoredBecause.join(QStringLiteral("; ")))
               << "\n";
    stream.flush();
}

} // namespace

int runDiagnose(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Watch one or more targets (PostgreSQL servers, PgBouncer consoles) for a while, then say what is wrong, "
        "worst first: a connection leak, a forgotten checkout, an exhausted pool, oversized pools flooding the "
        "server, a connect storm, a lock pile-up or a slow server, each with its evidence, owner, code location "
        "and next step. A console given with its server links its clients to the server's sessions."));
    ReadSetup setup;
    Observation observation;
    QList<AnalysedSamplePtr> last;
    if (auto exit = parseAndObserve(parser, arguments, "10s", &setup, &observation, &last))
        return *exit;

    return printObserved(
        setup, last, QStringLiteral("Diagnosis"),
        [](JsonWriter &json, const AnalysedSample *sample) {
            json.key("kind");
            json.textOrNull(!sample ? QString()
                                    : sample->kind == TargetKind::PgBouncer ? QStringLiteral("pgbouncer")
                                                                            : QStringLiteral("postgresql"));
            json.key("health");
            json.textOrNull(sample ? sample->health : QString());
            json.key("diagnosis");
            if (sample && sample->diagnosis)
                writeDiagnosisJson(json, *sample->diagnosis);
            else
                json.null();
        },
        [&](const AnalysedSample &sample) {
            if (sample.diagnosis)
                printDiagnosis(sample, observation);
        });
}

} // namespace poolscope::cli
