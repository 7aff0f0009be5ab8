#pragma once

#include "model/snapshot.h"

#include <QRegularExpression>

namespace poolscope {

// Application names that say where the connection was checked out, as teams set them per
// checkout: "billing@OrderRepo.java:212", "billing:save@orders.py:12", "billing (repo.go:123)".
// A pattern names the owner and the frame with the groups (?<owner>…) and (?<frame>…): the
// owner is what owners by application group on (one service, not one owner per call site), and
// the frame is the session's one-frame stack when its query comments sent none.
struct AppCallSites
{
    // owner@File.java:212, owner:function@file.py:12 and owner (file.go:123), each with a source
    // file's extension and a line number, and PgBouncer's " - host:port" after it or not.
    static QStringList defaults();
    // Why `pattern` cannot be used ("is not a regular expression (…)", "has no (?<frame>…) group"),
    // or empty.
    static QString problem(const QString &pattern);

    QStringList patterns = defaults(); // tried in order: the first that matches with an owner wins
    friend bool operator==(const AppCallSites &, const AppCallSites &) = default;
};

struct AppCallSite
{
    QString owner;
    QStringList stack; // the frame as a stack of one; empty when the pattern matched none
};

// The patterns' reading of each application name, kept: names are few and sessions many, so
// the regular expressions run once per distinct name, not per session and sample. One per
// analysis pipeline (its own compiled patterns), used from one thread at a time.
class AppCallSiteCache
{
public:
    explicit AppCallSiteCache(const AppCallSites &rules = {});
    void setRules(const AppCallSites &rules);

    // What the patterns make of `applicationName`, or nullptr when none matches. Valid until
    // the next call.
    const AppCallSite *find(const QString &applicationName);
    // Sets applicationOwner of every session whose application_name matches, and gives the
    // frame as its stack to those that have none. A recorded sample has the frame in its stack
    // already: `recorded` marks it as the application name's again.
    void apply(Snapshot &snapshot, bool recorded = false);

private:
    int match(const QString &applicationName);

    QList<QRegularExpression> m_patterns;
    QList<AppCallSite> m_sites;
    QHash<QString, int> m_byName; // name -> index in m_sites, -1: no pattern matches
    QSet<QString> m_owners;       // one string per owner, for the sessions of all its call sites
};

} // namespace poolscope
