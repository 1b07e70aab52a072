// hostname: the machine's name, at boot and now. At boot: /etc/hostname (the name and a newline,
// 0644, written atomically) and the 127.0.1.1 line of /etc/hosts ("127.0.1.1 FQDN SHORT", as
// Debian's installer writes it; every other line is kept as it is, a missing line is added after
// the 127.0.0.1 lines). Now: read from /proc/sys/kernel/hostname, set by `hostname NAME`
// (sethostname(2), as hostnamectl does) through Host::run with its effect on that file as the
// plan's model: in a container /proc/sys is read-only (systemd-nspawn, docker) while
// sethostname(2) works in the container's own UTS namespace. Under --root the live name belongs
// to the running machine, not to the tree: only the files are managed, and the output says so.
#include "resources/hostname.h"

#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"
#include "resources/host_command.h"

namespace roux::resources {

bool is_valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;  // the kernel's HOST_NAME_MAX
  for (const auto& label : split(name, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (label.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
      return false;
  }
  return true;
}

std::string hosts_with_hostname(std::string_view hosts, std::string_view name) {
  std::string want = "127.0.1.1\t" + std::string(name);
  if (auto dot = name.find('.'); dot != std::string_view::npos) want += " " + std::string(name.substr(0, dot));
  std::vector<std::string> lines = split_lines(hosts);
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline
  bool placed = false;
  size_t after_loopback = 0;
  std::vector<std::string> out;
  for (const auto& l : lines) {
    std::string_view t = trim(l);
    bool ours = starts_with(t, "127.0.1.1") && t.size() > 9 && (t[9] == ' ' || t[9] == '\t');
    if (ours) {
      if (!placed) out.push_back(want);  // the first 127.0.1.1 line becomes ours, later ones go
      placed = true;
      continue;
    }
    out.push_back(l);
    if (starts_with(t, "127.0.0.1") && !placed) after_loopback = out.size();
  }
  if (!placed) out.insert(out.begin() + static_cast<std::ptrdiff_t>(after_loopback), want);
  return join(out, "\n") + "\n";
}

namespace {

/// What a change of /etc/hostname or /etc/hosts shows: the first line of /etc/hostname, the
/// 127.0.1.1 line of /etc/hosts.
std::string loopback_line(std::string_view text) {
  std::vector<std::string> lines = split_lines(text);
  for (const auto& l : lines)
    if (starts_with(trim(l), "127.0.1.1")) {
      std::string shown(trim(l));
      for (char& c : shown)
        if (c == '\t') c = ' ';
      return one_line(shown, 200);
    }
  if (!lines.empty() && !starts_with(trim(lines.front()), "#") && trim(lines.front()).find_first_of(" \t") == std::string_view::npos)
    return one_line(trim(lines.front()), 200);
  return "(no 127.0.1.1 line)";
}

constexpr const char* kProcHostname = "/proc/sys/kernel/hostname";

class HostnameResource : public engine::Resource {
 public:
  explicit HostnameResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "hostname"; }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_TRY(own_file(ctx, "/etc/hostname", "file", [&](const std::string&) { return name() + "\n"; }));
    ROUX_TRY(own_file(ctx, "/etc/hosts", "hosts", [&](const std::string& have) { return hosts_with_hostname(have, name()); }));
    if (ctx.host().root() != "/") {
      ctx.add_output("hostname: the live name is not set under --root " + ctx.host().root() +
                     " (it belongs to the running machine); the files apply at the tree's next boot\n");
      return Status::ok();
    }
    ROUX_ASSIGN_OR_RETURN(std::string now, ctx.host().read_file(kProcHostname, 4096));
    std::string now_t(trim(now));
    if (now_t == name()) return Status::ok();
    return ctx.change({"live", now_t, name(), "", true}, [&](host::Host& h) {
      return run_host_command(ctx, h, {"hostname", name()},
                              [&](host::Host& m) { return m.write_in_place(kProcHostname, name() + "\n"); },
                              std::chrono::minutes(1));
    });
  }

 private:
  /// `path` holds `want(current text)`: a missing file is made 0644 root:root; an existing one
  /// keeps its mode and owner.
  Status own_file(engine::ConvergeContext& ctx, const std::string& path, const std::string& property,
                  const std::function<std::string(const std::string&)>& want) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path));
    if (live.exists() && live.type != host::FileType::kFile)
      return Status::conflict(path + " is a " + host::file_type_name(live.type) + ", not a file");
    std::string have;
    if (live.exists()) {
      ROUX_ASSIGN_OR_RETURN(have, ctx.host().read_file(path, 1 << 20));
    }
    std::string text = want(have);
    if (live.exists() && have == text) return Status::ok();
    uint32_t mode = live.exists() ? live.mode & 07777 : 0644;
    std::optional<uid_t> uid = live.exists() ? live.uid : 0;
    std::optional<gid_t> gid = live.exists() ? live.gid : 0;
    return ctx.change({property, live.exists() ? loopback_line(have) : "absent", loopback_line(text),
                       unified_diff(have, text, path)},
                      [&](host::Host& h) { return h.write_file(path, text, mode, uid, gid); });
  }
};

}  // namespace

engine::ResourceType hostname_type() {
  return {"hostname", "the machine's name: /etc/hostname, the 127.0.1.1 line of /etc/hosts, and the live name",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (!is_valid_hostname(name))
              props.error("invalid hostname \"" + one_line(name) +
                          "\": dot-separated labels of letters, digits and - (not first or last), at most 64 bytes");
            return std::make_unique<HostnameResource>(name);
          }};
}

}  // namespace roux::resources
