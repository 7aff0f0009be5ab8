#include "postgres/conninfo.h"

#include <QRegularExpression>

#include <libpq-fe.h>

#include <memory>

namespace poolscope {

namespace {

struct ConninfoOptionsDeleter
{
    void operator()(PQconninfoOption *options) const { PQconninfoFree(options); }
};

// Client-side deadlines so a dead or hung peer is noticed in seconds, not the 15 minutes
// Linux takes by default. Every one of them can be overridden in the conninfo.
const std::pair<const char *, const char *> kDefaults[] = {
    {"connect_timeout", "5"},
    {"keepalives", "1"},
    {"keepalives_idle", "10"},
    {"keepalives_interval", "5"},
    {"keepalives_count", "3"},
    {"tcp_user_timeout", "10000"},
};

} // namespace

std::optional<ConnInfo> ConnInfo::parse(const QString &text, QString *error)
{
    char *rawError = nullptr;
    const QByteArray utf8 = text.trimmed().toUtf8();
    std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(PQconninfoParse(utf8.constData(), &rawError));
    if (!options) {
        if (error) {
            *error = rawError ? redactSecrets(QString::fromUtf8(rawError).trimmed())
                              : QStringLiteral("out of memory while parsing the connection string");
        }
        PQfreemem(rawError);
        return std::nullopt;
    }
    ConnInfo info;
    for (const PQconninfoOption *option = options.get(); option->keyword; ++option) {
        if (option->val && *option->val)
            info.m_given.append({QByteArray(option->keyword), QByteArray(option->val)});
    }
    return info;
}

QString ConnInfo::value(const char *keyword) const
{
    for (const auto &[key, val] : m_given) {
        if (key == keyword)
            return QString::fromUtf8(val);
    }
    return {};
}

QString ConnInfo::displayName() const
{
    QString host = value("host");
    if (host.isEmpty())
        host = value("hostaddr");
    if (host.isEmpty())
        host = QStringLiteral("local");
    QString name = host;
    if (has("port"))
        name += u':' + value("port");
    if (has("dbname"))
        name += u'/' + value("dbname");
    if (has("user"))
        name = value("user") + u'@' + name;
    if (has("service"))
        name = QStringLiteral("service=") + value("service") + (name == QLatin1String("local") ? QString() : u' ' + name);
    return name;
}

QString conninfoPair(const QString &key, const QString &value)
{
    QString shown = value;
    if (shown.contains(u' ') || shown.contains(u'\'') || shown.contains(u'\\') || shown.isEmpty()) {
        shown.replace(u'\\', QStringLiteral("\\\\")).replace(u'\'', QStringLiteral("\\'"));
        shown = u'\'' + shown + u'\'';
    }
    return key + u'=' + shown;
}

QString ConnInfo::redacted() const
{
    QStringList parts;
    for (const auto &[key, val] : m_given) {
        if (key != "password")
            parts.append(conninfoPair(QString::fromUtf8(key), QString::fromUtf8(val)));
    }
    return parts.join(u' ');
}

QList<std::pair<QByteArray, QByteArray>> ConnInfo::connectParams(const QByteArray &applicationName) const
{
    QList<std::pair<QByteArray, QByteArray>> params;
    for (const auto &[key, val] : m_given) {
        if (key != "application_name" && key != "fallback_application_name")
            params.append({key, val});
    }
    for (const auto &[key, val] : kDefaults) {
        if (!has(key))
            params.append({QByteArray(key), QByteArray(val)});
    }
    params.append({QByteArrayLiteral("application_name"), applicationName});
    return params;
}

int ConnInfo::connectTimeoutSeconds() const
{
    bool ok = false;
    const int given = value("connect_timeout").toInt(&ok);
    // libpq treats 0 or negative as "wait forever", which we never do.
    return ok && given > 0 ? given : 5;
}

QString redactSecrets(const QString &text)
{
    static const QRegularExpression keyValue(
        QStringLiteral(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+))"),
        QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression uriPassword(QStringLiteral(R"((postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@)"),
                                                QRegularExpression::CaseInsensitiveOption);
    QString result = text;
    result.replace(keyValue, QStringLiteral("\\1***"));
    result.replace(uriPassword, QStringLiteral("\\1***@"));
    return result;
}

} // namespace poolscope
