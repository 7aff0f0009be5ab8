// libFuzzer target: a pool's leak log, written by the application and anyone who can make it
// log (a thread name, a connection's toString, an exception message). Read whole, and read
// again split at a point the input chooses, the reports must be the same, bounded, and joined
// without fault to a session built from the same bytes.
#include "leaklog/leaklogbook.h"
#include "leaklog/leaklogparser.h"

#include <cstddef>
#include <cstdint>

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const LeakLogSpec spec{QStringLiteral("fuzz.log"), (data[0] & 1) ? QStringLiteral("app") : QString(),
                           (data[0] & 2) ? 2000 : 0};
    const size_t cut = 1 + data[1] % (size - 1);
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data) + 2, qsizetype(size - 2));

    LeakLogParser whole(spec);
    QList<LeakReport> reports = whole.feed(bytes);
    reports += whole.finish();

    LeakLogParser split(spec);
    const qsizetype at = qMin<qsizetype>(qsizetype(cut), bytes.size());
    QList<LeakReport> pieces = split.feed(bytes.first(at));
    pieces += split.feed(bytes.sliced(at));
    pieces += split.finish();
    if (pieces.size() != reports.size())
        __builtin_trap(); // where the bytes were cut must not change what is read
    for (qsizetype i = 0; i < reports.size(); ++i) {
        if (pieces[i].stack != reports[i].stack || pieces[i].line != reports[i].line)
            __builtin_trap();
        if (reports[i].stack.size() > 400 || reports[i].message.size() > 16 * 1024)
            __builtin_trap(); // the bounds that keep a hostile log from filling memory
    }

    // Joined to sessions whose times come from the same bytes.
    Snapshot snapshot;
    snapshot.takenAtMs = reports.isEmpty() ? 1 : reports.last().loggedAtMs + 1000;
    for (int i = 0; i < 3; ++i) {
        Session s;
        s.pid = 100 + i;
        s.applicationName = QStringLiteral("app");
        s.sessionClass = i == 2 ? SessionClass::Idle : SessionClass::IdleInTransaction;
        s.xactStartMs = reports.value(i).checkoutAtMs + i;
        s.stateChangeMs = s.xactStartMs + 1;
        s.backendStartMs = i;
        snapshot.sessions.append(s);
    }
    LeakLogBook book;
    book.add(reports);
    if (const LeakLogStatePtr state = book.update(snapshot)) {
        QSet<int> joined;
        for (const JoinedLeakReport &r : state->reports) {
            if (r.pid != 0 && !r.withdrawn && joined.contains(r.pid) && r.report->connection.isEmpty())
                __builtin_trap(); // one session explains one report (unless they name one connection)
            joined.insert(r.pid);
        }
    }
    return 0;
}
