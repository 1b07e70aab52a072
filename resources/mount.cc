// mount: an /etc/fstab entry and the mounted state (Puppet's mount). ensure:
//   mounted   (default) in fstab and mounted now
//   unmounted in fstab, not mounted now
//   enabled   in fstab only; the mounted state is left alone
//   absent    neither
// fstab: the line for the mount point is replaced in place, appended, or dropped; other lines are
// kept byte for byte; written atomically through the host door. Live: /proc/self/mountinfo is
// read through the host door; mount(8)/umount(8) run through Host::run with a model of their
// effect on mountinfo, so a plan sees a mount it would make (and marks it predicted, as every
// command). When the fstab line of a mounted filesystem changes in this run, it is remounted:
// `mount -o remount,OPTIONS` for new options, umount + mount for a new device or type. Options
// are not compared with the kernel's own (it rewrites them: size=64m reads size=65536k).
// Under --root the mounted state belongs to the running system: only fstab is managed, and the
// resource says so.
// systemd makes its .mount units from fstab (systemd-fstab-generator) and keeps the old ones until
// a `systemctl daemon-reload` (NeedDaemonReload=yes; a stale unit can act on the mount). Mounts are
// converged as a batch (batch_key): every fstab edit first, then ONE daemon-reload when fstab
// changed and systemd runs (systemd_reload.h, shared with systemd_unit; the `daemon_reload` change
// of the first mount whose fstab line changed, shown by plan), then each mounted state.
#include "resources/mount.h"

#include <algorithm>

#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"
#include "resources/host_command.h"
#include "resources/systemd_reload.h"
#include "resources/text_edit.h"

namespace roux::resources {

std::string escape_mount_field(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ') out += "\\040";
    else if (c == '\t') out += "\\011";
    else if (c == '\n') out += "\\012";
    else if (c == '\\') out += "\\134";
    else out += c;
  }
  return out;
}

std::string unescape_mount_field(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      std::string_view d = s.substr(i + 1, 3);
      if (d.size() == 3 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>((d[0] - '0') * 64 + (d[1] - '0') * 8 + (d[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

namespace {

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    if (pos > start) out.push_back(line.substr(start, pos - start));
  }
  return out;
}

int small_int(std::string_view s) {
  if (s.empty() || s.size() > 2 || s.find_first_not_of("0123456789") != std::string_view::npos) return 0;
  return std::stoi(std::string(s));
}

}  // namespace

std::optional<FstabEntry> parse_fstab_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto f = fields_of(line);
  if (f.size() < 2 || f[0].front() == '#') return std::nullopt;
  FstabEntry e;
  e.device = unescape_mount_field(f[0]);
  e.mount_point = unescape_mount_field(f[1]);
  e.fstype = f.size() > 2 ? unescape_mount_field(f[2]) : "";
  e.options = f.size() > 3 ? unescape_mount_field(f[3]) : "defaults";
  e.dump = f.size() > 4 ? small_int(f[4]) : 0;
  e.pass = f.size() > 5 ? small_int(f[5]) : 0;
  return e;
}

std::string format_fstab_line(const FstabEntry& e) {
  return escape_mount_field(e.device) + "\t" + escape_mount_field(e.mount_point) + "\t" + escape_mount_field(e.fstype) +
         "\t" + escape_mount_field(e.options) + "\t" + std::to_string(e.dump) + "\t" + std::to_string(e.pass);
}

std::string edit_fstab(std::string_view content, const std::string& mount_point, const FstabEntry* entry,
                       std::optional<FstabEntry>* old) {
  old->reset();
  std::vector<TextLine> lines = split_text_lines(content);
  std::vector<TextLine> out;
  bool placed = false;
  for (auto& l : lines) {
    auto parsed = parse_fstab_line(l.text);
    if (!parsed || parsed->mount_point != mount_point) {
      out.push_back(std::move(l));
      continue;
    }
    if (!old->has_value()) *old = *parsed;
    if (!entry || placed) continue;
    if (!(*parsed == *entry)) l.text = format_fstab_line(*entry);
    out.push_back(std::move(l));
    placed = true;
  }
  if (entry && !placed) append_text_line(out, format_fstab_line(*entry));
  return join_text_lines(out);
}

Status write_fstab(host::Host& h, std::string_view content, const host::FileInfo& old) {
  if (!old.exists()) return h.write_file("/etc/fstab", content, 0644, 0, 0);
  return h.write_file("/etc/fstab", content, old.mode, old.uid, old.gid);
}

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> out;
  for (const auto& l : split_text_lines(text)) {
    auto f = fields_of(l.text);
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    auto dash = std::find(f.begin(), f.end(), std::string_view("-"));
    if (f.size() < 6 || dash == f.end() || dash - f.begin() < 6 || f.end() - dash < 3) continue;
    MountInfo m;
    m.mount_point = unescape_mount_field(f[4]);
    m.options = std::string(f[5]);
    m.fstype = unescape_mount_field(dash[1]);
    m.source = unescape_mount_field(dash[2]);
    m.super_options = f.end() - dash > 3 ? std::string(dash[3]) : "";
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<MountInfo> find_mount(const std::vector<MountInfo>& mounts, const std::string& mount_point) {
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it)
    if (it->mount_point == mount_point) return *it;
  return std::nullopt;
}

namespace {

/// Index of the topmost mountinfo line at `mount_point`, or npos.
size_t topmost_line(const std::vector<TextLine>& lines, const std::string& mount_point) {
  size_t hit = std::string::npos;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto m = parse_mountinfo(lines[i].text);
    if (!m.empty() && m[0].mount_point == mount_point) hit = i;
  }
  return hit;
}

std::string mount_options_of(const std::string& options) {
  // A model's guess at the per-mount flags: rw or ro as asked, the rest is the filesystem's.
  for (const auto& o : split(options, ','))
    if (o == "ro") return "ro";
  return "rw";
}

}  // namespace

std::string mountinfo_after_mount(std::string_view text, const FstabEntry& e) {
  std::vector<TextLine> lines = split_text_lines(text);
  append_text_line(lines, "0 0 0:0 / " + escape_mount_field(e.mount_point) + " " + mount_options_of(e.options) +
                              " - " + escape_mount_field(e.fstype) + " " + escape_mount_field(e.device) + " " +
                              escape_mount_field(e.options));
  return join_text_lines(lines);
}

std::string mountinfo_after_umount(std::string_view text, const std::string& mount_point) {
  std::vector<TextLine> lines = split_text_lines(text);
  size_t i = topmost_line(lines, mount_point);
  if (i != std::string::npos) lines.erase(lines.begin() + static_cast<long>(i));
  return join_text_lines(lines);
}

std::string mountinfo_after_remount(std::string_view text, const std::string& mount_point, const std::string& options) {
  std::vector<TextLine> lines = split_text_lines(text);
  size_t i = topmost_line(lines, mount_point);
  if (i == std::string::npos) return std::string(text);
  auto f = fields_of(lines[i].text);
  auto dash = std::find(f.begin(), f.end(), std::string_view("-"));
  std::string out;
  for (auto it = f.begin(); it != f.end(); ++it) {
    if (!out.empty()) out += " ";
    if (it - f.begin() == 5) out += mount_options_of(options);
    else if (dash != f.end() && it - dash == 3) out += escape_mount_field(options);
    else out += std::string(*it);
  }
  lines[i].text = out;
  return join_text_lines(lines);
}

namespace {

constexpr const char* kFstab = "/etc/fstab";
constexpr const char* kMountinfo = "/proc/self/mountinfo";
constexpr size_t kMaxFstabBytes = 1 << 20;

enum class Ensure { kMounted, kUnmounted, kEnabled, kAbsent };

class MountResource : public ReloadBatchMember {
 public:
  explicit MountResource(std::string name) : ReloadBatchMember(std::move(name)) {}
  std::string_view type() const override { return "mount"; }
  std::vector<std::string> implicit_deps() const override {
    if (ensure == Ensure::kAbsent) return {};
    std::vector<std::string> out = engine::ancestor_dir_ids(want.mount_point);
    out.push_back("directory[" + want.mount_point + "]");
    return out;
  }

  Status converge_before_reload(engine::ConvergeContext& ctx, bool /*live*/) override {
    old_.reset();
    return converge_fstab(ctx, &old_);
  }
  Status converge_after_reload(engine::ConvergeContext& ctx, bool /*live*/) override {
    return converge_mounted(ctx, old_);
  }

  Ensure ensure = Ensure::kMounted;
  FstabEntry want;
  std::optional<FstabEntry> old_;  // its fstab line before this run's edit (converge_before_reload)

 private:
  Status converge_mounted(engine::ConvergeContext& ctx, const std::optional<FstabEntry>& old) {
    const std::string& mp = want.mount_point;
    if (ensure == Ensure::kEnabled) return Status::ok();
    if (ctx.host().root() != "/") {
      ctx.add_output("mount " + mp + ": the mounted state is not managed under --root " + ctx.host().root() +
                     " (it belongs to the running system); only /etc/fstab is\n");
      return Status::ok();
    }
    ROUX_ASSIGN_OR_RETURN(std::string info_text, ctx.host().read_file(kMountinfo, 16 << 20));
    std::optional<MountInfo> live = find_mount(parse_mountinfo(info_text), mp);
    if (ensure != Ensure::kMounted) {
      if (!live) return Status::ok();
      return ctx.change({.property = "mounted", .before = "mounted", .after = "unmounted", .is_public = true},
                        [&](host::Host& h) { return umount(ctx, h); });
    }
    if (!live) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo dir, ctx.host().lstat(mp));
      if (!dir.exists())
        ROUX_TRY(ctx.change({.property = "mount point", .before = "absent", .after = "directory", .is_public = true},
                            [&](host::Host& h) { return host::make_dirs(h, mp, 0755); }));
      else if (dir.type != host::FileType::kDirectory)
        return Status::conflict(mp + " is a " + host::file_type_name(dir.type) + ", not a directory to mount on");
      return ctx.change({.property = "mounted", .before = "unmounted", .after = "mounted", .is_public = true},
                        [&](host::Host& h) { return mount(ctx, h); });
    }
    // Mounted: remount only when this run changed what fstab says about it.
    if (!old || *old == want) return Status::ok();
    if (old->device != want.device || old->fstype != want.fstype) {
      return ctx.change({.property = "mounted",
                         .before = old->fstype + " " + old->device,
                         .after = want.fstype + " " + want.device,
                         .is_public = true},
                        [&](host::Host& h) {
                          ROUX_TRY(umount(ctx, h));
                          return mount(ctx, h);
                        });
    }
    if (old->options == want.options) return Status::ok();
    return ctx.change({.property = "options", .before = old->options, .after = want.options, .is_public = true},
                      [&](host::Host& h) {
                        return run_tool(ctx, h, {"mount", "-o", "remount," + want.options, mp}, [&](host::Host& m) {
                          return rewrite_mountinfo(m, [&](const std::string& t) {
                            return mountinfo_after_remount(t, mp, want.options);
                          });
                        });
                      });
  }

  Status converge_fstab(engine::ConvergeContext& ctx, std::optional<FstabEntry>* old) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(kFstab));
    if (fi.exists() && fi.type != host::FileType::kFile)
      return Status::conflict(std::string(kFstab) + " is a " + host::file_type_name(fi.type) + ", not a file");
    std::string have;
    if (fi.exists()) {
      if (fi.size > kMaxFstabBytes) return Status::invalid_input(std::string(kFstab) + " is larger than 1 MiB");
      ROUX_ASSIGN_OR_RETURN(have, ctx.host().read_file(kFstab, kMaxFstabBytes));
    }
    const bool keep = ensure != Ensure::kAbsent;
    std::string next = edit_fstab(have, want.mount_point, keep ? &want : nullptr, old);
    if (next == have) return Status::ok();
    // Shown with single blanks (the file has tabs; the diff shows them as they are).
    auto shown = [](const FstabEntry& e) {
      std::string t = format_fstab_line(e);
      std::replace(t.begin(), t.end(), '\t', ' ');
      return t;
    };
    std::string before = !old->has_value() ? "absent" : shown(**old);
    std::string after = keep ? shown(want) : "absent";
    if (before == after) before = "duplicate lines";
    return ctx.change({.property = "fstab", .before = before, .after = after, .diff = unified_diff(have, next, kFstab),
                       .is_public = true},
                      [&](host::Host& h) {
                        ROUX_TRY(write_fstab(h, next, fi));
                        systemd_reload_pending(kFstab);
                        return Status::ok();
                      });
  }

  static Status rewrite_mountinfo(host::Host& h, const std::function<std::string(const std::string&)>& edit) {
    ROUX_ASSIGN_OR_RETURN(std::string t, h.read_file(kMountinfo, 16 << 20));
    return h.write_file(kMountinfo, edit(t), 0444, std::nullopt, std::nullopt);
  }

  Status run_tool(engine::ConvergeContext& ctx, host::Host& h, std::vector<std::string> argv, const host::Host::Model& model) {
    return run_host_command(ctx, h, std::move(argv), model, std::chrono::minutes(5));
  }

  Status mount(engine::ConvergeContext& ctx, host::Host& h) {
    return run_tool(ctx, h, {"mount", "-t", want.fstype, "-o", want.options, want.device, want.mount_point},
                    [&](host::Host& m) {
                      return rewrite_mountinfo(m, [&](const std::string& t) { return mountinfo_after_mount(t, want); });
                    });
  }
  Status umount(engine::ConvergeContext& ctx, host::Host& h) {
    return run_tool(ctx, h, {"umount", want.mount_point}, [&](host::Host& m) {
      return rewrite_mountinfo(m, [&](const std::string& t) { return mountinfo_after_umount(t, want.mount_point); });
    });
  }
};

bool is_fstab_word(const std::string& s) {
  return !s.empty() && s.size() <= 4096 && !has_control_char(s) && s.find_first_of(" \t\\#") == std::string::npos;
}

}  // namespace

engine::ResourceType mount_type() {
  return {"mount", "an /etc/fstab entry and the mounted state: mounted, unmounted, enabled (fstab only) or absent",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<MountResource>(name);
            auto mp = host::normalize_path(name);
            if (!mp.is_ok()) props.error(mp.status().message() + " (the name is the mount point)");
            else if (*mp == "/") props.error("the root file system is not managed by a mount resource");
            else if (has_control_char(*mp) || mp->find_first_of(" \t\\") != std::string::npos)
              props.error("the mount point must not hold blanks, backslashes or control characters");
            else r->want.mount_point = *mp;
            std::string e = props.one_of("ensure", {"mounted", "unmounted", "enabled", "absent"}).value_or("mounted");
            r->ensure = e == "mounted" ? Ensure::kMounted : e == "unmounted" ? Ensure::kUnmounted
                      : e == "enabled" ? Ensure::kEnabled : Ensure::kAbsent;
            const bool absent = r->ensure == Ensure::kAbsent;
            auto device = props.string("device");
            auto fstype = props.string("fstype");
            if (absent) {
              for (const char* k : {"device", "fstype", "options", "dump", "pass"})
                if (props.has(k)) props.error(k, "has no meaning with ensure: absent");
              return r;
            }
            if (!device) props.error("device", "is required (/dev/sdb1, UUID=..., LABEL=..., server:/export, tmpfs)");
            else if (!is_fstab_word(*device)) props.error("device", "must be one word without blanks, backslashes, # or control characters");
            else r->want.device = *device;
            if (!fstype) props.error("fstype", "is required (ext4, xfs, nfs, tmpfs, ...)");
            else if (fstype->empty() || fstype->size() > 64 ||
                     fstype->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._+-") != std::string::npos)
              props.error("fstype", "must be lower-case letters, digits and . _ + - (ext4, fuse.sshfs)");
            else r->want.fstype = *fstype;
            if (auto opts = props.string_list("options")) {
              std::string joined = join(*opts, ",");
              bool ok = !opts->empty() && std::all_of(opts->begin(), opts->end(), [](const std::string& o) {
                return is_fstab_word(o) && o.find(',') == std::string::npos;
              });
              // A single string may hold the whole comma-separated list.
              if (opts->size() == 1) ok = is_fstab_word(joined) && joined.find(",,") == std::string::npos &&
                                          joined.front() != ',' && joined.back() != ',';
              if (!ok) props.error("options", "must be mount options without blanks, backslashes, # or empty items (defaults, noatime, size=64m)");
              else r->want.options = joined;
            } else {
              r->want.options = "defaults";
            }
            r->want.dump = static_cast<int>(props.integer("dump", 0, 9).value_or(0));
            r->want.pass = static_cast<int>(props.integer("pass", 0, 9).value_or(0));
            return r;
          }};
}

}  // namespace roux::resources
