#include "model/snapshot.h"

namespace poolscope {

QString sessionClassName(SessionClass c)
{
    switch (c) {
    case SessionClass::Active: return QStringLiteral("active");
    case SessionClass::Waiting: return QStringLiteral("waiting");
    case SessionClass::Idle: return QStringLiteral("idle");
    case SessionClass::IdleInTransaction: return QStringLiteral("idle in transaction");
    case SessionClass::IdleInTransactionAborted: return QStringLiteral("idle in transaction (aborted)");
    case SessionClass::Other: return QStringLiteral("other");
    case SessionClass::Hidden: return QStringLiteral("hidden");
    }
    return {};
}

QString sessionClassKey(SessionClass c)
{
    switch (c) {
    case SessionClass::Active: return QStringLiteral("active");
    case SessionClass::Waiting: return QStringLiteral("waiting");
    case SessionClass::Idle: return QStringLiteral("idle");
    case SessionClass::IdleInTransaction: return QStringLiteral("idle_in_transaction");
    case SessionClass::IdleInTransactionAborted: return QStringLiteral("idle_in_transaction_aborted");
    case SessionClass::Other: return QStringLiteral("other");
    case SessionClass::Hidden: return QStringLiteral("hidden");
    }
    return {};
}

QString leakVerdictName(LeakVerdict verdict)
{
    switch (verdict) {
    case LeakVerdict::None: return QStringLiteral("none");
    case LeakVerdict::Suspected: return QStringLiteral("suspected");
    case LeakVerdict::Leaked: return QStringLiteral("leaked");
    }
    return {};
}

} // namespace poolscope
