#pragma once
// mount (mount.cc): pure helpers, exposed for unit tests.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "host/host.h"

namespace roux::resources {

/// One fstab entry (fstab(5)); fields unescaped ("\040" -> " ").
struct FstabEntry {
  std::string device, mount_point, fstype, options;
  int dump = 0, pass = 0;
  bool operator==(const FstabEntry&) const = default;
};

/// One mount of /proc/self/mountinfo (proc(5)): the fields roux compares, unescaped.
struct MountInfo {
  std::string mount_point, options, fstype, source, super_options;
};

/// fstab and mountinfo escape a blank, tab, newline and backslash as \040 \011 \012 \134.
std::string escape_mount_field(std::string_view s);
std::string unescape_mount_field(std::string_view s);

/// Parses one fstab line; nullopt for a blank line, a comment, or a line of fewer than 2 fields
/// (kept verbatim). Missing fstype/options/dump/pass read as "", "defaults", 0, 0.
std::optional<FstabEntry> parse_fstab_line(std::string_view line);
/// The line roux writes: fields separated by a tab, escaped.
std::string format_fstab_line(const FstabEntry& e);
/// The fstab with `entry` present (the first line for its mount point replaced in place when it
/// differs, later ones for that mount point dropped, or appended) or, when null, without any line
/// for `mount_point`. Other lines are kept byte for byte. `*old` gets the entry that was there.
std::string edit_fstab(std::string_view content, const std::string& mount_point, const FstabEntry* entry,
                       std::optional<FstabEntry>* old);

/// Writes /etc/fstab atomically: a new one 0644 root:root, an existing one (`old`, its lstat)
/// keeping its mode and owner.
Status write_fstab(host::Host& h, std::string_view content, const host::FileInfo& old);

/// The mounts of a mountinfo text, in order (later mounts over the same point hide earlier ones).
std::vector<MountInfo> parse_mountinfo(std::string_view text);
/// The topmost mount at `mount_point`, if any.
std::optional<MountInfo> find_mount(const std::vector<MountInfo>& mounts, const std::string& mount_point);

/// What mount(8)/umount(8) do to a mountinfo text, for the plan: a mount appended, the topmost
/// mount at a point removed, or its options replaced (a remount).
std::string mountinfo_after_mount(std::string_view text, const FstabEntry& e);
std::string mountinfo_after_umount(std::string_view text, const std::string& mount_point);
std::string mountinfo_after_remount(std::string_view text, const std::string& mount_point, const std::string& options);

}  // namespace roux::resources
