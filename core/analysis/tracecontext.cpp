#include "analysis/tracecontext.h"

namespace poolscope {

namespace {

bool isHexDigit(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f') || (u >= u'A' && u <= u'F');
}

// `text` is hex digits only and, when `nonZero`, not all of them zero.
bool isHexField(QStringView text, bool nonZero)
{
    bool zero = true;
    for (QChar c : text) {
        if (!isHexDigit(c))
            return false;
        zero = zero && c == u'0';
    }
    return !text.isEmpty() && !(nonZero && zero);
}

} // namespace

std::optional<TraceParent> parseTraceparent(QStringView value)
{
    // version "-" trace-id "-" parent-id "-" trace-flags
    constexpr qsizetype kLength = 2 + 1 + 32 + 1 + 16 + 1 + 2;
    if (value.size() < kLength || value[2] != u'-' || value[35] != u'-' || value[52] != u'-')
        return std::nullopt;
    const QStringView version = value.first(2);
    if (!isHexField(version, false) || version.compare(u"ff", Qt::CaseInsensitive) == 0)
        return std::nullopt;
    // Version 00 ends here; a later one may carry more fields, after a dash.
    if (version == u"00" ? value.size() != kLength : (value.size() > kLength && value[kLength] != u'-'))
        return std::nullopt;
    const QStringView traceId = value.sliced(3, 32);
    const QStringView parentId = value.sliced(36, 16);
    const QStringView flags = value.sliced(53, 2);
    if (!isHexField(traceId, true) || !isHexField(parentId, true) || !isHexField(flags, false))
        return std::nullopt;
    return TraceParent{traceId.toString().toLower(), parentId.toString().toLower(), flags.toInt(nullptr, 16)};
}

bool isTraceId(QStringView text)
{
    return text.size() == 32 && isHexField(text, true);
}

QString traceIdFromTags(const Tags &tags)
{
    for (const Tag &tag : tags) {
        if (tag.key.compare(u"traceparent", Qt::CaseInsensitive) == 0) {
            if (const auto parsed = parseTraceparent(tag.value))
                return parsed->traceId;
        }
    }
    for (const Tag &tag : tags) {
        if ((tag.key.compare(u"trace_id", Qt::CaseInsensitive) == 0 || tag.key.compare(u"traceid", Qt::CaseInsensitive) == 0)
            && isTraceId(tag.value))
            return tag.value.toLower();
    }
    return {};
}

QList<TraceUrlPreset> traceUrlPresets()
{
    // Grafana's Explore takes its pane as JSON in the query string: percent-encoded here, so
    // that the only braces left are the placeholder's. "tempo" is the data source's name or uid.
    return {
        {QStringLiteral("Jaeger"), QStringLiteral("http://localhost:16686/trace/{trace_id}")},
        {QStringLiteral("Grafana Tempo"),
         QStringLiteral("http://localhost:3000/explore?left=%7B%22datasource%22:%22tempo%22,%22queries%22:%5B%7B%22refId"
                        "%22:%22A%22,%22queryType%22:%22traceql%22,%22query%22:%22{trace_id}%22%7D%5D%7D")},
        {QStringLiteral("Zipkin"), QStringLiteral("http://localhost:9411/zipkin/traces/{trace_id}")},
        {QStringLiteral("Datadog"), QStringLiteral("https://app.datadoghq.com/apm/trace/{trace_id}")},
    };
}

QString traceUrlTemplateProblem(const QString &urlTemplate)
{
    if (urlTemplate.isEmpty())
        return {};
    if (!urlTemplate.contains(kTraceIdPlaceholder))
        return QStringLiteral("has no %1 where the trace id goes").arg(kTraceIdPlaceholder);
    const QUrl sample(QString(urlTemplate).replace(kTraceIdPlaceholder, QLatin1String("4bf92f3577b34da6a3ce929d0e0e4736")));
    if (!sample.isValid() || (sample.scheme() != QLatin1String("http") && sample.scheme() != QLatin1String("https"))
        || sample.host().isEmpty())
        return QStringLiteral("is not an http:// or https:// address");
    return {};
}

QUrl traceUrl(const QString &urlTemplate, const QString &traceId)
{
    if (urlTemplate.isEmpty() || !isTraceId(traceId) || !traceUrlTemplateProblem(urlTemplate).isEmpty())
        return {};
    return QUrl(QString(urlTemplate).replace(kTraceIdPlaceholder, traceId.toLower()));
}

} // namespace poolscope
