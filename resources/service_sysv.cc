// SysV provider: running from the init script's own `status` (LSB exit code 0 = running), asked
// for every declared service in ONE shell invocation per run; enabled from the S links in
// /etc/rc[2-5].d (a directory read, no process); actions through `service` and `update-rc.d`.
#include <map>
#include <set>

#include "base/strings.h"
#include "resources/package_provider.h"
#include "resources/service_provider.h"

namespace roux::resources {
namespace {

class SysvProvider : public ServiceProvider {
 public:
  std::string_view name() const override { return "sysv"; }
  void declare(const std::string& service) override { declared_.insert(service); }

  Result<ServiceState> state(const host::Host& host, const std::string& service) override {
    ServiceState s;
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat("/etc/init.d/" + service));
    s.known = fi.exists();
    if (!s.known) return s;
    ROUX_ASSIGN_OR_RETURN(s.enabled, enabled(host, service));
    if (generation_ != host_generation() || !running_.count(service)) {
      ROUX_TRY(query(host, service));
    }
    auto it = running_.find(service);
    s.running = it != running_.end() && it->second;
    return s;
  }

  Status act(host::Host& host, const std::string& service, std::string_view action, std::string* output) override {
    SubprocessOptions o;
    if (action == "enable" || action == "disable") {
      ROUX_ASSIGN_OR_RETURN(bool linked, has_links(host, service));
      if (!linked) {
        // No rc links at all: create the defaults from the LSB header first.
        ROUX_TRY(run(host, {"update-rc.d", service, "defaults"}, output));
      }
      o.argv = {"update-rc.d", service, std::string(action)};
    } else {
      o.argv = {"service", service, std::string(action)};
    }
    Status st = run(host, o.argv, output);
    bump_host_generation();
    return st;
  }

 private:
  static Status run(host::Host& host, std::vector<std::string> argv, std::string* output) {
    SubprocessOptions o;
    o.argv = std::move(argv);
    o.env = {{"LC_ALL", "C"}};
    return run_service_tool(host, std::move(o), output);
  }

  /// One `sh` runs `/etc/init.d/X status` for every declared service that has a script.
  Status query(const host::Host& host, const std::string& also) {
    std::vector<std::string> names;
    std::set<std::string> all = declared_;
    all.insert(also);
    for (const auto& n : all) {
      auto fi = host.lstat("/etc/init.d/" + n);
      if (fi.is_ok() && fi->exists()) names.push_back(n);
    }
    SubprocessOptions o;
    o.argv = {"/bin/sh", "-c", "for s in \"$@\"; do /etc/init.d/\"$s\" status >/dev/null 2>&1; echo \"$s $?\"; done", "sh"};
    o.argv.insert(o.argv.end(), names.begin(), names.end());
    o.timeout = std::chrono::minutes(2);
    o.env = {{"LC_ALL", "C"}};
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, host.run_check(o));
    if (r.exit_code != 0 || r.timed_out)
      return Status::command_failed("init script status queries failed: " + one_line(std::string(trim(r.output)), 300));
    running_.clear();
    for (const auto& line : split_lines(r.output)) {
      auto parts = split(line, ' ');
      if (parts.size() == 2) running_[parts[0]] = parts[1] == "0";
    }
    generation_ = host_generation();
    return Status::ok();
  }

  static Result<bool> enabled(const host::Host& host, const std::string& service) {
    for (char level : std::string("2345")) {
      std::string dir = std::string("/etc/rc") + level + ".d";
      auto names = host.list_dir(dir);
      if (!names.is_ok()) continue;
      for (const auto& n : *names)
        if (n.size() == service.size() + 3 && n[0] == 'S' && n.compare(3, std::string::npos, service) == 0) return true;
    }
    return false;
  }

  static Result<bool> has_links(const host::Host& host, const std::string& service) {
    for (char level : std::string("0123456S")) {
      auto names = host.list_dir(std::string("/etc/rc") + level + ".d");
      if (!names.is_ok()) continue;
      for (const auto& n : *names)
        if (n.size() == service.size() + 3 && (n[0] == 'S' || n[0] == 'K') && n.compare(3, std::string::npos, service) == 0)
          return true;
    }
    return false;
  }

  std::set<std::string> declared_;
  std::map<std::string, bool> running_;
  uint64_t generation_ = ~uint64_t{0};
};

}  // namespace

ServiceProvider* sysv_service_provider() {
  static SysvProvider p;
  return &p;
}

}  // namespace roux::resources
