#pragma once

#include "analysis/owners.h"
#include "model/snapshot.h"

namespace poolscope {

// What the operator asked to see of a snapshot's sessions. Every field left at its default
// lets everything through; the fields combine with AND.
struct SessionFilter
{
    quint32 classes = ~0u;        // bit (1 << SessionClass) per class shown
    bool leakedOnly = false;      // leaked or suspected
    double minStateSeconds = 0;   // "idle in transaction for longer than 5 min"
    OwnerKey ownerKey = OwnerKey::Application;
    QString owner;                // exact owner under ownerKey; empty: any
    QString text;                 // case-insensitive, anywhere in pid, names, address or query
    bool hideOwnSessions = true;  // PoolScope's own sampling session

    static quint32 classBit(SessionClass c) { return 1u << int(c); }
    bool showsClass(SessionClass c) const { return (classes & classBit(c)) != 0; }
    bool isEmpty() const;
    bool matches(const Session &session) const;
};

} // namespace poolscope
