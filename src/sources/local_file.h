#pragma once
#include <string>
#include <string_view>
#include <sys/types.h>

#include "base/atomic_file.h"
#include "base/status.h"

namespace roux::sources {

// Plain file helpers for the machine running roux (caches, supermarket trees, key files), not
// for the managed host, which is reached only through host::Host. Thread-safe.

/// The whole content of `path`; fails when it is larger than `max_bytes`.
Result<std::string> read_local_file(const std::string& path, size_t max_bytes = size_t(1) << 30);

/// Writes `data` to `path` atomically: roux::write_file_atomic (base/atomic_file.h), the one
/// atomic writer outside the managed host, under the name the sources code has always used.
inline Status write_local_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                                      bool exclusive = false) {
  return write_file_atomic(path, data, mode, exclusive);
}

}  // namespace roux::sources
