#pragma once

#include "analysis/analysedsample.h"
#include "output/jsonwriter.h"

namespace poolscope {

// The JSON document `poolscope snapshot --json` prints for a PgBouncer console (and each line of
// `watch --json`). With the PostgreSQL server behind it sampled too, each client carries its
// backend's state, leak verdict, tags and stack.
void writeBouncerJson(JsonWriter &json, const AnalysedSample &sample);

} // namespace poolscope
