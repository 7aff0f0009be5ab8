#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

namespace poolscope {

// A validated libpq connection string or URI. Parsing goes through PQconninfoParse so the
// user sees libpq's own message for a bad one; the password never leaves this class except
// on its way into PQconnectdbParams.
class ConnInfo
{
public:
    // Returns std::nullopt and sets *error (already redacted) when libpq rejects the text.
    static std::optional<ConnInfo> parse(const QString &text, QString *error);

    // "user@host:port/dbname" for titles, logs and the audit trail.
    QString displayName() const;
    // The conninfo as "key=value …" with the password removed.
    QString redacted() const;
    QString value(const char *keyword) const;
    bool has(const char *keyword) const { return !value(keyword).isEmpty(); }

    // Keyword/value pairs for PQconnectdbParams: the user's settings plus PoolScope's
    // defaults for timeouts and keepalives (the user's own value wins), and the given
    // application_name (always ours, so a DBA can tell PoolScope's sessions apart).
    QList<std::pair<QByteArray, QByteArray>> connectParams(const QByteArray &applicationName) const;

    // Seconds libpq will wait for a connection (connect_timeout, or our default).
    int connectTimeoutSeconds() const;

    // `message` with this conninfo's password (or PGPASSWORD's) masked wherever libpq or a
    // server quoted it.
    QString masked(const QString &message) const;

private:
    QList<std::pair<QByteArray, QByteArray>> m_given; // only the options the user set
};

// `key=value` for a conninfo string, the value single-quoted and escaped per libpq's rules
// when it has to be (spaces, quotes, empty).
QString conninfoPair(const QString &key, const QString &value);

// Masks anything that looks like a password in free text: "password=…" pairs and the
// password part of postgresql:// URIs. Applied to every message shown or logged.
QString redactSecrets(const QString &text);

// Where passwords sit in a connection string or URI, well-formed or not: the value of every
// password= (keyword/value pairs and URI query parameters) and the password of a URI's user
// info, found the way libpq finds them. Byte ranges [first, second) into `text`.
QList<std::pair<qsizetype, qsizetype>> passwordSpans(QByteArrayView text);

// `message` with every password written in `conninfo` masked, as typed and as libpq decodes it
// (percent-encoding, quotes): libpq's own parse errors quote the offending token, and for a
// URI that token can be the password ("invalid percent-encoded token: …").
QString maskPasswordsOf(const QString &conninfo, const QString &message);

// Overwrites every password in the process's own command line, so that `ps` and
// /proc/PID/cmdline show asterisks. Call it on main()'s argv once the arguments were copied.
void hidePasswordsInArguments(int argc, char **argv);

} // namespace poolscope
