#pragma once

#include "analysis/diagnosis.h"
#include "output/jsonwriter.h"

namespace poolscope {

// A diagnosis as `poolscope diagnose --json` prints it and as the "diagnosis" member of the
// snapshot and watch documents (README, "Diagnosis"): its causes worst first, each with its
// evidence, owner, code location, next step and remedy.
void writeDiagnosisJson(JsonWriter &json, const Diagnosis &diagnosis);

} // namespace poolscope
