#pragma once
#include <string>

#include "host/host.h"

namespace roux::resources {

/// The folder holding the backups of `path`: STATE_DIR/backup/<first 32 hex digits of
/// sha256(path)>-<the file's name, at most 64 bytes>. One folder per path, injective (the hash is
/// of the whole path) and of bounded length (any path that exists can be backed up); the name's
/// tail is for people listing the folder, and the folder's `path` file holds the whole path.
std::string backup_dir(const std::string& state_dir, const std::string& path);

/// Copies `path` to backup_dir(state_dir, path)/<UTC time> (mode 0600, folders 0700) and deletes
/// all but the newest `keep` backups of that path. One folder per path, so retention lists only
/// that path's backups (a flat folder made rewriting N files O(N^2)). Touches the host; call
/// only from an apply act. A missing `path` is not an error.
Status backup_file(host::Host& host, const std::string& state_dir, const std::string& path, int keep);

}  // namespace roux::resources
