#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace roux::sources {

/// Bounds on what one cookbook archive may unpack to (an archive bomb fails cleanly).
struct UnpackLimits {
  size_t max_entries = 10000;
  uint64_t max_bytes = uint64_t(256) << 20;  // total size of regular files
};

/// One entry of an archive that walk_archive accepted.
struct ArchiveEntry {
  enum class Kind { kDir, kFile, kSymlink, kHardlink };
  Kind kind = Kind::kFile;
  std::string name;     // the name as the archive spells it (for messages)
  std::string path;     // normalised relative path after strip_components: "a/b"
  uint32_t perm = 0;    // permission bits only (0777): never setuid/setgid/sticky
  std::string target;   // kSymlink: the link's target; kHardlink: path of an earlier kFile
  std::string content;  // kFile: the whole content
};

struct WalkOptions {
  UnpackLimits limits;
  /// false: tar, plain or gzip (cookbooks and policies). true: also zip, and xz, zstd, bzip2.
  bool any_format = false;
  /// Leading path components dropped from every name (tar --strip-components); an entry left
  /// with no name is skipped (still counted against max_entries).
  int strip_components = 0;
  /// Names the archive in messages ("cookbook.tar.gz").
  std::string what;
  /// What symlinks must stay inside, in messages ("the cookbook").
  std::string inside = "the cookbook";
};

/// Reads an archive held in memory and hands each accepted entry to `visit`, in archive order,
/// after checking it against every earlier one. Refused (kUntrusted, message naming the entry and
/// why, ending "; nothing was unpacked"): absolute paths, `..` components, symlinks whose target
/// leaves the archive's folder (or is absolute), hard links to anything but an earlier regular
/// file, an entry below a symlink or a file of the archive, duplicate entries, device files,
/// FIFOs and sockets, more than `limits.max_entries` entries and more than `limits.max_bytes`
/// bytes of file content. Nothing is written: `visit` decides (an error from it stops the walk).
/// Callers that must not write a half archive walk twice: once to check, once to write.
Status walk_archive(std::string_view archive, const WalkOptions& options,
                    const std::function<Status(const ArchiveEntry&)>& visit);

/// Safely unpacks a (gzip/plain) tar archive held in memory into the folder `dest`, which must not
/// exist. Everything is written into a fresh temporary folder beside `dest` and renamed to `dest`
/// only when the whole archive was accepted; on any error the temporary folder is removed and
/// `dest` is not created. Refused as walk_archive refuses. Modes are kept (permission bits only,
/// never setuid/setgid/sticky); owners and times are not. `what` names the archive in messages.
/// Thread-safe (no chdir, no process-wide state).
Status unpack_archive(std::string_view archive, const std::string& dest, const std::string& what,
                      const UnpackLimits& limits = {});

}  // namespace roux::sources
