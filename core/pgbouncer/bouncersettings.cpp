#include "pgbouncer/bouncersettings.h"

#include "model/duration.h"

#include <QStringList>

#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscope {

namespace {

enum class Type {
    Count,        // CF_INT used as a number: strtol into an int
    Boolean,      // CF_INT used as 0/1
    Seconds,      // CF_TIME_USEC: seconds as a double >= 0, kept in 64-bit microseconds
    WholeSeconds, // CF_INT counting seconds
    Milliseconds, // CF_INT counting milliseconds (tcp_user_timeout)
    Unsigned,     // CF_UINT: strtoul into an unsigned int
    Choice,       // CF_LOOKUP: one of a fixed list, case-insensitive
};

struct Rule
{
    const char *key;
    Type type;
    qint64 min = 0;
    qint64 max = std::numeric_limits<int>::max();
    const char *choices = nullptr; // Choice: separated by '|'
};

constexpr qint64 kIntMax = std::numeric_limits<int>::max();
// usec_t is a uint64_t of microseconds: (usec_t)(USEC * seconds) holds up to this.
constexpr qint64 kMaxSeconds = 18446744073709;
constexpr const char *kSslModes = "disable|allow|prefer|require|verify-ca|verify-full";

// The CF_ table of PgBouncer's src/main.c, 1.18 to 1.25 (strings left out: they pass as text).
const Rule kRules[] = {
    {"application_name_add_host", Type::Boolean},
    {"auth_type", Type::Choice, 0, 0, "any|trust|plain|md5|cert|hba|ldap|pam|scram-sha-256"},
    {"autodb_idle_timeout", Type::Seconds, 0, kMaxSeconds},
    {"cancel_wait_timeout", Type::Seconds, 0, kMaxSeconds},
    {"client_idle_timeout", Type::Seconds, 0, kMaxSeconds},
    {"client_login_timeout", Type::Seconds, 0, kMaxSeconds},
    {"client_tls_sslmode", Type::Choice, 0, 0, kSslModes},
    {"default_pool_size", Type::Count},
    {"disable_pqexec", Type::Boolean},
    {"dns_max_ttl", Type::Seconds, 0, kMaxSeconds},
    {"dns_nxdomain_ttl", Type::Seconds, 0, kMaxSeconds},
    {"dns_zone_check_period", Type::Seconds, 0, kMaxSeconds},
    {"idle_transaction_timeout", Type::Seconds, 0, kMaxSeconds},
    {"listen_backlog", Type::Count},
    {"listen_port", Type::Count, 1, 65535},
    {"log_connections", Type::Boolean},
    {"log_disconnections", Type::Boolean},
    {"log_pooler_errors", Type::Boolean},
    {"log_stats", Type::Boolean},
    {"max_client_conn", Type::Count},
    {"max_db_client_connections", Type::Count},
    {"max_db_connections", Type::Count},
    {"max_packet_size", Type::Unsigned, 0, std::numeric_limits<unsigned int>::max()},
    {"max_prepared_statements", Type::Count},
    {"max_user_client_connections", Type::Count},
    {"max_user_connections", Type::Count},
    {"min_pool_size", Type::Count},
    {"peer_id", Type::Count, 0, 16383}, // the peering protocol carries it in 14 bits
    {"pkt_buf", Type::Count},
    {"pool_mode", Type::Choice, 0, 0, "session|transaction|statement"},
    {"query_timeout", Type::Seconds, 0, kMaxSeconds},
    {"query_wait_notify", Type::WholeSeconds},
    {"query_wait_timeout", Type::Seconds, 0, kMaxSeconds},
    {"reserve_pool_size", Type::Count},
    {"reserve_pool_timeout", Type::Seconds, 0, kMaxSeconds},
    {"sbuf_loopcnt", Type::Count},
    {"scram_iterations", Type::Count, 1},
    {"server_check_delay", Type::Seconds, 0, kMaxSeconds},
    {"server_connect_timeout", Type::Seconds, 0, kMaxSeconds},
    {"server_fast_close", Type::Boolean},
    {"server_idle_timeout", Type::Seconds, 0, kMaxSeconds},
    {"server_lifetime", Type::Seconds, 0, kMaxSeconds},
    {"server_login_retry", Type::Seconds, 0, kMaxSeconds},
    {"server_reset_query_always", Type::Boolean},
    {"server_round_robin", Type::Boolean},
    {"server_tls_sslmode", Type::Choice, 0, 0, kSslModes},
    {"so_reuseport", Type::Boolean},
    {"stats_period", Type::WholeSeconds, 1}, // an event timer of 0 s would fire without pause
    {"suspend_timeout", Type::Seconds, 0, kMaxSeconds},
    {"syslog", Type::Boolean},
    {"tcp_defer_accept", Type::Count},
    {"tcp_keepalive", Type::Boolean},
    {"tcp_keepcnt", Type::Count},
    {"tcp_keepidle", Type::WholeSeconds},
    {"tcp_keepintvl", Type::WholeSeconds},
    {"tcp_socket_buffer", Type::Count},
    {"tcp_user_timeout", Type::Milliseconds},
    {"transaction_timeout", Type::Seconds, 0, kMaxSeconds},
    {"verbose", Type::Count},
};

const Rule *ruleFor(const QString &key)
{
    for (const Rule &rule : kRules) {
        if (key == QLatin1String(rule.key))
            return &rule;
    }
    return nullptr;
}

// A plain decimal number: PgBouncer's strtol(…, 0) would read 010 as 8 and 0x10 as 16.
std::optional<qint64> decimal(const QString &text)
{
    QStringView digits = QStringView(text).trimmed();
    bool negative = false;
    if (!digits.isEmpty() && (digits.front() == u'-' || digits.front() == u'+')) {
        negative = digits.front() == u'-';
        digits = digits.mid(1);
    }
    if (digits.isEmpty() || !std::all_of(digits.begin(), digits.end(), [](QChar c) { return c >= u'0' && c <= u'9'; }))
        return std::nullopt;
    // Longer than 18 digits is beyond every range here: saturated rather than overflowed.
    const qint64 value = digits.size() > 18 ? std::numeric_limits<qint64>::max() : digits.toLongLong();
    return negative ? -value : value;
}

// Seconds as PgBouncer's strtod reads them, to the millisecond: "30", "1.5", "0.25".
QString secondsText(qint64 ms)
{
    QString text = QString::number(ms / 1000);
    if (ms % 1000 != 0) {
        QString fraction = QStringLiteral("%1").arg(ms % 1000, 3, 10, QLatin1Char('0'));
        while (fraction.endsWith(u'0'))
            fraction.chop(1);
        text += u'.' + fraction;
    }
    return text;
}

QString rangeText(const Rule &rule)
{
    const QString key = QString::fromLatin1(rule.key);
    switch (rule.type) {
    case Type::Count:
    case Type::Unsigned:
        return QStringLiteral("%1 takes a whole number from %2 to %3").arg(key).arg(rule.min).arg(rule.max);
    case Type::Boolean:
        return QStringLiteral("%1 takes 0 or 1 (or off/on, false/true, no/yes)").arg(key);
    case Type::Seconds:
        return QStringLiteral("%1 takes a duration from 0 (off) to %2 s, such as 30s, 5min or 250ms (a bare number "
                              "is seconds)").arg(key).arg(rule.max);
    case Type::WholeSeconds:
        return QStringLiteral("%1 takes whole seconds from %2 to %3, such as 30s or 5min (a bare number is seconds)")
            .arg(key).arg(rule.min).arg(rule.max);
    case Type::Milliseconds:
        return QStringLiteral("%1 takes a duration with its unit, from 0 to %2 ms, such as 10s or 500ms (PgBouncer "
                              "counts it in milliseconds; 0 is the system's default)").arg(key).arg(rule.max);
    case Type::Choice:
        return QStringLiteral("%1 takes one of %2").arg(key, QString::fromLatin1(rule.choices).replace(u'|', QStringLiteral(", ")));
    }
    return {};
}

} // namespace

CheckedSetting checkBouncerSetting(const QString &key, const QString &value)
{
    const Rule *rule = ruleFor(key);
    if (!rule)
        return {value, {}};
    const QString text = value.trimmed();
    const auto refuse = [rule, &text](const QString &why = {}) {
        return CheckedSetting{{}, QStringLiteral("'%1' is not allowed: %2%3").arg(text, rangeText(*rule), why)};
    };
    switch (rule->type) {
    case Type::Count:
    case Type::Unsigned: {
        const std::optional<qint64> number = decimal(text);
        if (!number)
            return refuse();
        if (*number < rule->min || *number > rule->max)
            return refuse(*number > rule->max && rule->type == Type::Count
                              ? QStringLiteral(" (PgBouncer keeps it in an int: a larger number would wrap around)")
                              : QString());
        return {QString::number(*number), {}};
    }
    case Type::Boolean: {
        const QString word = text.toLower();
        if (word == QLatin1String("1") || word == QLatin1String("on") || word == QLatin1String("true") || word == QLatin1String("yes"))
            return {QStringLiteral("1"), {}};
        if (word == QLatin1String("0") || word == QLatin1String("off") || word == QLatin1String("false") || word == QLatin1String("no"))
            return {QStringLiteral("0"), {}};
        return refuse();
    }
    case Type::Seconds:
    case Type::WholeSeconds:
    case Type::Milliseconds: {
        const std::optional<std::chrono::milliseconds> duration = parseDuration(text);
        if (!duration)
            return refuse();
        const qint64 ms = duration->count();
        if (rule->type == Type::Milliseconds) {
            // A bare number would be seconds to PoolScope and milliseconds to PgBouncer's
            // documentation: only 0 is the same for both.
            if (decimal(text) && ms != 0)
                return refuse();
            if (ms > rule->max)
                return refuse();
            return {QString::number(ms), {}};
        }
        if (rule->type == Type::WholeSeconds) {
            if (ms % 1000 != 0 || ms / 1000 < rule->min || ms / 1000 > rule->max)
                return refuse();
            return {QString::number(ms / 1000), {}};
        }
        if (ms / 1000 > rule->max)
            return refuse();
        return {secondsText(ms), {}};
    }
    case Type::Choice: {
        const QString word = text.toLower();
        if (QString::fromLatin1(rule->choices).split(u'|').contains(word))
            return {word, {}};
        return refuse();
    }
    }
    return refuse();
}

bool bouncerSettingReads(const QString &key, const QString &sent, const QString &readBack)
{
    const Rule *rule = ruleFor(key);
    const QString reads = readBack.trimmed();
    if (!rule)
        return reads == sent;
    switch (rule->type) {
    case Type::Choice:
        return reads.compare(sent, Qt::CaseInsensitive) == 0;
    case Type::Seconds: {
        bool okSent = false, okReads = false;
        const double a = sent.toDouble(&okSent);
        const double b = reads.toDouble(&okReads);
        // %g keeps six significant digits, and microseconds are what PgBouncer holds.
        return okSent && okReads && std::fabs(a - b) <= std::max(1e-6, 1e-5 * std::fabs(a));
    }
    default: {
        const std::optional<qint64> a = decimal(sent);
        const std::optional<qint64> b = decimal(reads);
        return a && b && *a == *b;
    }
    }
}

} // namespace poolscope
