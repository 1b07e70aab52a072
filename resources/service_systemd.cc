// systemd providers. Live ("systemd", PID 1 is systemd): the state of every declared unit from ONE
// `systemctl show` per run (plus `systemctl is-enabled` for SysV scripts seen as "generated" units;
// one show per unit when a name makes the whole show fail); actions through systemctl. Offline
// ("systemd-root", --root is not "/"): `systemctl --root=R` enables/disables unit symlinks
// (SYSTEMCTL_SKIP_SYSV=1 so a unit shipped with an init script does not chroot into update-rc.d);
// running cannot be known there. Also the provider choice for the service resource.
#include <map>
#include <set>

#include "base/strings.h"
#include "resources/package_provider.h"
#include "resources/service_provider.h"

namespace roux::resources {
namespace {

std::string unit_of(const std::string& service) { return systemd_unit_of(service); }


// As `systemctl is-enabled` answers (exit 0): "static" units have no [Install] section, they are
// started by whatever pulls them in and systemctl can neither enable nor disable them.
bool enabled_state(std::string_view s) {
  return s == "enabled" || s == "enabled-runtime" || s == "alias" || s == "static";
}

// The raw UnitFileState of each block of `systemctl show` output, in order.
std::vector<std::string> unit_file_states(std::string_view text, size_t count) {
  std::vector<std::string> out;
  std::string cur;
  bool any = false;
  for (const auto& line : split_lines(text)) {
    if (line.empty()) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    any = true;
    if (line.compare(0, eq, "UnitFileState") == 0) cur = line.substr(eq + 1);
  }
  if (any) out.push_back(cur);
  out.resize(count);
  return out;
}

class SystemdProvider : public ServiceProvider {
 public:
  std::string_view name() const override { return "systemd"; }
  void declare(const std::string& service) override { declared_.insert(service); }

  Result<ServiceState> state(const host::Host& host, const std::string& service) override {
    if (generation_ != host_generation() || (!states_.count(service) && !errors_.count(service))) {
      std::vector<std::string> names(declared_.begin(), declared_.end());
      if (!declared_.count(service)) names.push_back(service);
      states_.clear();
      errors_.clear();
      file_states_.clear();
      Status st = query(host, names);
      if (!st.is_ok()) {
        // systemctl show fails as a whole for one bad name (e.g. "getty@", a template without an
        // instance): ask each unit alone, so only that service fails.
        if (names.size() == 1) errors_[names[0]] = st;
        else
          for (const auto& n : names) {
            Status one = query(host, {n});
            if (!one.is_ok()) errors_[n] = one;
          }
      }
      generation_ = host_generation();
    }
    if (auto e = errors_.find(service); e != errors_.end()) return e->second;
    return states_[service];
  }

  Status check(const std::string& service, std::string_view action) override {
    if ((action == "enable" || action == "disable") && file_states_.count(service) && file_states_[service] == "static")
      return Status::unsupported(unit_of(service) + " is static (no [Install] section): systemctl cannot " +
                                 std::string(action) + " it");
    return Status::ok();
  }

  Status act(host::Host& host, const std::string& service, std::string_view action, std::string* output) override {
    ROUX_TRY(check(service, action));
    SubprocessOptions o;
    o.argv = {"systemctl", std::string(action), "--", unit_of(service)};
    o.env = {{"LC_ALL", "C"}};
    Status st = run_service_tool(host, o, output);
    bump_host_generation();
    return st;
  }

 private:
  // One `systemctl show` for `names`, into states_/file_states_.
  Status query(const host::Host& host, const std::vector<std::string>& names) {
    SubprocessOptions o;
    o.argv = {"systemctl", "show", "--property=Id,LoadState,ActiveState,UnitFileState", "--"};
    for (const auto& n : names) o.argv.push_back(unit_of(n));
    o.timeout = std::chrono::minutes(1);
    o.env = {{"LC_ALL", "C"}};
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, host.run_check(o));
    if (r.exit_code != 0)
      return Status::command_failed("systemctl show exited " + std::to_string(r.exit_code) + ": " +
                                    one_line(std::string(trim(r.output)), 300));
    auto states = parse_systemctl_show(r.output, names.size());
    auto files = unit_file_states(r.output, names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      if (files[i] == "generated") {
        // An init script seen through systemd-sysv-generator: UnitFileState says nothing about its
        // rc links; `systemctl is-enabled` asks systemd-sysv-install (exit 0 = enabled).
        SubprocessOptions e;
        e.argv = {"systemctl", "is-enabled", "--", unit_of(names[i])};
        e.timeout = std::chrono::minutes(1);
        e.env = {{"LC_ALL", "C"}};
        ROUX_ASSIGN_OR_RETURN(SubprocessResult er, host.run_check(e));
        states[i].enabled = er.exit_code == 0;
      }
      states_[names[i]] = states[i];
      file_states_[names[i]] = files[i];
    }
    return Status::ok();
  }

  std::set<std::string> declared_;
  std::map<std::string, ServiceState> states_;
  std::map<std::string, Status> errors_;
  std::map<std::string, std::string> file_states_;  // raw UnitFileState
  uint64_t generation_ = ~uint64_t{0};
};

class SystemdRootProvider : public ServiceProvider {
 public:
  std::string_view name() const override { return "systemd-root"; }
  void declare(const std::string&) override {}

  Result<ServiceState> state(const host::Host& host, const std::string& service) override {
    ServiceState s;
    SubprocessOptions o;
    o.argv = {"systemctl", "--root=" + host.root(), "is-enabled", "--", unit_of(service)};
    o.env = {{"LC_ALL", "C"}, {"SYSTEMCTL_SKIP_SYSV", "1"}};
    o.timeout = std::chrono::minutes(1);
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, host.run_check(o));
    std::string out(trim(r.output));
    s.known = out.find("No such file") == std::string::npos && out.find("not-found") == std::string::npos &&
              !out.empty();
    s.enabled = r.exit_code == 0 && enabled_state(split_lines(out).empty() ? "" : split_lines(out).front());
    return s;  // running: unknown offline
  }

  Status act(host::Host& host, const std::string& service, std::string_view action, std::string* output) override {
    if (action != "enable" && action != "disable")
      return Status::unsupported("service: cannot " + std::string(action) + " under --root " + host.root() +
                                 " (no live init system; only enabled can be managed)");
    SubprocessOptions o;
    o.argv = {"systemctl", "--root=" + host.root(), std::string(action), "--", unit_of(service)};
    o.env = {{"LC_ALL", "C"}, {"SYSTEMCTL_SKIP_SYSV", "1"}};
    return run_service_tool(host, o, output);
  }
};

}  // namespace

std::string systemd_unit_of(const std::string& service) {
  return service.find('.') == std::string::npos ? service + ".service" : service;
}

ServiceProvider* systemd_service_provider() {
  static SystemdProvider p;
  return &p;
}

ServiceProvider* systemd_root_service_provider() {
  static SystemdRootProvider p;
  return &p;
}

Status run_service_tool(host::Host& host, SubprocessOptions o, std::string* output) {
  std::string shown = join(o.argv, " ");
  o.timeout = std::chrono::minutes(5);
  auto r = host.run(o);
  if (!r.is_ok()) return r.status();
  output->append(r->output);
  if (r->timed_out) return Status::timeout("`" + shown + "` timed out after 5 min");
  if (r->exit_code != 0)
    return Status::command_failed("`" + shown + "` exited " + std::to_string(r->exit_code) + ": " +
                                  one_line(std::string(trim(r->output)), 400));
  return Status::ok();
}

Result<ServiceProvider*> service_provider_for(const host::Host& host, const std::string& forced) {
  if (forced == "sysv") return sysv_service_provider();
  if (forced == "systemd") return systemd_service_provider();
  if (forced == "systemd-root") return systemd_root_service_provider();
  if (!forced.empty()) return Status::unsupported("service provider \"" + forced + "\" is unknown (sysv, systemd, systemd-root)");
  if (host.root() != "/") return systemd_root_service_provider();
  ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat("/run/systemd/system"));
  return fi.type == host::FileType::kDirectory ? systemd_service_provider() : sysv_service_provider();
}

std::vector<ServiceState> parse_systemctl_show(std::string_view text, size_t count) {
  std::vector<ServiceState> out;
  ServiceState cur;
  bool any = false;
  std::string active;
  auto flush = [&]() {
    if (!any) return;
    cur.running = active == "active" || active == "reloading" || active == "activating";
    out.push_back(cur);
    cur = {};
    active.clear();
    any = false;
  };
  for (const auto& line : split_lines(text)) {
    if (line.empty()) {
      flush();
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    any = true;
    if (key == "LoadState") cur.known = value == "loaded";
    else if (key == "ActiveState") active = value;
    else if (key == "UnitFileState") cur.enabled = enabled_state(value);
  }
  flush();
  out.resize(count);
  return out;
}

}  // namespace roux::resources
