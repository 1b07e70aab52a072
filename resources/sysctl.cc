// sysctl: a kernel parameter, at boot and now. At boot: its own file
// /etc/sysctl.d/60-roux-KEY.conf ("KEY = VALUE", owned whole by roux, written atomically, read by
// systemd-sysctl or procps at boot). Now: /proc/sys/KEY/WITH/SLASHES, written in place through
// Host::write_in_place (a temp file and rename would never reach the kernel). Values compare
// word by word (the kernel separates a vector such as tcp_rmem with tabs). Under --root the live
// value belongs to the running kernel, not to the tree: only the file is managed, and the
// resource says so in its output.
#include "resources/sysctl.h"

#include "libs/diff.h"
#include "base/strings.h"
#include "resources/builtin.h"

namespace roux::resources {

std::string normalize_sysctl_value(std::string_view v) {
  std::string out, word;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty()) out += (out.empty() ? "" : " ") + word, word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) out += (out.empty() ? "" : " ") + word;
  return out;
}

bool is_valid_sysctl_key(std::string_view k) {
  if (k.empty() || k.size() > 200 || k.front() == '.' || k.back() == '.' || k.find("..") != std::string_view::npos)
    return false;
  return k.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == std::string_view::npos;
}

namespace {

class SysctlResource : public engine::Resource {
 public:
  explicit SysctlResource(std::string key) : Resource(std::move(key)) {}
  std::string_view type() const override { return "sysctl"; }

  std::string file_path() const { return "/etc/sysctl.d/60-roux-" + name() + ".conf"; }
  std::string proc_path() const {
    std::string p = name();
    for (char& c : p)
      if (c == '.') c = '/';
    return "/proc/sys/" + p;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    const std::string file = file_path();
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(file));
    if (live.exists() && live.type != host::FileType::kFile)
      return Status::conflict(file + " is a " + host::file_type_name(live.type) + ", not a file");
    if (absent) {
      // The running kernel keeps its value until reboot: only the boot-time file goes.
      if (!live.exists()) return Status::ok();
      return ctx.change({"file", file, "absent"}, [&](host::Host& h) { return h.remove(file); });
    }
    // A parameter this kernel does not have: fail before writing a file for it.
    const bool live_managed = ctx.host().root() == "/";
    const std::string proc = proc_path();
    if (live_managed) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo pi, ctx.host().lstat(proc));
      if (!pi.exists()) return Status::not_found("the kernel has no parameter " + name() + " (" + proc + " is missing)");
    }
    const std::string want = "# Managed by roux: sysctl[" + name() + "]\n" + name() + " = " + value + "\n";
    auto write = [&](host::Host& h) -> Status {
      ROUX_TRY(host::make_dirs(h, "/etc/sysctl.d", 0755));
      return h.write_file(file, want, 0644, 0, 0);
    };
    if (!live.exists()) {
      ROUX_TRY(ctx.change({"file", "absent", file, unified_diff("", want, file)}, write));
    } else {
      ROUX_ASSIGN_OR_RETURN(std::string have, ctx.host().read_file(file, 1 << 16));
      if (have != want) ROUX_TRY(ctx.change({"file", "", "", unified_diff(have, want, file)}, write));
      else if ((live.mode & 07777) != 0644 || live.uid != 0 || live.gid != 0)
        ROUX_TRY(ctx.change({"file mode", format_mode(live.mode) + " " + std::to_string(live.uid) + ":" + std::to_string(live.gid),
                             "0644 0:0", "", true},
                            write));
    }
    if (!live_managed) {
      ctx.add_output("sysctl " + name() + ": the live value is not set under --root " + ctx.host().root() +
                     " (it belongs to the running kernel); the file applies at the tree's next boot\n");
      return Status::ok();
    }
    ROUX_ASSIGN_OR_RETURN(std::string now, ctx.host().read_file(proc, 1 << 16));
    std::string now_n = normalize_sysctl_value(now);
    if (now_n == normalize_sysctl_value(value)) return Status::ok();
    return ctx.change({"live", now_n, value, "", true},
                      [&](host::Host& h) { return h.write_in_place(proc, value + "\n"); });
  }

  bool absent = false;
  std::string value;
};

}  // namespace

engine::ResourceType sysctl_type() {
  return {"sysctl", "a kernel parameter: /etc/sysctl.d/60-roux-KEY.conf for boot and /proc/sys for now",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (!is_valid_sysctl_key(name))
              props.error("invalid sysctl key \"" + one_line(name) +
                          "\": dotted names of letters, digits, _ and - (net.ipv4.ip_forward)");
            auto r = std::make_unique<SysctlResource>(name);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            auto value = props.string("value");
            if (r->absent && value) props.error("value", "has no meaning with ensure: absent");
            if (!r->absent && !value) props.error("value", "is required");
            if (value) {
              std::string n = normalize_sysctl_value(*value);
              if (n.empty() || has_control_char(n) || n.size() > 4096)
                props.error("value", "must be one line of at most 4096 bytes, not empty");
              else r->value = n;
            }
            return r;
          }};
}

}  // namespace roux::resources
