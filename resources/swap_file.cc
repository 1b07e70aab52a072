// swap_file: a swap file, active now and at boot. Present:
//   file   made 0600 root:root through the host door (an empty file, then `fallocate -l SIZE`);
//          a file of another size is made again (swapoff first when it is active)
//   active `mkswap PATH` then `swapon PATH` when /proc/swaps (read through the host door) does
//          not list it; both run through Host::run, swapon with a model (its line appears in
//          /proc/swaps), so a plan sees it
//   fstab  the line `PATH none swap sw 0 0` (mount.h's fstab editor: other lines kept)
// Absent: swapoff when active, the fstab line and the file removed.
// Under --root the swap belongs to the running system and commands run outside the tree: only the
// fstab line is managed, and the resource says so.
#include <algorithm>

#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"
#include "resources/host_command.h"
#include "resources/mount.h"
#include "resources/systemd_reload.h"

namespace roux::resources {
namespace {

constexpr const char* kFstab = "/etc/fstab";
constexpr const char* kSwaps = "/proc/swaps";
/// mkswap wants at least 10 pages; a swap file larger than 1 TiB is a typo.
constexpr uint64_t kMinSwapBytes = 40 << 10;
constexpr uint64_t kMaxSwapBytes = uint64_t{1} << 40;

/// "512M", "2G", "65536" (bytes), "64K" -> bytes; 0 when malformed.
uint64_t parse_size(const std::string& s) {
  if (s.empty() || s.size() > 19) return 0;  // 19 digits never overflow stoull
  size_t digits = s.find_first_not_of("0123456789");
  if (digits == 0) return 0;
  uint64_t n = std::stoull(s.substr(0, digits == std::string::npos ? s.size() : digits));
  std::string unit = digits == std::string::npos ? "" : s.substr(digits);
  uint64_t mul = unit.empty() ? 1 : unit == "K" ? uint64_t{1} << 10 : unit == "M" ? uint64_t{1} << 20
               : unit == "G" ? uint64_t{1} << 30 : 0;
  if (mul == 0 || n > kMaxSwapBytes / mul) return 0;
  return n * mul;
}

/// Whether /proc/swaps lists `path` (its first column, with fstab's escapes).
bool swap_active(const std::string& swaps, const std::string& path) {
  for (const auto& line : split_lines(swaps)) {
    size_t end = line.find_first_of(" \t");
    if (unescape_mount_field(line.substr(0, end)) == path) return true;
  }
  return false;
}

class SwapFileResource : public ReloadBatchMember {
 public:
  explicit SwapFileResource(std::string path) : ReloadBatchMember(path), path(std::move(path)) {}
  std::string_view type() const override { return "swap_file"; }
  std::vector<std::string> implicit_deps() const override { return engine::ancestor_dir_ids(path); }

  // All of it before the batch's daemon-reload: the fstab line goes last (after swapon works),
  // and systemd then makes its .swap unit from the new fstab.
  Status converge_after_reload(engine::ConvergeContext&, bool) override { return Status::ok(); }
  Status converge_before_reload(engine::ConvergeContext& ctx, bool /*live*/) override {
    const bool live_managed = ctx.host().root() == "/";
    if (!live_managed) {
      ROUX_TRY(converge_fstab(ctx));
      ctx.add_output("swap_file " + path + ": only the fstab line is managed under --root " + ctx.host().root() +
                     " (the file, mkswap and swapon belong to the running system)\n");
      return Status::ok();
    }
    ROUX_ASSIGN_OR_RETURN(std::string swaps, ctx.host().read_file(kSwaps, 1 << 20));
    bool active = swap_active(swaps, path);
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(path));
    if (fi.exists() && fi.type != host::FileType::kFile)
      return Status::conflict(path + " is a " + host::file_type_name(fi.type) + ", not a swap file");
    if (absent) {
      if (active)
        ROUX_TRY(ctx.change({.property = "active", .before = "yes", .after = "no", .is_public = true},
                            [&](host::Host& h) { return swapoff(ctx, h); }));
      ROUX_TRY(converge_fstab(ctx));
      if (!fi.exists()) return Status::ok();
      return ctx.change({.property = "file", .before = std::to_string(fi.size) + " bytes", .after = "absent", .is_public = true},
                        [&](host::Host& h) { return h.remove(path); });
    }
    if (!fi.exists() || fi.size != size) {
      const bool remake = fi.exists();
      ROUX_TRY(ctx.change({.property = "file",
                           .before = remake ? std::to_string(fi.size) + " bytes" : "absent",
                           .after = std::to_string(size) + " bytes 0600",
                           .is_public = true},
                          [&](host::Host& h) -> Status {
                            if (remake && active) ROUX_TRY(swapoff(ctx, h));
                            if (remake) ROUX_TRY(h.remove(path));
                            ROUX_TRY(h.write_file(path, "", 0600, 0, 0));
                            return run_tool(ctx, h, {"fallocate", "-l", std::to_string(size), path}, {});
                          }));
      active = false;
    } else if ((fi.mode & 07777) != 0600 || fi.uid != 0 || fi.gid != 0) {
      ROUX_TRY(ctx.change({.property = "file mode",
                           .before = format_mode(fi.mode) + " " + std::to_string(fi.uid) + ":" + std::to_string(fi.gid),
                           .after = "0600 0:0",
                           .is_public = true},
                          [&](host::Host& h) {
                            ROUX_TRY(h.chown(path, 0, 0));
                            return h.chmod(path, 0600);
                          }));
    }
    if (!active)
      ROUX_TRY(ctx.change({.property = "active", .before = "no", .after = "yes", .is_public = true},
                          [&](host::Host& h) -> Status {
                            ROUX_TRY(run_tool(ctx, h, {"mkswap", path}, {}));
                            return run_tool(ctx, h, {"swapon", path}, [&](host::Host& m) -> Status {
                              ROUX_ASSIGN_OR_RETURN(std::string t, m.read_file(kSwaps, 1 << 20));
                              if (!t.empty() && t.back() != '\n') t += "\n";
                              t += escape_mount_field(path) + "\tfile\t" + std::to_string(size >> 10) + "\t0\t-2\n";
                              return m.write_file(kSwaps, t, 0444, std::nullopt, std::nullopt);
                            });
                          }));
    return converge_fstab(ctx);
  }

  std::string path;
  uint64_t size = 0;
  bool absent = false;

 private:
  Status converge_fstab(engine::ConvergeContext& ctx) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(kFstab));
    if (fi.exists() && fi.type != host::FileType::kFile)
      return Status::conflict(std::string(kFstab) + " is a " + host::file_type_name(fi.type) + ", not a file");
    std::string have;
    if (fi.exists()) {
      ROUX_ASSIGN_OR_RETURN(have, ctx.host().read_file(kFstab, 1 << 20));
    }
    FstabEntry want{path, "none", "swap", "sw", 0, 0};
    // The fstab editor of mount keys lines by mount point; a swap line's is "none", so by device here.
    bool found = false;
    std::string next = rewrite_swap_lines(have, absent ? nullptr : &want, &found);
    if (next == have) return Status::ok();
    return ctx.change({.property = "fstab", .before = !found ? "absent" : absent ? "present" : "differs", .after = absent ? "absent" : "present",
                       .diff = unified_diff(have, next, kFstab), .is_public = true},
                      [&](host::Host& h) {
                        ROUX_TRY(write_fstab(h, next, fi));
                        systemd_reload_pending(kFstab);  // systemd makes the .swap units from fstab
                        return Status::ok();
                      });
  }
  /// fstab with the lines whose device is this file replaced by `want` (the first, kept verbatim
  /// when it already says the same) or dropped; `*found` tells whether there was one.
  std::string rewrite_swap_lines(const std::string& have, const FstabEntry* want, bool* found) const {
    std::string out;
    bool placed = false;
    size_t pos = 0;
    while (pos < have.size()) {
      size_t nl = have.find('\n', pos);
      std::string line = have.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      std::string eol = nl == std::string::npos ? "" : "\n";
      pos = nl == std::string::npos ? have.size() : nl + 1;
      auto e = parse_fstab_line(line);
      if (e && e->device == path) {
        if (want && !placed) out += (*e == *want ? line + eol : format_fstab_line(*want) + "\n");
        placed = *found = true;
        continue;
      }
      out += line + eol;
    }
    if (want && !placed) {
      if (!out.empty() && out.back() != '\n') out += "\n";
      out += format_fstab_line(*want) + "\n";
    }
    return out;
  }

  Status run_tool(engine::ConvergeContext& ctx, host::Host& h, std::vector<std::string> argv, const host::Host::Model& model) {
    return run_host_command(ctx, h, std::move(argv), model, std::chrono::minutes(10));
  }
  Status swapoff(engine::ConvergeContext& ctx, host::Host& h) {
    return run_tool(ctx, h, {"swapoff", path}, [&](host::Host& m) -> Status {
      ROUX_ASSIGN_OR_RETURN(std::string t, m.read_file(kSwaps, 1 << 20));
      std::string out;
      for (const auto& line : split_lines(t))
        if (!swap_active(line, path)) out += line + "\n";
      return m.write_file(kSwaps, out, 0444, std::nullopt, std::nullopt);
    });
  }
};

}  // namespace

engine::ResourceType swap_file_type() {
  return {"swap_file", "a swap file: made 0600 of a size, mkswap, swapon now, and its /etc/fstab line",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto p = host::normalize_path(name);
            if (!p.is_ok()) props.error(p.status().message() + " (the name is the swap file)");
            else if (*p == "/" || has_control_char(*p) || p->find_first_of(" \t\\") != std::string::npos)
              props.error("the swap file must be a file path without blanks, backslashes or control characters");
            auto r = std::make_unique<SwapFileResource>(p.is_ok() ? *p : name);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            auto size = props.string("size");
            if (r->absent && size) props.error("size", "has no meaning with ensure: absent");
            if (!r->absent && !size) props.error("size", "is required (512M, 2G; K, M, G or bytes)");
            if (size && !r->absent) {
              r->size = parse_size(*size);
              if (r->size < kMinSwapBytes || r->size % 4096 != 0)
                props.error("size", "\"" + one_line(*size) +
                                        "\" is not a size of at least 40K in whole 4K pages, at most 1024G (512M, 2G; K, M, G or bytes)");
            }
            return r;
          }};
}

}  // namespace roux::resources
