#pragma once
#include <string>

#include "host/host.h"

namespace roux::resources {

/// Copies `path` to STATE_DIR/backup/<path with / as %2F>.<UTC time> (mode 0600, folder 0700)
/// and deletes all but the newest `keep` backups of that path. Touches the host; call only from
/// an apply act. A missing `path` is not an error.
Status backup_file(host::Host& host, const std::string& state_dir, const std::string& path, int keep);


}  // namespace roux::resources
