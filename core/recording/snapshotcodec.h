#pragma once

#include "model/bouncersnapshot.h"
#include "recording/bytecodec.h"
#include "analysis/classifier.h"
#include "model/snapshot.h"

namespace poolscope {

// Turns one target's samples into bytes and back, each sample as what changed since the
// previous one of the same target. A keyframe holds the whole sample and starts a new string
// table, so that decoding can start at any keyframe.
//
// Stored: what the server said, plus the tags and stacks TagMemory remembered (they depend on
// earlier samples). Not stored: what classify() derives (class, leak verdict, reasons, state
// ages, blocking, totals, findings): the decoder classifies again with the recording's rules,
// which gives back exactly what the recorder saw. Nor the application names' owners: read again
// from the stored names, with the recording's call-site patterns.
class SnapshotEncoder
{
public:
    QByteArray encode(const Snapshot &snapshot, bool keyframe);
    QByteArray encode(const BouncerSnapshot &snapshot, bool keyframe);
    // Strings and the previous sample kept for the next delta.
    qint64 memoryBytes() const;

private:
    codec::StringWriter m_strings;
    Snapshot m_previous;
    BouncerSnapshot m_previousBouncer;
};

class SnapshotDecoder
{
public:
    explicit SnapshotDecoder(const LeakRules &rules = {}) : m_rules(rules), m_callSites(rules.callSites) {}

    // False when the bytes do not decode: damaged, or a delta with no keyframe before it.
    // A failed decode leaves the decoder waiting for the next keyframe. A null snapshot only
    // advances the decoder (what seeking from a keyframe does), skipping classify().
    bool decode(const QByteArray &bytes, bool keyframe, Snapshot *snapshot);
    bool decode(const QByteArray &bytes, bool keyframe, BouncerSnapshot *snapshot);
    bool hasBase() const { return m_hasBase; }

private:
    LeakRules m_rules;
    AppCallSiteCache m_callSites;
    codec::StringReader m_strings;
    Snapshot m_current;
    BouncerSnapshot m_currentBouncer;
    bool m_hasBase = false;
};

} // namespace poolscope
