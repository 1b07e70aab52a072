#pragma once
#include <string>
#include <string_view>
#include <sys/types.h>

#include "base/status.h"

namespace roux::sources {

// Plain file helpers for the machine running roux (caches, supermarket trees, key files), not
// for the managed host, which is reached only through host::Host. Thread-safe.

/// The whole content of `path`; fails when it is larger than `max_bytes`.
Result<std::string> read_local_file(const std::string& path, size_t max_bytes = size_t(1) << 30);

/// Writes `data` to `path` atomically: a temp file beside it, fsync, rename. A reader sees the old
/// content or the new one, never a part. With `exclusive`, fails (kConflict) if `path` exists.
Status write_local_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool exclusive = false);

}  // namespace roux::sources
