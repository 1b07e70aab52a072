#pragma once
#include <string>

#include "host/host.h"

namespace roux::resources {

/// Copies `path` to STATE_DIR/backup/<path with / as %2F>/<UTC time> (mode 0600, folders 0700)
/// and deletes all but the newest `keep` backups of that path. One folder per path, so retention
/// lists only that path's backups (a flat folder made rewriting N files O(N^2)). Touches the
/// host; call only from an apply act. A missing `path` is not an error.
Status backup_file(host::Host& host, const std::string& state_dir, const std::string& path, int keep);


}  // namespace roux::resources
