#include "textreport.h"

#include "analysis/classifier.h"
#include "analysis/tracecontext.h"
#include "output/safetext.h"
#include "output/snapshotjson.h"

#include <algorithm>

namespace poolscope::cli {

namespace {

int urgency(const Session &s)
{
    if (s.leak == LeakVerdict::Leaked)
        return 0;
    if (s.leak == LeakVerdict::Suspected)
        return 1;
    switch (s.sessionClass) {
    case SessionClass::IdleInTransactionAborted: return 2;
    case SessionClass::IdleInTransaction: return 3;
    case SessionClass::Waiting: return 4;
    case SessionClass::Active: return 5;
    case SessionClass::Idle: return 6;
    default: return 7;
    }
}

QString oneLine(const QString &text)
{
    QString line = text.simplified();
    return line;
}

QString severityLabel(Finding::Severity severity)
{
    switch (severity) {
    case Finding::Severity::Info: return QStringLiteral("note");
    case Finding::Severity::Warning: return QStringLiteral("WARNING");
    case Finding::Severity::Critical: return QStringLiteral("CRITICAL");
    }
    return {};
}

} // namespace

void TextTable::addRow(QStringList cells)
{
    // Cells hold what database users wrote (queries, owners, names): their control and bidi
    // characters are shown, never sent to the terminal, and a newline cannot start a fake row.
    for (QString &cell : cells)
        cell = safeLine(cell);
    m_rows.append(std::move(cells));
}

void TextTable::print(QTextStream &stream, int width) const
{
    QList<int> widths;
    for (const QString &header : m_headers)
        widths.append(int(header.size()));
    for (const QStringList &row : m_rows) {
        for (int c = 0; c < row.size() && c < widths.size(); ++c)
            widths[c] = qMax(widths[c], int(row[c].size()));
    }
    // Give the last column whatever the line has left, at least 20 characters.
    int used = 0;
    for (int c = 0; c + 1 < widths.size(); ++c)
        used += widths[c] + 2;
    if (!widths.isEmpty())
        widths.last() = qMax(20, qMin(widths.last(), width - used));
    const auto printRow = [&](const QStringList &cells) {
        QString line;
        for (int c = 0; c < widths.size(); ++c) {
            QString cell = cells.value(c);
            if (cell.size() > widths[c])
                cell = cell.left(qMax(1, widths[c] - 1)) + QChar(0x2026);
            line += c + 1 < widths.size() ? cell.leftJustified(widths[c] + 2) : cell;
        }
        while (line.endsWith(u' '))
            line.chop(1); // only trailing blanks: an empty first cell must keep its width
        stream << line << '\n';
    };
    printRow(m_headers);
    for (const QStringList &row : m_rows)
        printRow(row);
}

QList<const Session *> sessionsByUrgency(const Snapshot &snapshot)
{
    QList<const Session *> sessions;
    for (const Session &s : snapshot.sessions) {
        if (!s.own)
            sessions.append(&s);
    }
    std::stable_sort(sessions.begin(), sessions.end(), [](const Session *a, const Session *b) {
        const int ua = urgency(*a), ub = urgency(*b);
        if (ua != ub)
            return ua < ub;
        return a->stateSeconds > b->stateSeconds;
    });
    return sessions;
}

void printTextReport(QTextStream &stream, const Snapshot &snapshot, const QList<OwnerSummary> &owners,
                     OwnerKey ownerKey, const QList<Finding> &findings, const TextReportOptions &options)
{
    const Limits &limits = snapshot.limits;
    const Totals &t = snapshot.totals;
    stream << "PostgreSQL " << safeLine(snapshot.serverVersion) << " at " << safeLine(snapshot.target) << "   "
           << isoTime(snapshot.takenAtMs) << "   (read in " << QString::number(snapshot.readMs, 'f', 1) << " ms)\n";
    stream << "Slots: " << t.slotsUsed << " of " << limits.usableSlots() << " usable (max_connections "
           << limits.maxConnections << ", reserved " << (limits.superuserReserved + limits.reserved) << ")";
    if (limits.idleInTransactionTimeoutMs > 0)
        stream << "   idle_in_transaction_session_timeout " << formatDuration(limits.idleInTransactionTimeoutMs / 1000.0);
    stream << "\n";
    stream << "Sessions: " << t.total << " — active " << t.count(SessionClass::Active) << ", waiting "
           << t.count(SessionClass::Waiting) << ", idle " << t.count(SessionClass::Idle) << ", idle in transaction "
           << t.count(SessionClass::IdleInTransaction) << ", aborted " << t.count(SessionClass::IdleInTransactionAborted);
    if (t.count(SessionClass::Hidden) > 0)
        stream << ", hidden " << t.count(SessionClass::Hidden);
    stream << "   LEAKED " << t.leaked << ", suspected " << t.suspected << "\n";

    for (const Finding &finding : std::as_const(findings))
        stream << severityLabel(finding.severity) << ": " << safeLine(finding.message) << "\n";

    // Sessions.
    const QList<const Session *> ordered = sessionsByUrgency(snapshot);
    stream << "\n";
    QStringList headers{QStringLiteral("PID"), QStringLiteral("CLASS"), QStringLiteral("LEAK"), QStringLiteral("FOR"),
                        QStringLiteral("XACT"),
                        QStringLiteral("OWNER"), QStringLiteral("USER"), QStringLiteral("DB"), QStringLiteral("BLOCKED BY")};
    if (!options.via.isEmpty())
        headers << QStringLiteral("VIA PGBOUNCER");
    headers << QStringLiteral("QUERY");
    TextTable sessions(headers);
    const int shown = int(qMin<qsizetype>(ordered.size(), options.maxSessions));
    for (int i = 0; i < shown; ++i) {
        const Session &s = *ordered[i];
        QStringList blockers;
        for (int pid : s.blockedBy)
            blockers.append(QString::number(pid));
        QStringList row{QString::number(s.pid), sessionClassName(s.sessionClass),
                        !s.ignoredBecause.isEmpty() ? QStringLiteral("ignored")
                        : s.leak == LeakVerdict::None ? QString() : leakVerdictName(s.leak),
                        s.stateChangeMs > 0 ? formatDuration(s.stateSeconds) : QString(),
                        s.xactStartMs > 0 ? formatDuration(s.transactionSeconds) : QString(), ownerOf(s, ownerKey), s.user,
                        s.database, blockers.join(u',')};
        if (!options.via.isEmpty())
            row << options.via.value(s.pid);
        row << (s.visible ? oneLine(s.query) : QStringLiteral("(hidden)"));
        sessions.addRow(row);
    }
    sessions.print(stream, options.width);
    if (ordered.size() > shown)
        stream << "… and " << (ordered.size() - shown) << " more sessions (--json lists all)\n";

    // Why each leaked or suspected session is one.
    bool header = false;
    for (const Session *s : ordered) {
        if (s->leak == LeakVerdict::None)
            break;
        if (!header) {
            stream << "\nLeaks and suspects:\n";
            header = true;
        }
        stream << "  " << s->pid << " " << leakVerdictName(s->leak) << ": " << safeLine(s->reasons.join(QStringLiteral("; ")));
        if (!s->stack.isEmpty()) {
            stream << "\n      at " << safeLine(s->stack.first());
            if (s->stackFromLeakLog && s->leakReport)
                stream << " (from " << leakLogPoolName(s->leakReport->pool) << "'s leak log, "
                       << leakJoinName(s->leakJoin) << ")";
            else if (s->stackFromApplicationName)
                stream << " (from its application_name)";
            else if (s->tagsRemembered)
                stream << " (from its last tagged query)";
        }
        if (const QString traceId = traceIdOf(*s); !traceId.isEmpty()) // 32 hex digits: nothing to make safe
            stream << "\n      trace " << traceId;
        stream << "\n";
    }

    // Owners.
    stream << "\nOwners by " << ownerKeyName(ownerKey) << ":\n";
    TextTable ownerTable({QStringLiteral("OWNER"), QStringLiteral("TOTAL"), QStringLiteral("ACTIVE"),
                          QStringLiteral("WAIT"), QStringLiteral("IDLE"), QStringLiteral("IDLE-TX"),
                          QStringLiteral("ABORTED"), QStringLiteral("LEAKED"), QStringLiteral("SUSPECT"),
                          QStringLiteral("OLDEST TX")});
    const int ownersShown = int(qMin<qsizetype>(owners.size(), options.maxOwners));
    for (int i = 0; i < ownersShown; ++i) {
        const OwnerSummary &o = owners[i];
        ownerTable.addRow({o.owner, QString::number(o.total), QString::number(o.byClass[int(SessionClass::Active)]),
                           QString::number(o.byClass[int(SessionClass::Waiting)]),
                           QString::number(o.byClass[int(SessionClass::Idle)]),
                           QString::number(o.byClass[int(SessionClass::IdleInTransaction)]),
                           QString::number(o.byClass[int(SessionClass::IdleInTransactionAborted)]),
                           QString::number(o.leaked), QString::number(o.suspected),
                           o.oldestTransactionSeconds > 0 ? formatDuration(o.oldestTransactionSeconds) : QString()});
    }
    ownerTable.print(stream, options.width);
    if (owners.size() > ownersShown)
        stream << "… and " << (owners.size() - ownersShown) << " more owners\n";

    // The stacks that hold leaked sessions: the "top leak sites".
    for (int i = 0; i < ownersShown; ++i) {
        const OwnerSummary &o = owners[i];
        for (const StackGroup &group : o.stacks) {
            if (group.leaked == 0 || group.frames.isEmpty())
                continue;
            stream << "\n" << safeLine(o.owner) << ": " << group.leaked << " leaked of " << group.sessions
                   << " session(s) checked out at";
            if (group.fromLeakLog != LeakJoin::None)
                stream << " (stack from the pool's leak log, " << leakJoinName(group.fromLeakLog) << ")";
            stream << "\n";
            const int frames = int(qMin<qsizetype>(group.frames.size(), options.maxFrames));
            for (int f = 0; f < frames; ++f)
                stream << "    " << safeLine(group.frames[f]) << "\n";
            if (group.frames.size() > frames)
                stream << "    … " << (group.frames.size() - frames) << " more frames\n";
        }
    }
}

} // namespace poolscope::cli

namespace poolscope::cli {

void printLeakLogSummary(QTextStream &stream, const LeakLogState &state, int maxReports)
{
    stream << "\nLeak logs: " << state.joined() << " report(s) joined to open sessions, " << state.unmatched()
           << " matching none\n";
    for (const LeakLogFileStatus &file : state.files) {
        stream << "  " << safeLine(file.spec.toString()) << ": ";
        if (!file.problem.isEmpty())
            stream << safeLine(file.problem);
        else
            stream << file.reports << " report(s) in " << file.lines << " line(s) read"
                   << (file.startedLate ? " (from its last 32 MiB)" : "");
        stream << "\n";
    }
    TextTable table({QStringLiteral("LOGGED"), QStringLiteral("POOL"), QStringLiteral("THREAD"),
                     QStringLiteral("SESSION"), QStringLiteral("JOIN"), QStringLiteral("CHECKED OUT AT")});
    const int shown = int(qMin<qsizetype>(state.reports.size(), maxReports));
    for (int i = 0; i < shown; ++i) {
        const JoinedLeakReport &r = state.reports[i];
        QString session = r.withdrawn ? QStringLiteral("returned to the pool")
                          : r.pid == 0 ? QStringLiteral("none")
                                       : QString::number(r.pid);
        if (r.pid > 0 && !r.withdrawn)
            session += r.sessionEnded ? QStringLiteral(" (ended)") : QStringLiteral(" (") + r.sessionState + u')';
        table.addRow({isoTime(r.report->loggedAtMs), leakLogPoolName(r.report->pool), r.report->thread, session,
                      r.join == LeakJoin::None ? QString() : leakJoinName(r.join),
                      r.report->stack.isEmpty() ? QStringLiteral("(no stack in the report)") : r.report->stack.first()});
    }
    if (shown > 0)
        table.print(stream, 160);
    if (state.reports.size() > shown)
        stream << "… and " << (state.reports.size() - shown) << " more reports (--json lists all)\n";
}

void printDiagnosisSummary(QTextStream &stream, const Diagnosis &diagnosis)
{
    if (diagnosis.causes.isEmpty())
        return;
    stream << "\nDiagnosis (from this sample; poolscope diagnose watches a while and gives evidence and next steps):\n";
    for (const Cause &cause : diagnosis.causes) {
        stream << "  " << severityLabel(cause.severity) << "  " << causeTitle(cause.kind);
        if (!cause.owner.isEmpty())
            stream << " - " << safeLine(cause.owner);
        stream << ": " << safeLine(cause.summary) << "\n";
    }
}

} // namespace poolscope::cli
