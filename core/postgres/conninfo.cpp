#include "postgres/conninfo.h"

#include <QRegularExpression>

#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
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

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

using Span = std::pair<qsizetype, qsizetype>;

// As libpq's URI parser reads them: the user info runs to the first '@' before any '/', its
// password from the first ':'; a query parameter runs to the next '&'.
void uriPasswordSpans(const QByteArray &text, QList<Span> *spans)
{
    qsizetype prefix = 0;
    for (const char *scheme : {"postgresql://", "postgres://"}) {
        if (text.startsWith(scheme))
            prefix = qsizetype(qstrlen(scheme));
    }
    if (prefix == 0)
        return;
    qsizetype at = prefix;
    while (at < text.size() && text[at] != '@' && text[at] != '/')
        ++at;
    if (at < text.size() && text[at] == '@') {
        const qsizetype colon = text.indexOf(':', prefix);
        if (colon >= 0 && colon + 1 < at)
            spans->append({colon + 1, at});
    }
    const qsizetype query = text.indexOf('?', prefix);
    if (query < 0)
        return;
    for (qsizetype start = query + 1; start < text.size();) {
        qsizetype end = text.indexOf('&', start);
        if (end < 0)
            end = text.size();
        const qsizetype equals = text.indexOf('=', start);
        if (equals >= 0 && equals < end && equals + 1 < end
            && QByteArray::fromPercentEncoding(text.mid(start, equals - start)).trimmed().toLower() == "password")
            spans->append({equals + 1, end});
        start = end + 1;
    }
}

// password = value in keyword/value form: a value runs to the next blank, or is quoted with
// backslash escapes (an unterminated quote runs to the end).
void keywordPasswordSpans(const QByteArray &text, QList<Span> *spans)
{
    const qsizetype n = text.size();
    for (qsizetype i = 0; i + 8 <= n; ++i) {
        if ((i > 0 && !isSpace(text[i - 1])) || qstrnicmp(text.constData() + i, "password", 8) != 0)
            continue;
        qsizetype j = i + 8;
        while (j < n && isSpace(text[j]))
            ++j;
        if (j >= n || text[j] != '=')
            continue;
        ++j;
        while (j < n && isSpace(text[j]))
            ++j;
        const bool quoted = j < n && text[j] == '\'';
        const qsizetype first = quoted ? j + 1 : j;
        qsizetype k = first;
        while (k < n && (quoted ? text[k] != '\'' : !isSpace(text[k])))
            k += text[k] == '\\' && k + 1 < n ? 2 : 1;
        k = qMin(k, n);
        if (k > first)
            spans->append({first, k});
    }
}

// Masks each secret: everywhere when it is long enough to be told from ordinary words, and
// inside the quotes libpq puts around a value it quotes when it is short.
QString maskSecrets(QString message, QStringList secrets)
{
    secrets.removeAll(QString());
    secrets.removeDuplicates();
    std::sort(secrets.begin(), secrets.end(), [](const QString &a, const QString &b) { return a.size() > b.size(); });
    for (const QString &secret : std::as_const(secrets)) {
        if (secret.size() >= 4) {
            message.replace(secret, QStringLiteral("***"));
            continue;
        }
        qsizetype open = message.indexOf(u'"');
        while (open >= 0) {
            const qsizetype close = message.indexOf(u'"', open + 1);
            if (close < 0)
                break;
            const QString inside = message.mid(open + 1, close - open - 1);
            QString hidden = inside;
            hidden.replace(secret, QStringLiteral("***"));
            message.replace(open + 1, inside.size(), hidden);
            open = message.indexOf(u'"', open + 1 + hidden.size() + 1);
        }
    }
    return message;
}

} // namespace

QList<std::pair<qsizetype, qsizetype>> passwordSpans(QByteArrayView view)
{
    const QByteArray text = view.toByteArray();
    QList<Span> spans;
    uriPasswordSpans(text, &spans);
    keywordPasswordSpans(text, &spans);
    return spans;
}

QString maskPasswordsOf(const QString &conninfo, const QString &message)
{
    const QByteArray bytes = conninfo.trimmed().toUtf8();
    QStringList secrets;
    for (const auto &[first, end] : passwordSpans(bytes)) {
        const QByteArray raw = bytes.mid(first, end - first);
        QByteArray unescaped;
        for (qsizetype i = 0; i < raw.size(); ++i)
            unescaped.append(raw[i] == '\\' && i + 1 < raw.size() ? raw[++i] : raw[i]);
        secrets << QString::fromUtf8(raw) << QString::fromUtf8(unescaped)
                << QString::fromUtf8(QByteArray::fromPercentEncoding(raw));
    }
    return maskSecrets(message, secrets);
}

void hidePasswordsInArguments(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        for (const auto &[first, end] : passwordSpans(QByteArrayView(argv[i])))
            std::memset(argv[i] + first, '*', size_t(end - first));
    }
}

std::optional<ConnInfo> ConnInfo::parse(const QString &text, QString *error)
{
    char *rawError = nullptr;
    const QByteArray utf8 = text.trimmed().toUtf8();
    std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(PQconninfoParse(utf8.constData(), &rawError));
    if (!options) {
        if (error) {
            *error = rawError ? redactSecrets(maskPasswordsOf(text, QString::fromUtf8(rawError).trimmed()))
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

QString ConnInfo::masked(const QString &message) const
{
    // PGPASSWORD is libpq's too: whatever quotes it back is masked the same way.
    return maskSecrets(message, {value("password"), qEnvironmentVariable("PGPASSWORD")});
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
