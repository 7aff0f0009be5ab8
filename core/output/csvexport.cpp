#include "output/csvexport.h"

#include "output/safetext.h"
#include "output/snapshotjson.h"

namespace poolscope {

namespace {

QString field(QString text)
{
    if (text.contains(u',') || text.contains(u'"') || text.contains(u'\n') || text.contains(u'\r'))
        return u'"' + text.replace(u'"', QLatin1String("\"\"")) + u'"';
    return text;
}

QString row(const QStringList &fields)
{
    QStringList quoted;
    quoted.reserve(fields.size());
    for (const QString &f : fields)
        quoted.append(field(f));
    return quoted.join(u',') + QLatin1String("\r\n");
}

QString number(double value) { return QString::number(value, 'f', 1); }

// A column of text someone else wrote. Only these get csvText's formula guard: PoolScope's own
// numbers (a negative one included) and times go out as they are.
QString text(const QString &value) { return csvText(value); }

} // namespace

QString sessionsCsv(const Snapshot &snapshot)
{
    QString csv = row({QStringLiteral("pid"), QStringLiteral("database"), QStringLiteral("user"),
                       QStringLiteral("application_name"), QStringLiteral("client_addr"), QStringLiteral("state"),
                       QStringLiteral("class"), QStringLiteral("leak"), QStringLiteral("state_seconds"),
                       QStringLiteral("xact_start"), QStringLiteral("query_start"), QStringLiteral("wait_event_type"),
                       QStringLiteral("wait_event"), QStringLiteral("blocked_by"), QStringLiteral("reasons"),
                       QStringLiteral("stack"), QStringLiteral("query")});
    for (const Session &s : snapshot.sessions) {
        if (s.own)
            continue;
        QStringList blockedBy;
        for (int pid : s.blockedBy)
            blockedBy.append(QString::number(pid));
        csv += row({QString::number(s.pid), text(s.database), text(s.user), text(s.applicationName),
                    text(s.clientAddr), text(s.state), sessionClassKey(s.sessionClass), leakVerdictName(s.leak),
                    number(s.stateSeconds), isoTime(s.xactStartMs), isoTime(s.queryStartMs), text(s.waitEventType),
                    text(s.waitEvent), blockedBy.join(u' '), text(s.reasons.join(QLatin1String("; "))),
                    text(s.stack.join(u'\n')), text(s.query)});
    }
    return csv;
}

QString ownersCsv(const QList<OwnerSummary> &owners, OwnerKey key)
{
    QStringList header{ownerKeyName(key), QStringLiteral("sessions")};
    for (int c = 0; c < kSessionClassCount; ++c)
        header.append(sessionClassKey(SessionClass(c)));
    header << QStringLiteral("leaked") << QStringLiteral("suspected") << QStringLiteral("oldest_transaction_seconds")
           << QStringLiteral("top_stack");
    QString csv = row(header);
    for (const OwnerSummary &o : owners) {
        QStringList fields{text(o.owner), QString::number(o.total)};
        for (int c = 0; c < kSessionClassCount; ++c)
            fields.append(QString::number(o.byClass[c]));
        fields << QString::number(o.leaked) << QString::number(o.suspected) << number(o.oldestTransactionSeconds)
               << (o.stacks.isEmpty() ? QString() : text(o.stacks.first().frames.join(u'\n')));
        csv += row(fields);
    }
    return csv;
}

QString countsCsv(const RecordedTarget &target)
{
    const bool bouncer = target.kind == TargetKind::PgBouncer;
    QStringList header{QStringLiteral("time")};
    if (bouncer) {
        header << QStringLiteral("servers_active") << QStringLiteral("servers_idle") << QStringLiteral("servers_used")
               << QStringLiteral("servers_other") << QStringLiteral("clients_active") << QStringLiteral("clients_waiting")
               << QStringLiteral("clients_idle") << QStringLiteral("pool_size") << QStringLiteral("max_wait_seconds");
    } else {
        for (int c = 0; c < kSessionClassCount; ++c)
            header.append(sessionClassKey(SessionClass(c)));
        header << QStringLiteral("usable_slots") << QStringLiteral("leaked") << QStringLiteral("waiting_on_lock");
    }
    header << QStringLiteral("sampled");
    QString csv = row(header);
    for (int i = 0; i < target.history.size(); ++i) {
        const HistoryPoint &p = target.history.at(i);
        // A gap (the target could not be sampled) has a time and no counts.
        QStringList counts;
        const int bands = bouncer ? HistoryPoint::kBands : kSessionClassCount;
        for (int b = 0; b < bands; ++b)
            counts.append(QString::number(p.bands[std::size_t(b)]));
        counts << QString::number(p.limit);
        if (bouncer)
            counts << number(p.maxWaitSeconds);
        else
            counts << QString::number(p.leaked) << QString::number(p.waiting);
        if (p.gap)
            counts.fill(QString());
        csv += row(QStringList{isoTime(p.timeMs)} + counts + QStringList{p.gap ? QStringLiteral("no") : QStringLiteral("yes")});
    }
    return csv;
}

} // namespace poolscope
