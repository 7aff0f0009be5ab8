#include "callsite.h"

#include <QFileInfo>
#include <QUrl>

#include <vector>

namespace poolscope::workload {

namespace {

thread_local std::vector<std::source_location> t_chain;

} // namespace

CallSite::CallSite(std::source_location where)
{
    t_chain.push_back(where);
}

CallSite::~CallSite()
{
    t_chain.pop_back();
}

QString shortFunctionName(const char *signature)
{
    QString name = QString::fromUtf8(signature);
    const qsizetype paren = name.indexOf(u'(');
    if (paren >= 0)
        name.truncate(paren);
    const qsizetype space = name.lastIndexOf(u' ');
    return space >= 0 ? name.mid(space + 1) : name;
}

QStringList CallSite::chain()
{
    QStringList frames;
    for (auto it = t_chain.crbegin(); it != t_chain.crend(); ++it)
        frames.append(QStringLiteral("%1 %2:%3")
                          .arg(shortFunctionName(it->function_name()),
                               QFileInfo(QString::fromUtf8(it->file_name())).fileName())
                          .arg(it->line()));
    return frames;
}

QString CallSite::encoded(const QStringList &frames)
{
    QStringList parts;
    for (const QString &frame : frames)
        parts.append(QString::fromLatin1(QUrl::toPercentEncoding(frame)));
    return parts.join(u'|');
}

} // namespace poolscope::workload
