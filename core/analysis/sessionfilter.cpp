#include "analysis/sessionfilter.h"

namespace poolscope {

bool SessionFilter::isEmpty() const
{
    return classes == ~0u && !leakedOnly && minStateSeconds <= 0 && owner.isEmpty() && text.isEmpty();
}

bool SessionFilter::matches(const Session &s) const
{
    if (hideOwnSessions && s.own)
        return false;
    if (!showsClass(s.sessionClass))
        return false;
    if (leakedOnly && s.leak == LeakVerdict::None)
        return false;
    if (minStateSeconds > 0 && s.stateSeconds < minStateSeconds)
        return false;
    if (!owner.isEmpty() && ownerOf(s, ownerKey) != owner)
        return false;
    if (text.isEmpty())
        return true;
    const auto has = [this](const QString &field) { return field.contains(text, Qt::CaseInsensitive); };
    if (QString::number(s.pid) == text)
        return true;
    if (has(s.user) || has(s.database) || has(s.applicationName) || has(s.clientAddr) || has(s.state)
        || has(s.query) || has(sessionClassName(s.sessionClass)))
        return true;
    for (const QString &frame : s.stack) {
        if (has(frame))
            return true;
    }
    for (const Tag &tag : s.tags) {
        if (has(tag.value))
            return true;
    }
    return false;
}

} // namespace poolscope
