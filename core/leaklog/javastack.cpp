#include "leaklog/javastack.h"

namespace poolscope {

namespace {

constexpr int kMaxFrames = 200;

// "at com.shop.OrderRepository.reserveStock(OrderRepository.java:42) ~[shop.jar:1.2]" ->
// "com.shop.OrderRepository.reserveStock(OrderRepository.java:42)"; empty for any other line.
QString frameOf(QByteArrayView line)
{
    line = line.trimmed();
    if (!line.startsWith("at "))
        return {};
    line = line.sliced(3).trimmed();
    const qsizetype close = line.indexOf(')');
    if (close > 0)
        line.truncate(close + 1);
    const qsizetype open = line.indexOf('(');
    if (open <= 0 || close < open)
        return {};
    return QString::fromUtf8(line);
}

} // namespace

bool isLibraryFrame(QStringView frame)
{
    static const QStringView prefixes[] = {
        u"java.", u"javax.", u"jdk.", u"sun.", u"com.sun.",
        u"com.zaxxer.hikari.", u"com.mchange.", u"org.apache.commons.dbcp2.", u"org.apache.commons.pool2.",
        u"org.apache.tomcat.jdbc.", u"org.apache.tomcat.dbcp.", u"org.postgresql.",
    };
    // A module prefix, as Java 9+ writes it: "java.base/java.lang.Thread.run(Thread.java:833)".
    const qsizetype slash = frame.indexOf(u'/');
    const qsizetype paren = frame.indexOf(u'(');
    if (slash > 0 && (paren < 0 || slash < paren))
        frame = frame.sliced(slash + 1);
    for (QStringView prefix : prefixes) {
        if (frame.startsWith(prefix))
            return true;
    }
    return false;
}

JavaStack readJavaStack(const QList<QByteArray> &lines, int markerLine)
{
    JavaStack stack;
    bool inApplication = false;
    for (qsizetype i = markerLine + 1; i < lines.size(); ++i) {
        const QByteArrayView line = QByteArrayView(lines[i]).trimmed();
        if (line.startsWith("Caused by:") || line.startsWith("Suppressed:"))
            break;
        const QString frame = frameOf(line);
        if (frame.isEmpty())
            continue; // the exception's own line, "... 5 more", another thread's line
        if (!inApplication && isLibraryFrame(frame)) {
            ++stack.libraryFrames;
            continue;
        }
        inApplication = true;
        if (stack.applicationFrames.size() < kMaxFrames)
            stack.applicationFrames.append(frame);
    }
    return stack;
}

} // namespace poolscope
