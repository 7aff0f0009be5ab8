#pragma once

#include <QString>

namespace poolscope {

// What PoolScope writes holds what it saw: query texts that may carry customer data, who ended
// which session. Its files are their owner's alone (0600), as ~/.pgpass is, and so are the
// directories it creates for them (0700).

// PoolScope's own data directory, $XDG_DATA_HOME/poolscope (~/.local/share/poolscope): the audit
// log and the window's recordings live there.
QString dataDirectory();

// Creates `directory` and any missing parent, each 0700. Directories that exist keep their
// permissions (a shared one chosen on purpose stays shared), except PoolScope's own data
// directory and the folders under it, which are made 0700 again: an older PoolScope created
// them 0755. False, with *error, when the directory cannot be made.
bool makePrivateDirectory(const QString &directory, QString *error = nullptr);

} // namespace poolscope
