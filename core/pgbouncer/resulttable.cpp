#include "pgbouncer/resulttable.h"

#include "postgres/pgconnection.h"

#include <libpq-fe.h>

namespace poolscope {

qint64 ResultTable::number(int row, int column, qint64 fallback) const
{
    bool ok = false;
    const qint64 value = text(row, column).toLongLong(&ok);
    return ok ? value : fallback;
}

ResultTable ResultTable::fromResult(const PgResult &result)
{
    ResultTable table;
    if (result.isNull())
        return table;
    const int columns = result.columnCount();
    for (int c = 0; c < columns; ++c)
        table.columns.append(result.columnName(c));
    const int rows = result.rows();
    table.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
        QStringList row;
        row.reserve(columns);
        for (int c = 0; c < columns; ++c)
            row.append(result.isNull(r, c) ? QString() : result.text(r, c));
        table.rows.append(std::move(row));
    }
    return table;
}

ResultTable ResultTable::fromTsv(const QString &text)
{
    ResultTable table;
    const QStringList lines = text.split(u'\n');
    bool header = true;
    for (const QString &line : lines) {
        if (line.trimmed().isEmpty() || line.startsWith(u'('))
            continue;
        QStringList cells = line.split(u'\t');
        if (header) {
            table.columns = cells;
            header = false;
            continue;
        }
        for (QString &cell : cells) {
            if (cell == QLatin1String("\\N"))
                cell = QString();
            else if (cell.isNull())
                cell = QLatin1String("");
        }
        while (cells.size() < table.columns.size())
            cells.append(QLatin1String(""));
        table.rows.append(cells);
    }
    return table;
}

} // namespace poolscope
