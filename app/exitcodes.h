#pragma once

namespace poolscope::cli {

// Distinct exit codes so scripts can tell what went wrong (documented in the README).
enum ExitCode : int {
    ExitOk = 0,
    ExitFailure = 1,    // an action did not succeed, or a read failed after connecting
    ExitUsage = 2,      // bad arguments or a malformed conninfo
    ExitConnection = 3, // could not connect: refused, timed out, authentication, server full
    ExitPrivilege = 4,  // connected, but the role lacks a privilege the command needs
    ExitDeclined = 5,   // the operator answered no at the confirmation
};

} // namespace poolscope::cli
