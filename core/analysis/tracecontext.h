#pragma once

#include "model/snapshot.h"

#include <QUrl>

#include <optional>

namespace poolscope {

// The W3C Trace Context a query comment may carry (sqlcommenter's traceparent tag), and the
// link from a session to its trace in the operator's tracing UI. The trace id comes from
// whatever a database user typed into a comment, so only a well-formed one is taken, and only
// its hex digits ever reach a URL.
struct TraceParent
{
    QString traceId;  // 32 lowercase hex digits, not all zero
    QString parentId; // 16 lowercase hex digits, not all zero
    int flags = 0;    // bit 0: sampled
};

// "00-<32 hex>-<16 hex>-<2 hex>": version 00 is exactly that long; a later version (01 to fe)
// may go on after a '-', as the specification asks readers to accept; version ff is invalid.
// Upper-case hex digits, which the specification does not allow, are accepted and lowered.
std::optional<TraceParent> parseTraceparent(QStringView value);
// Exactly 32 hex digits, not all zero: a trace id as a trace_id tag may hold it.
bool isTraceId(QStringView text);
// The trace id of a session's tags: its traceparent's, else a trace_id or traceid tag that is
// a trace id by isTraceId(), lowered; empty when none is well-formed.
QString traceIdFromTags(const Tags &tags);
// A session's, read from its tags where it is shown. Not kept in the Session: each is a string of
// its own, and copying and freeing it with every session of every sample cost 0.8 ms a sample
// at 5,000 sessions (bench_analysis), more than reading it for the rows shown or printed.
inline QString traceIdOf(const Session &session) { return traceIdFromTags(session.tags); }

// Where a trace id goes in the operator's URL template.
inline constexpr QLatin1String kTraceIdPlaceholder("{trace_id}", 10);

struct TraceUrlPreset
{
    QString name;        // "Jaeger"
    QString urlTemplate; // "http://localhost:16686/trace/{trace_id}"
};
// Jaeger, Grafana Tempo, Zipkin and Datadog, at their default local addresses (Datadog's site).
QList<TraceUrlPreset> traceUrlPresets();

// Why `urlTemplate` cannot make links (no {trace_id}; not an http or https address), or empty
// when it can. An empty template is fine: it means no links.
QString traceUrlTemplateProblem(const QString &urlTemplate);
// The template with the trace id in place; an invalid QUrl when the template has a problem,
// is empty, or `traceId` is not one (isTraceId).
QUrl traceUrl(const QString &urlTemplate, const QString &traceId);

} // namespace poolscope
