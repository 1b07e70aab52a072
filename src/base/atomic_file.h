#pragma once
#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/status.h"

namespace roux {

/// The suffix of every temp file roux makes before renaming it into place (".NAME.roux-tmp" in
/// the host door, ".NAME.RANDOM.roux-tmp" here): what stale-temp cleanup looks for.
inline constexpr const char* kTempSuffix = ".roux-tmp";

/// THE atomic writer for files outside the managed host (reports, lockfiles, caches, supermarket
/// trees, keys): a temp file beside `path` with a fresh random name, created O_EXCL|O_NOFOLLOW
/// (a planted file or symlink is never followed), `mode` set, data written, fsync, rename over
/// `path` (a symlink at `path` is replaced, not written through), fsync of the folder. A reader
/// sees the old content or the new one, never a part; a crash leaves at most a temp file.
/// With `exclusive`, fails (kConflict) if `path` exists (link instead of rename, so two writers
/// cannot both win). Thread-safe. (The managed host's files go through host::Host::write_file.)
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool exclusive = false);

}  // namespace roux
