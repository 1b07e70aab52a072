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

/// The content of `rel` (a relative path) inside the folder `dir`, opened with openat2
/// RESOLVE_BENEATH: a symlink may point elsewhere inside `dir`, but one that leads out of it (an
/// absolute target, or "../" past the top) is refused (kUntrusted "... leads out of ..."), as is
/// anything but a regular file. For cookbook content: a cookbook never reads a host file by a link.
/// A missing file is kNotFound.
Result<std::string> read_file_beneath(const std::string& dir, const std::string& rel, size_t max_bytes = size_t(1) << 30);

/// The real path of the folder `path_in_root` (absolute, as seen inside `root`), resolved with
/// openat2 RESOLVE_IN_ROOT: a symlink on the way (absolute or "../") is followed as a chroot would,
/// so it never leads out of `root`. With `create`, missing folders are made; without, the part that
/// does not exist yet is appended to the resolved existing part as is (nothing there to follow).
/// Folders made get `mode` (less the umask). `root` "" or "/" means no confinement: the path
/// itself (created with `create`).
/// Used for roux's own files inside a --root tree (state folder, run lock, cache).
Result<std::string> confined_dir(const std::string& root, const std::string& path_in_root, bool create, mode_t mode = 0755);

/// A private temporary folder ($TMPDIR when absolute, else /tmp; "roux-PREFIX-XXXXXX", mode 0700
/// from mkdtemp), removed with everything in it on scope exit. `path` is empty when it could not
/// be made (errno says why).
struct ScratchDir {
  std::string path;
  explicit ScratchDir(std::string_view prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

}  // namespace roux::sources
