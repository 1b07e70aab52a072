#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace roux::sources {

/// Bounds on what one cookbook archive may unpack to (an archive bomb fails cleanly).
struct UnpackLimits {
  size_t max_entries = 10000;
  uint64_t max_bytes = uint64_t(256) << 20;  // total size of regular files
};

/// Safely unpacks a (gzip/plain) tar archive held in memory into the folder `dest`, which must not
/// exist. Everything is written into a fresh temporary folder beside `dest` and renamed to `dest`
/// only when the whole archive was accepted; on any error the temporary folder is removed and
/// `dest` is not created. Refused (kUntrusted, message naming the entry and why): absolute paths,
/// `..` components, symlinks whose target leaves the archive's folder (or is absolute), hard
/// links to anything but an earlier regular file of the archive, writing through a symlink,
/// duplicate entries, device files, FIFOs and sockets, more than `limits.max_entries` entries and
/// more than `limits.max_bytes` bytes of file content. Modes are kept (permission bits only, never
/// setuid/setgid/sticky); owners and times are not. `what` names the archive in messages.
/// Thread-safe (no chdir, no process-wide state).
Status unpack_archive(std::string_view archive, const std::string& dest, const std::string& what,
                      const UnpackLimits& limits = {});

}  // namespace roux::sources
