// kernel_module: a kernel module, now and at boot. ensure:
//   loaded      (default) loaded now (modprobe NAME); at boot too unless `boot: false`
//               (/etc/modules-load.d/NAME.conf, read by systemd-modules-load)
//   unloaded    not loaded now (modprobe -r NAME); no boot file
//   blacklisted as unloaded, and /etc/modprobe.d/roux-NAME.conf says `blacklist NAME` and
//               `install NAME /bin/false` (so neither an alias nor an explicit modprobe loads it)
// `options` go to /etc/modprobe.d/roux-NAME.conf (`options NAME k=v ...`), read by modprobe at
// the next load: a loaded module is not reloaded for new options (the output says so).
// Both files are owned whole by roux (written atomically, removed when empty).
// Live state: /sys/module/NAME (a loaded module, or a built-in one with parameters) or a line of
// /lib/modules/RELEASE/modules.builtin, read through the host door; modprobe runs through
// Host::run with a model (the /sys/module/NAME folder appears or goes), so a plan sees it.
// Under --root the live state belongs to the running kernel: only the files are managed.
#include <algorithm>

#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"
#include "resources/host_command.h"

namespace roux::resources {
namespace {

enum class Ensure { kLoaded, kUnloaded, kBlacklisted };

class KernelModuleResource : public engine::Resource {
 public:
  explicit KernelModuleResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "kernel_module"; }

  /// The kernel's name: "-" and "_" are the same to it; /sys/module uses "_".
  std::string sys_name() const {
    std::string n = name();
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
  }
  std::string boot_file() const { return "/etc/modules-load.d/" + name() + ".conf"; }
  std::string conf_file() const { return "/etc/modprobe.d/roux-" + name() + ".conf"; }

  Status converge(engine::ConvergeContext& ctx) override {
    const std::string header = "# Managed by roux: kernel_module[" + name() + "]\n";
    std::string conf;
    if (!options.empty()) conf += "options " + name() + " " + join(options, " ") + "\n";
    if (ensure == Ensure::kBlacklisted) conf += "blacklist " + name() + "\ninstall " + name() + " /bin/false\n";
    ROUX_TRY(converge_owned_file(ctx, "modprobe.d", conf_file(), conf.empty() ? "" : header + conf));
    ROUX_TRY(converge_owned_file(ctx, "modules-load.d", boot_file(),
                                 ensure == Ensure::kLoaded && boot ? header + name() + "\n" : ""));
    if (ctx.host().root() != "/") {
      ctx.add_output("kernel_module " + name() + ": not loaded or unloaded under --root " + ctx.host().root() +
                     " (the running kernel is not the tree's); only the files are managed\n");
      return Status::ok();
    }
    const std::string sys = "/sys/module/" + sys_name();
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(sys));
    ROUX_ASSIGN_OR_RETURN(bool builtin, is_builtin(ctx.host()));
    const bool loaded = live.exists() || builtin;
    if (ensure == Ensure::kLoaded) {
      if (loaded) {
        if (options_changed_)
          ctx.add_output("kernel_module " + name() + ": loaded already; the new options apply at its next load\n");
        return Status::ok();
      }
      return ctx.change({.property = "loaded", .before = "no", .after = "yes", .is_public = true},
                        [&](host::Host& h) {
                          return modprobe(ctx, h, {"modprobe", name()}, [&](host::Host& m) { return m.mkdir(sys, 0755); });
                        });
    }
    if (!loaded) return Status::ok();
    if (builtin || (live.exists() && !has_initstate(ctx.host(), sys)))
      return Status::conflict("module " + name() + " is built into the kernel; it cannot be unloaded");
    return ctx.change({.property = "loaded", .before = "yes", .after = "no", .is_public = true},
                      [&](host::Host& h) {
                        return modprobe(ctx, h, {"modprobe", "-r", name()}, [&](host::Host& m) { return m.remove_tree(sys); });
                      });
  }

  Ensure ensure = Ensure::kLoaded;
  bool boot = true;
  std::vector<std::string> options;

 private:
  /// A file roux owns whole: written when `want` is not empty, removed when it is.
  Status converge_owned_file(engine::ConvergeContext& ctx, const std::string& folder, const std::string& path,
                             const std::string& want) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(path));
    if (fi.exists() && fi.type != host::FileType::kFile)
      return Status::conflict(path + " is a " + host::file_type_name(fi.type) + ", not a file");
    ROUX_TRY(ctx.remove_stale_temp(path));
    if (want.empty()) {
      if (!fi.exists()) return Status::ok();
      return ctx.change({.property = folder, .before = path, .after = "absent", .is_public = true},
                        [&](host::Host& h) { return h.remove(path); });
    }
    auto write = [&](host::Host& h) -> Status {
      ROUX_TRY(host::make_dirs(h, "/etc/" + folder, 0755));
      return h.write_file(path, want, 0644, 0, 0);
    };
    if (!fi.exists())
      return ctx.change({.property = folder, .before = "absent", .after = path, .diff = unified_diff("", want, path),
                         .is_public = true},
                        write);
    ROUX_ASSIGN_OR_RETURN(std::string have, ctx.host().read_file(path, 1 << 16));
    if (have != want) {
      if (folder == "modprobe.d") options_changed_ = true;
      return ctx.change({.property = folder, .before = "", .after = "", .diff = unified_diff(have, want, path),
                         .is_public = true},
                        write);
    }
    if ((fi.mode & 07777) != 0644 || fi.uid != 0 || fi.gid != 0)
      return ctx.change({.property = folder + " mode",
                         .before = format_mode(fi.mode) + " " + std::to_string(fi.uid) + ":" + std::to_string(fi.gid),
                         .after = "0644 0:0",
                         .is_public = true},
                        write);
    return Status::ok();
  }

  /// Whether modules.builtin of the running kernel lists the module (a built-in module without
  /// parameters has no /sys/module folder).
  Result<bool> is_builtin(const host::Host& h) const {
    auto release = h.read_file("/proc/sys/kernel/osrelease", 256);
    if (!release.is_ok()) return false;
    const std::string list = "/lib/modules/" + std::string(trim(*release)) + "/modules.builtin";
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(list));
    if (fi.type != host::FileType::kFile) return false;
    ROUX_ASSIGN_OR_RETURN(std::string text, h.read_file(list, 4 << 20));
    for (const auto& line : split_lines(text)) {
      size_t slash = line.rfind('/');
      std::string base = line.substr(slash == std::string::npos ? 0 : slash + 1);
      if (base.size() > 3 && base.ends_with(".ko")) base.resize(base.size() - 3);
      std::replace(base.begin(), base.end(), '-', '_');
      if (base == sys_name()) return true;
    }
    return false;
  }
  /// A loadable module's /sys/module folder has an initstate file; a built-in one's has not.
  static bool has_initstate(const host::Host& h, const std::string& sys) {
    auto fi = h.lstat(sys + "/initstate");
    return fi.is_ok() && fi->exists();
  }

  Status modprobe(engine::ConvergeContext& ctx, host::Host& h, std::vector<std::string> argv, const host::Host::Model& model) {
    return run_host_command(ctx, h, std::move(argv), model, std::chrono::minutes(2));
  }

  bool options_changed_ = false;
};

bool is_module_name(const std::string& n) {
  return !n.empty() && n.size() <= 55 &&
         n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos &&
         n.front() != '-';
}

bool is_option(const std::string& o) {
  size_t eq = o.find('=');
  if (eq == 0 || eq == std::string::npos) return false;
  std::string key = o.substr(0, eq), value = o.substr(eq + 1);
  return key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == std::string::npos &&
         !value.empty() && value.size() <= 1024 && !has_control_char(value) &&
         value.find_first_of(" \t\\#") == std::string::npos;
}

}  // namespace

engine::ResourceType kernel_module_type() {
  return {"kernel_module",
          "a kernel module: loaded now (modprobe) and at boot (/etc/modules-load.d), options, blacklist (/etc/modprobe.d)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (!is_module_name(name))
              props.error("invalid module name \"" + one_line(name) + "\": letters, digits, _ and -, at most 55 (br_netfilter)");
            auto r = std::make_unique<KernelModuleResource>(name);
            std::string e = props.one_of("ensure", {"loaded", "unloaded", "blacklisted"}).value_or("loaded");
            r->ensure = e == "loaded" ? Ensure::kLoaded : e == "unloaded" ? Ensure::kUnloaded : Ensure::kBlacklisted;
            if (auto b = props.boolean("boot")) {
              if (r->ensure != Ensure::kLoaded) props.error("boot", "has no meaning unless ensure: loaded");
              r->boot = *b;
            }
            if (props.has("options")) {
              if (r->ensure != Ensure::kLoaded) props.error("options", "has no meaning unless ensure: loaded");
              const engine::Value* raw = props.raw("options");
              std::vector<std::string> opts;
              if (raw && raw->kind == engine::Value::Kind::kMap) {
                if (auto m = props.string_map("options"))
                  for (const auto& [k, v] : *m) opts.push_back(k + "=" + v);
              } else if (auto l = props.string_list("options")) {
                opts = *l;
              }
              for (const auto& o : opts)
                if (!is_option(o)) props.error("options", "\"" + one_line(o) + "\" is not KEY=VALUE (a value without blanks, # or backslashes)");
              r->options = opts;
            }
            return r;
          }};
}

}  // namespace roux::resources
