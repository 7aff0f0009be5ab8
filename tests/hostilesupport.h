#pragma once

// What tst_hostile needs beside the bench: a session that sends bytes which are not UTF-8,
// the hostile 1 MB query, the `poolscope` binary run as bytes, and checks for what a person
// must never receive raw.

#include "safetextchecks.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QProcess>
#include <QSignalSpy>
#include <QStringList>
#include <QTemporaryDir>

#include <libpq-fe.h>

namespace poolscope::hostile {

inline const char kAsciiDatabase[] = "hostile_ascii";

inline bool execOn(PGconn *conn, const char *sql)
{
    PGresult *result = PQexec(conn, sql);
    const ExecStatusType status = PQresultStatus(result);
    PQclear(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

inline void dropAsciiDatabase(const QString &superuser)
{
    PGconn *admin = PQconnectdb(superuser.toUtf8().constData());
    execOn(admin, "DROP DATABASE IF EXISTS hostile_ascii WITH (FORCE)");
    PQfinish(admin);
}

// A session in a SQL_ASCII database, which takes any bytes: the one way that bytes which are
// not UTF-8 reach pg_stat_activity on a server whose other databases are UTF-8.
class RawSession
{
public:
    RawSession(const QString &superuser, const QByteArray &database)
    {
        dropAsciiDatabase(superuser);
        PGconn *admin = PQconnectdb(superuser.toUtf8().constData());
        execOn(admin, QByteArray("CREATE DATABASE " + database
                                 + " ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0").constData());
        PQfinish(admin);
        const QByteArray info = superuser.toUtf8();
        // Only the first dbname is read as a conninfo; the second names the database.
        const char *keywords[] = {"dbname", "dbname", "client_encoding", "application_name", nullptr};
        const char *values[] = {info.constData(), database.constData(), "SQL_ASCII", "hostile|ascii", nullptr};
        m_conn = PQconnectdbParams(keywords, values, 1);
    }
    ~RawSession() { PQfinish(m_conn); }
    RawSession(const RawSession &) = delete;
    RawSession &operator=(const RawSession &) = delete;

    bool ok() const { return PQstatus(m_conn) == CONNECTION_OK; }
    QString error() const { return QString::fromUtf8(PQerrorMessage(m_conn)); }
    int pid() const { return PQbackendPID(m_conn); }
    bool exec(const char *sql) { return execOn(m_conn, sql); }

private:
    PGconn *m_conn = nullptr;
};

// A tag comment of about 1 MB leading the query, its frames full of three-byte characters:
// PostgreSQL keeps the first 1023 bytes (track_activity_query_size), cut at a character, and
// PoolScope reads the tags that end before the cut (the stack does not).
inline QString bigTagQuery()
{
    QString sql = QStringLiteral("/*controller='Big\x1b[2J',stack='Frame1 big.cpp:1");
    for (int frame = 2; sql.size() < 860'000; ++frame) // about 1 MB of UTF-8
        sql += QStringLiteral("|Frame%1 日本語.cpp:%1").arg(frame);
    return sql + QStringLiteral("'*/ SELECT 1 AS big");
}

// pid -> (query, application_name), read with plain libpq: the truth the JSON must equal.
inline QHash<int, QPair<QString, QString>> activityOf(const QString &superuser, const QList<int> &pids)
{
    QStringList list;
    for (int pid : pids)
        list.append(QString::number(pid));
    PGconn *conn = PQconnectdb(superuser.toUtf8().constData());
    const QByteArray sql = "SELECT pid, query, application_name FROM pg_stat_activity WHERE pid IN ("
                           + list.join(u',').toUtf8() + ")";
    PGresult *result = PQexec(conn, sql.constData());
    QHash<int, QPair<QString, QString>> rows;
    for (int r = 0; PQresultStatus(result) == PGRES_TUPLES_OK && r < PQntuples(result); ++r)
        rows.insert(QByteArray(PQgetvalue(result, r, 0)).toInt(),
                    {QString::fromUtf8(PQgetvalue(result, r, 1)), QString::fromUtf8(PQgetvalue(result, r, 2))});
    PQclear(result);
    PQfinish(conn);
    return rows;
}

struct CliRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QString describe() const
    {
        return QStringLiteral("exit %1\nstdout: %2\nstderr: %3")
            .arg(QString::number(exitCode), QString::fromUtf8(out.left(3000)), QString::fromUtf8(err));
    }
};

// The binary as an operator runs it over SSH: no display, a wide terminal, stdin closed.
inline CliRun runPoolscope(const QStringList &arguments)
{
    static QTemporaryDir home;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char *variable : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        environment.remove(QString::fromLatin1(variable));
    environment.insert(QStringLiteral("COLUMNS"), QStringLiteral("400"));
    environment.insert(QStringLiteral("POOLSCOPE_AUDIT_LOG"), home.filePath(QStringLiteral("audit.jsonl")));
    QProcess process;
    process.setProcessEnvironment(environment);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(qEnvironmentVariable("POOLSCOPE_BINARY"), arguments);
    CliRun run;
    if (!process.waitForStarted())
        return run;
    QSignalSpy finished(&process, &QProcess::finished);
    if (!finished.wait(30000))
        process.kill();
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// The first thing in `bytes` a person must not receive raw, described; empty when there is
// none. Newlines are allowed (and tabs with allowTab); bytes must be valid UTF-8, so no lone
// 0x9B (the 8-bit CSI of a Latin-1 terminal) can pass.
inline QString rawControlIn(const QByteArray &bytes, bool allowTab)
{
    const QString text = QString::fromUtf8(bytes);
    if (text.toUtf8() != bytes)
        return QStringLiteral("not UTF-8");
    qsizetype i = checks::firstRawControl(text, true);
    if (i < 0 && !allowTab) // JSON and error messages may hold tabs; a report may not
        i = text.indexOf(u'\t');
    if (i >= 0)
        return QStringLiteral("U+%1 raw at %2, after: %3")
            .arg(QString::number(text[i].unicode(), 16), QString::number(i), text.mid(std::max<qsizetype>(0, i - 60), 60));
    return {};
}

// Each Markdown table keeps its column count on every row: no content added a cell.
inline QString markdownTablesIntact(const QString &markdown)
{
    int expected = -1;
    for (const QString &line : markdown.split(u'\n')) {
        if (!line.startsWith(u'|')) {
            expected = -1;
            continue;
        }
        if (expected < 0)
            expected = checks::unescapedPipes(line);
        else if (checks::unescapedPipes(line) != expected)
            return QStringLiteral("%1 borders instead of %2: %3").arg(checks::unescapedPipes(line)).arg(expected).arg(line);
    }
    return {};
}

// RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks; rows end in CRLF.
inline QList<QStringList> parseCsv(const QString &csv)
{
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < csv.size(); ++i) {
        const QChar c = csv[i];
        if (quoted) {
            if (c == u'"' && i + 1 < csv.size() && csv[i + 1] == u'"')
                field += csv[++i];
            else if (c == u'"')
                quoted = false;
            else
                field += c;
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            row.append(std::exchange(field, {}));
        } else if (c == u'\r' && i + 1 < csv.size() && csv[i + 1] == u'\n') {
            row.append(std::exchange(field, {}));
            rows.append(std::exchange(row, {}));
            ++i;
        } else {
            field += c;
        }
    }
    return rows;
}

// Every cell and tooltip of the model: display text one safe line, tooltips escaped rich text.
// Returns the display texts, one a line, or "RAW …" naming the first offence.
inline QString checkModel(const QAbstractItemModel &model, const QModelIndex &parent = {})
{
    QStringList texts;
    for (int r = 0; r < model.rowCount(parent); ++r) {
        for (int c = 0; c < model.columnCount(parent); ++c) {
            const QModelIndex index = model.index(r, c, parent);
            const QString display = index.data(Qt::DisplayRole).toString();
            if (const QString raw = rawControlIn(display.toUtf8(), false); !raw.isEmpty() || display.contains(u'\n'))
                return QStringLiteral("RAW display: ") + raw + display;
            const QString tip = index.data(Qt::ToolTipRole).toString();
            if (!tip.isEmpty() && (!tip.startsWith(u"<p>") || tip.contains(u"<img") || !rawControlIn(tip.toUtf8(), true).isEmpty()))
                return QStringLiteral("RAW tooltip: ") + tip;
            texts.append(display);
        }
        const QString children = checkModel(model, model.index(r, 0, parent));
        if (children.startsWith(u"RAW"))
            return children;
        texts.append(children);
    }
    return texts.join(u'\n');
}

} // namespace poolscope::hostile
