#pragma once
// The seam between the `service` resource and an init system. State always comes from the init
// system itself (init script `status`, systemctl), never from the process list.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/resource.h"
#include "host/host.h"

namespace roux::resources {

struct ServiceState {
  bool known = false;                  // the init system has this service (script or unit)
  std::optional<bool> running;         // unset when the provider cannot know (offline root)
  bool enabled = false;
};

/// One init system. One instance per process; caches are per run; not thread-safe.
class ServiceProvider {
 public:
  virtual ~ServiceProvider() = default;
  virtual std::string_view name() const = 0;
  /// Remembers `service` so the first state() query covers every declared service at once.
  virtual void declare(const std::string& service) = 0;
  virtual Result<ServiceState> state(const host::Host& host, const std::string& service) = 0;
  /// action: start, stop, restart, reload, enable, disable. Output of the tool into `*output`.
  virtual Status act(host::Host& host, const std::string& service, std::string_view action, std::string* output) = 0;
  /// Whether `action` can work on `service` as last observed by state(): asked before the change
  /// is recorded, so plan fails a resource exactly where converge would.
  virtual Status check(const std::string& /*service*/, std::string_view /*action*/) { return Status::ok(); }
};

/// "sysv", "systemd", "systemd-root" (offline: systemctl --root, enable/disable only).
ServiceProvider* sysv_service_provider();
ServiceProvider* systemd_service_provider();
ServiceProvider* systemd_root_service_provider();
/// Chooses from the host: --root not "/" -> systemd-root; /run/systemd/system present -> systemd;
/// else sysv. `forced` (the `provider:` property) wins.
Result<ServiceProvider*> service_provider_for(const host::Host& host, const std::string& forced);

/// Runs an init-system tool (systemctl, service, update-rc.d) through the host, bounded to 5 min;
/// its output is appended to `*output`; a failure quotes the command and the tool's own text.
Status run_service_tool(host::Host& host, SubprocessOptions o, std::string* output);

/// A service's run state driven through a provider: what service[NAME] does, shared with
/// systemd_unit (one code path). `id` names the resource in errors ("service[nginx]").
class ServiceControl {
 public:
  std::string id, service_name;
  std::optional<bool> running, enabled;
  /// Brings the service to `enabled` and `running` (unset: left alone), one change each.
  Status converge(engine::ConvergeContext& ctx, ServiceProvider* prov);
  /// A notification: "restart" (also "") or "reload"; a service that must stay stopped is left.
  Status refresh(engine::ConvergeContext& ctx, ServiceProvider* prov, std::string_view action);
  /// The state as the init system and, where it records them, the host (this run's actions) say.
  Result<ServiceState> observe(engine::ConvergeContext& ctx, ServiceProvider* prov);

 private:
  Status not_found(ServiceProvider* prov) const;
  bool has_service_files(const host::Host& h) const;
  Status act_and_record(host::Host& h, ServiceProvider* prov, std::string_view action, std::string* out);
  Status act(engine::ConvergeContext& ctx, ServiceProvider* prov, const std::string& property, const std::string& before,
             const std::string& after, const std::string& action);
};

/// systemd's unit for a service name: "nginx" -> "nginx.service"; a name with a suffix is kept.
std::string systemd_unit_of(const std::string& service);

// Parsers, exposed for unit tests.
/// `systemctl show -p Id,LoadState,ActiveState,UnitFileState u1 u2...` -> states by unit in order.
std::vector<ServiceState> parse_systemctl_show(std::string_view text, size_t count);

}  // namespace roux::resources
