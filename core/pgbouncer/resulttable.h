#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace poolscope {

class PgResult;

// A result as rows of text with named columns: what a PgBouncer console answers, whether it
// comes from the wire or from a recorded fixture. Columns differ by version, so they are
// looked up by name; a missing column reads as absent, never as an error.
struct ResultTable
{
    QStringList columns;
    QList<QStringList> rows; // a null QString is SQL NULL

    int column(QStringView name) const { return int(columns.indexOf(name)); }
    bool has(QStringView name) const { return column(name) >= 0; }
    QString text(int row, int column) const { return column < 0 ? QString() : rows[row].value(column); }
    qint64 number(int row, int column, qint64 fallback = 0) const;

    static ResultTable fromResult(const PgResult &result);
    // Tab-separated text: a header line, then one line per row; "\N" is NULL. Lines after a
    // "(n rows)" trailer, and blank lines, are ignored.
    static ResultTable fromTsv(const QString &text);
};

} // namespace poolscope
