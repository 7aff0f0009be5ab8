#include "analysis/callsites.h"

#include "analysis/querytags.h"

namespace poolscope {

namespace {

// Names read before they are all forgotten: a client that makes up a new application_name for
// every connection must not grow this without bound.
constexpr int kMaxKnownNames = 4096;

} // namespace

QStringList AppCallSites::defaults()
{
    static const QStringList patterns = [] {
        // A source file's extension and a line: a name such as "db.internal:5432" is an address.
        const QString sourceLine = QStringLiteral(
            R"(\.(?:java|kt|kts|scala|groovy|clj|py|go|rb|js|mjs|cjs|ts|php|cs|fs|vb|rs|ex|exs|erl|swift|dart|lua|pl|pm|c|cc|cpp|cxx|h|hpp):\d+)");
        // What PgBouncer's application_name_add_host appends: " - 10.0.0.5:53422".
        const QString bouncerSuffix = QStringLiteral(R"((?: - \S+)?$)");
        return QStringList{
            // pgjdbc: ApplicationName=billing@OrderRepo.java:212, or a StackTraceElement:
            // billing@com.shop.OrderRepo.save(OrderRepo.java:212)
            u"^(?<owner>[\\w.-]+)@(?<frame>[^\\s@]*" + sourceLine + u"\\)?)" + bouncerSuffix,
            // psycopg: application_name=billing:save_order@orders.py:12
            u"^(?<owner>[\\w.-]+):(?<frame>[\\w.<>]+@[^\\s@]*" + sourceLine + u')' + bouncerSuffix,
            // pgx: RuntimeParams["application_name"] = "billing (orders/repo.go:123)"
            u"^(?<owner>[\\w.-]+) \\((?<frame>[^\\s()]*" + sourceLine + u")\\)" + bouncerSuffix,
        };
    }();
    return patterns;
}

QString AppCallSites::problem(const QString &pattern)
{
    const QRegularExpression expression(pattern);
    if (!expression.isValid())
        return QStringLiteral("is not a regular expression (%1 at offset %2)")
            .arg(expression.errorString())
            .arg(expression.patternErrorOffset());
    const QStringList groups = expression.namedCaptureGroups();
    QStringList missing;
    for (const QString &group : {QStringLiteral("owner"), QStringLiteral("frame")}) {
        if (!groups.contains(group))
            missing.append(QStringLiteral("(?<%1>…)").arg(group));
    }
    if (!missing.isEmpty())
        return QStringLiteral("has no %1 group").arg(missing.join(QStringLiteral(" or ")));
    return {};
}

AppCallSiteCache::AppCallSiteCache(const AppCallSites &rules)
{
    setRules(rules);
}

void AppCallSiteCache::setRules(const AppCallSites &rules)
{
    m_patterns.clear();
    for (const QString &pattern : rules.patterns) {
        // Compiled here, each cache its own: a pattern shared between sampler threads would
        // share its lazily compiled program too.
        QRegularExpression expression(pattern);
        if (!AppCallSites::problem(pattern).isEmpty())
            continue; // refused where the rules came in (command line, settings): never here
        expression.optimize();
        m_patterns.append(expression);
    }
    m_sites.clear();
    m_byName.clear();
    m_owners.clear();
}

int AppCallSiteCache::match(const QString &applicationName)
{
    for (const QRegularExpression &expression : std::as_const(m_patterns)) {
        const QRegularExpressionMatch found = expression.match(applicationName);
        if (!found.hasMatch())
            continue;
        const QString owner = found.captured(u"owner");
        if (owner.isEmpty())
            continue;
        const QString frame = found.captured(u"frame");
        auto interned = m_owners.constFind(owner);
        if (interned == m_owners.cend())
            interned = m_owners.insert(owner);
        m_sites.append(AppCallSite{*interned, frame.isEmpty() ? QStringList() : QStringList{frame}});
        return int(m_sites.size()) - 1;
    }
    return -1;
}

const AppCallSite *AppCallSiteCache::find(const QString &applicationName)
{
    if (applicationName.isEmpty() || m_patterns.isEmpty())
        return nullptr;
    // By text: hashing a name of at most 63 bytes costs about what looking its address up
    // would (bench_analysis), and works as well for the names the reader does not share.
    auto known = m_byName.constFind(applicationName);
    if (known == m_byName.cend()) {
        if (m_byName.size() >= kMaxKnownNames) {
            m_byName.clear();
            m_sites.clear();
            m_owners.clear();
        }
        known = m_byName.insert(applicationName, match(applicationName));
    }
    return *known < 0 ? nullptr : &m_sites[*known];
}

void AppCallSiteCache::apply(Snapshot &snapshot, bool recorded)
{
    if (m_patterns.isEmpty())
        return;
    for (Session &s : snapshot.sessions) {
        const AppCallSite *site = s.visible ? find(s.applicationName) : nullptr;
        if (!site)
            continue;
        s.applicationOwner = site->owner;
        if (site->stack.isEmpty())
            continue;
        if (s.stack.isEmpty()) {
            s.stack = site->stack;
            s.stackFromApplicationName = true;
        } else if (recorded && s.stack == site->stack && stackFromTags(s.tags).isEmpty()) {
            s.stackFromApplicationName = true;
        }
    }
}

} // namespace poolscope
