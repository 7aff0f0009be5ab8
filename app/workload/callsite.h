#pragma once

#include <QStringList>

#include <source_location>

namespace poolscope::workload {

// The shop's own call stack, kept per thread as a chain of source locations: each function
// that matters opens a CallSite on entry, and a connection checkout records the chain. The
// frames are real (function, file, line of this code), so the owners view shows where a
// leaked connection was checked out.
class CallSite
{
public:
    explicit CallSite(std::source_location where = std::source_location::current());
    ~CallSite();
    CallSite(const CallSite &) = delete;
    CallSite &operator=(const CallSite &) = delete;

    // Innermost first: "shop::Billing::charge billing.cpp:42".
    static QStringList chain();
    // The chain as a sqlcommenter stack value: frames joined by '|', percent-encoded.
    static QString encoded(const QStringList &frames);
};

// "void shop::Billing::charge(int)" -> "shop::Billing::charge"
QString shortFunctionName(const char *signature);

} // namespace poolscope::workload
