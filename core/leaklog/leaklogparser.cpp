#include "leaklog/leaklogparser.h"

#include "leaklog/javastack.h"
#include "leaklog/logtime.h"
#include "model/duration.h"

#include <QRegularExpression>

namespace poolscope {

namespace {

constexpr qsizetype kMaxLineBytes = 16 * 1024;
constexpr qsizetype kMaxRecordLines = 400;

QString text(QByteArrayView bytes)
{
    return QString::fromUtf8(bytes);
}

QString between(const QString &line, QStringView before, QStringView after)
{
    const qsizetype start = line.indexOf(before);
    if (start < 0)
        return {};
    const qsizetype from = start + before.size();
    const qsizetype end = after.isEmpty() ? line.size() : line.indexOf(after, from);
    return end < 0 ? QString() : line.mid(from, end - from).trimmed();
}

struct Signature
{
    LeakLogPool pool;
    const char *marker;
    bool closes;    // the pool closes the connection as it reports
    bool withdraws; // the line takes an earlier report back: the connection came home
};

// The first line of each report the pools write, in their words (the pools' sources and our
// recordings of them: tests/fixtures/leaklogs/README.md).
constexpr Signature kSignatures[] = {
    {LeakLogPool::HikariCP, "Connection leak detection triggered for ", false, false},
    {LeakLogPool::HikariCP, "Previously reported leaked connection ", false, true},
    {LeakLogPool::C3P0, "Logging the stack trace by which the overdue resource was checked-out", true, false},
    {LeakLogPool::DBCP2, "Pooled object created ", true, false},
    {LeakLogPool::TomcatJdbc, "Connection has been marked suspect, possibly abandoned ", false, false},
    {LeakLogPool::TomcatJdbc, "Connection has been abandoned ", true, false},
    {LeakLogPool::TomcatJdbc, "that has been marked suspect was returned", false, true},
    // SQLAlchemy 2.0 (pool/base.py, _finalize_fairy); 1.4 says nothing of it.
    {LeakLogPool::SQLAlchemy, "garbage collector is trying to clean up non-checked-in connection ", true, false},
};

// Records are short in the lines that matter: the marker sits on the first line, or on the
// second under java.util.logging's two-line format.
constexpr int kMarkerLines = 3;

const Signature *signatureOf(const QList<QByteArray> &lines, int *markerLine)
{
    for (int i = 0; i < qMin<qsizetype>(kMarkerLines, lines.size()); ++i) {
        for (const Signature &signature : kSignatures) {
            if (lines[i].contains(signature.marker)) {
                *markerLine = i;
                return &signature;
            }
        }
    }
    return nullptr;
}

} // namespace

QString leakLogPoolName(LeakLogPool pool)
{
    switch (pool) {
    case LeakLogPool::HikariCP: return QStringLiteral("HikariCP");
    case LeakLogPool::C3P0: return QStringLiteral("c3p0");
    case LeakLogPool::DBCP2: return QStringLiteral("DBCP2");
    case LeakLogPool::TomcatJdbc: return QStringLiteral("Tomcat JDBC");
    case LeakLogPool::SQLAlchemy: return QStringLiteral("SQLAlchemy");
    }
    return {};
}

QString leakJoinName(LeakJoin join)
{
    switch (join) {
    case LeakJoin::None: return QStringLiteral("no session");
    case LeakJoin::OwnerOnly: return QStringLiteral("owner only");
    case LeakJoin::TimeWindow: return QStringLiteral("time window");
    case LeakJoin::ExactTime: return QStringLiteral("exact time match");
    }
    return {};
}

QString leakJoinKey(LeakJoin join)
{
    switch (join) {
    case LeakJoin::None: return QStringLiteral("none");
    case LeakJoin::OwnerOnly: return QStringLiteral("owner");
    case LeakJoin::TimeWindow: return QStringLiteral("window");
    case LeakJoin::ExactTime: return QStringLiteral("exact");
    }
    return {};
}

std::optional<LeakLogSpec> LeakLogSpec::parse(const QString &input, QString *error)
{
    LeakLogSpec spec;
    QString rest = input.trimmed();
    // ",threshold=2s" (or ",2s") at the end; a file name with a comma in it is written
    // without a threshold, or the threshold is spelled out.
    const qsizetype comma = rest.lastIndexOf(u',');
    if (comma > 0) {
        QString option = rest.mid(comma + 1).trimmed();
        if (option.startsWith(u"threshold="))
            option = option.mid(10);
        if (const auto threshold = parseDuration(option)) {
            spec.thresholdMs = threshold->count();
            rest = rest.left(comma).trimmed();
        } else if (rest.mid(comma + 1).trimmed().startsWith(u"threshold=")) {
            *error = QStringLiteral("'%1' is not a duration (2s, 1500ms, 1min)").arg(option);
            return std::nullopt;
        }
    }
    // "billing=/var/log/billing.log": an owner is a name, never a path.
    const qsizetype equals = rest.indexOf(u'=');
    if (equals > 0 && !rest.left(equals).contains(u'/')) {
        spec.owner = rest.left(equals).trimmed();
        rest = rest.mid(equals + 1).trimmed();
    }
    if (rest.isEmpty()) {
        *error = QStringLiteral("no file named: write FILE, OWNER=FILE or OWNER=FILE,threshold=2s");
        return std::nullopt;
    }
    spec.file = rest;
    return spec;
}

QString LeakLogSpec::toString() const
{
    QString out = owner.isEmpty() ? file : owner + u'=' + file;
    if (thresholdMs > 0)
        out += QStringLiteral(",threshold=%1ms").arg(thresholdMs);
    return out;
}

std::optional<LeakReport> readLeakRecord(const QList<QByteArray> &lines, qint64 loggedAtMs, const LeakLogSpec &spec)
{
    const bool loggedAtWholeSeconds = !lines.isEmpty() && logTimeHasWholeSeconds(lines.first());
    int markerLine = 0;
    const Signature *signature = signatureOf(lines, &markerLine);
    if (!signature)
        return std::nullopt;
    LeakReport report;
    report.pool = signature->pool;
    report.file = spec.file;
    report.owner = spec.owner;
    report.loggedAtMs = loggedAtMs;
    report.closesConnection = signature->closes;
    const QString line = text(lines[markerLine]);
    report.message = line.mid(qMax<qsizetype>(0, line.indexOf(QLatin1String(signature->marker)))).trimmed();

    report.withdrawn = signature->withdraws;
    switch (signature->pool) {
    case LeakLogPool::HikariCP:
        if (report.withdrawn) {
            report.connection = between(line, u"Previously reported leaked connection ", u" on thread ");
            report.thread = between(line, u" on thread ", u" was returned");
        } else {
            report.connection = between(line, u"Connection leak detection triggered for ", u" on thread ");
            report.thread = between(line, u" on thread ", u", stack trace follows");
        }
        break;
    case LeakLogPool::DBCP2:
        // "Pooled object created 2026-12-07 01:02:03 +0000 by the following code has not been returned"
        report.checkoutAtMs = timeWithZoneMs(between(line, u"Pooled object created ", u" by the following code").toLatin1()).value_or(0);
        report.checkoutExact = report.checkoutAtMs > 0;
        report.checkoutSlackMs = 1000; // written to the second
        // Printed without a time: after the last line that had one, and after the checkout.
        report.loggedAtMs = qMax(report.loggedAtMs, report.checkoutAtMs);
        break;
    case LeakLogPool::TomcatJdbc: {
        if (report.withdrawn) { // "Connection(PooledConnection[…]) that has been marked suspect was returned."
            report.connection = between(line, u"Connection(", u") that has been");
            break;
        }
        const QString suspect = between(line, u"possibly abandoned ", u"");
        const QString abandoned = between(line, u"Connection has been abandoned ", u"");
        QString connection = suspect.isEmpty() ? abandoned : suspect;
        // "PooledConnection[org.postgresql.jdbc.PgConnection@1b2c][2714 ms.]:java.lang.Exception":
        // a suspect says how long the connection has been out.
        static const QRegularExpression elapsed(QStringLiteral("\\[(\\d+) ms\\.\\]"));
        const QRegularExpressionMatch m = elapsed.match(connection);
        if (m.hasMatch()) {
            report.checkoutAtMs = loggedAtMs > 0 ? loggedAtMs - m.captured(1).toLongLong() : 0;
            report.checkoutExact = report.checkoutAtMs > 0;
            connection.truncate(m.capturedStart());
        }
        const qsizetype colon = connection.indexOf(u"]:");
        if (colon >= 0)
            connection.truncate(colon + 1);
        report.connection = connection.trimmed();
        break;
    }
    case LeakLogPool::SQLAlchemy:
        report.connection = between(line, u"non-checked-in connection ", u", which will be");
        break;
    case LeakLogPool::C3P0:
        break;
    }
    if (loggedAtWholeSeconds)
        report.checkoutSlackMs = 1000; // a checkout from the log's time, which is to the second
    if (report.checkoutAtMs == 0 && spec.thresholdMs > 0 && loggedAtMs > 0 && !report.withdrawn)
        report.checkoutAtMs = loggedAtMs - spec.thresholdMs;

    if (!report.withdrawn) {
        JavaStack stack = readJavaStack(lines, markerLine);
        report.stack = std::move(stack.applicationFrames);
        report.framesDropped = stack.libraryFrames;

    }
    return report;
}

QList<LeakReport> LeakLogParser::feed(QByteArrayView bytes)
{
    QList<LeakReport> out;
    qsizetype start = 0;
    while (start < bytes.size()) {
        const qsizetype newline = bytes.indexOf('\n', start);
        const qsizetype end = newline < 0 ? bytes.size() : newline;
        QByteArrayView piece = bytes.sliced(start, end - start);
        if (m_partial.size() + piece.size() > kMaxLineBytes)
            piece = piece.first(qMax<qsizetype>(0, kMaxLineBytes - m_partial.size()));
        m_partial.append(piece);
        if (newline < 0)
            break;
        takeLine(m_partial, out);
        m_partial.clear();
        start = newline + 1;
    }
    return out;
}

QList<LeakReport> LeakLogParser::finish()
{
    // A line still being written stays pending: its end comes with the next write.
    QList<LeakReport> out;
    endRecord(out);
    return out;
}

void LeakLogParser::restart()
{
    m_partial.clear();
    m_record.clear();
    m_lineNumber = 0;
    m_lastTimeMs = 0;
}

void LeakLogParser::takeLine(QByteArrayView line, QList<LeakReport> &out)
{
    ++m_lineNumber;
    if (line.endsWith('\r'))
        line.chop(1);
    const std::optional<qint64> time = logLineTimeMs(line);
    // DBCP2 prints its report to its log writer without a time; its first line starts a record.
    const bool startsRecord = time || line.startsWith("Pooled object created ");
    if (startsRecord) {
        endRecord(out);
        // A record without a time of its own was written after the last line that had one.
        m_recordTimeMs = time.value_or(m_lastTimeMs);
        if (time)
            m_lastTimeMs = *time;
        m_recordLine = m_lineNumber;
    } else if (m_record.isEmpty()) {
        return; // the tail of a record that began before we started reading
    }
    if (m_record.size() < kMaxRecordLines)
        m_record.append(line.toByteArray());
}

void LeakLogParser::endRecord(QList<LeakReport> &out)
{
    if (m_record.isEmpty())
        return;
    if (std::optional<LeakReport> report = readLeakRecord(m_record, m_recordTimeMs, m_spec)) {
        report->line = m_recordLine;
        out.append(std::move(*report));
    }
    m_record.clear();
}

} // namespace poolscope
