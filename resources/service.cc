// service: a daemon running or stopped, enabled at boot or not, restarted or reloaded when
// notified. State comes from the init system (provider: sysv, systemd, systemd-root; chosen from
// the host, overridable with `provider:`). A notification restarts once, after the notifying
// changes, and is reported as a change naming who notified. Follows package[<same name>].
#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/service_provider.h"

namespace roux::resources {
namespace {

class ServiceResource : public engine::Resource {
 public:
  explicit ServiceResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "service"; }

  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out{"package[" + name() + "]"};
    if (control.service_name != name()) out.push_back("package[" + control.service_name + "]");
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_ASSIGN_OR_RETURN(ServiceProvider* prov, service_provider_for(ctx.host(), provider));
    return control.converge(ctx, prov);
  }

  bool subsumes(std::string_view action, std::string_view other) const override {
    return (action.empty() || action == "restart") && other == "reload";
  }

  Status refresh(engine::ConvergeContext& ctx, std::string_view action) override {
    ROUX_ASSIGN_OR_RETURN(ServiceProvider* prov, service_provider_for(ctx.host(), provider));
    return control.refresh(ctx, prov, action);
  }

  ServiceControl control;
  std::string provider;
};

}  // namespace

Status ServiceControl::converge(engine::ConvergeContext& ctx, ServiceProvider* prov) {
  ROUX_ASSIGN_OR_RETURN(ServiceState s, observe(ctx, prov));
  if (enabled && s.enabled != *enabled) {
    ROUX_TRY(act(ctx, prov, "enabled", s.enabled ? "true" : "false", *enabled ? "true" : "false",
                 *enabled ? "enable" : "disable"));
  }
  if (running) {
    if (!s.running)
      return Status::unsupported(id + ": running cannot be managed with the " + std::string(prov->name()) +
                                 " provider (no live init system); set only enabled");
    if (*s.running != *running)
      ROUX_TRY(act(ctx, prov, "running", *s.running ? "true" : "false", *running ? "true" : "false",
                   *running ? "start" : "stop"));
  }
  return Status::ok();
}

Status ServiceControl::refresh(engine::ConvergeContext& ctx, ServiceProvider* prov, std::string_view action) {
  std::string a = action.empty() ? "restart" : std::string(action);
  if (a != "restart" && a != "reload")
    return Status::invalid_input(id + ": unknown notification action \"" + a + "\" (restart, reload)");
  if (running && !*running) return Status::ok();  // never start a service that must stay stopped
  if (a == "reload") {
    // A stopped daemon has nothing to reload (its init script would fail on the missing
    // process): its next start reads the new configuration.
    ROUX_ASSIGN_OR_RETURN(ServiceState s, observe(ctx, prov));
    if (s.running && !*s.running) {
      ctx.add_output("not running: nothing to reload");
      return Status::ok();
    }
  }
  std::string why = "notified by " + join(ctx.notified_by(), ", ");
  std::string out;
  Status st = ctx.change({a, "", why, "", true}, [&](host::Host& h) { return act_and_record(h, prov, a, &out); });
  ctx.add_output(out);
  return st;
}

Result<ServiceState> ServiceControl::observe(engine::ConvergeContext& ctx, ServiceProvider* prov) {
  ROUX_ASSIGN_OR_RETURN(ServiceState s, prov->state(ctx.host(), service_name));
  // What this run already did to the service (a start, a stop, a package's postinst), where the
  // host records it rather than the init system (the planned host does; the real one never).
  const host::Host& h = ctx.host();
  // A recorded state speaks only for a service whose init script or unit is still on the host
  // (a package this run removes takes them away, and the init system forgets the service).
  bool recorded = h.service_running(service_name) || h.service_enabled(service_name);
  if (recorded && !has_service_files(h)) return not_found(prov);
  if (auto r = h.service_running(service_name)) {
    s.known = true;
    if (prov->name() != "systemd-root") s.running = *r;
  }
  if (auto e = h.service_enabled(service_name)) {
    s.known = true;
    s.enabled = *e;
  }
  if (s.known) return s;
  return not_found(prov);
}

Status ServiceControl::not_found(ServiceProvider* prov) const {
  return Status::not_found(id + ": the " + std::string(prov->name()) + " init system has no service \"" + service_name +
                           "\"" + (prov->name() == "sysv" ? " (no /etc/init.d/" + service_name + ")" : std::string()));
}

bool ServiceControl::has_service_files(const host::Host& h) const {
  // An instance (name@x) runs from its template unit (name@.service).
  std::string unit = systemd_unit_of(service_name);
  if (auto at = unit.find('@'); at != std::string::npos) unit.erase(at + 1, unit.rfind('.') - at - 1);
  for (const char* dir : {"/etc/init.d/", "/etc/systemd/system/", "/run/systemd/system/", "/lib/systemd/system/",
                          "/usr/lib/systemd/system/", "/usr/local/lib/systemd/system/"}) {
    std::string path = std::string_view(dir) == "/etc/init.d/" ? dir + service_name : dir + unit;
    auto fi = h.lstat(path);
    if (fi.is_ok() && fi->exists()) return true;
  }
  return false;
}

/// Runs `action` and tells the host the state it leaves the service in (the planned host
/// shows it to later reads; the real host leaves that to the init system).
Status ServiceControl::act_and_record(host::Host& h, ServiceProvider* prov, std::string_view action, std::string* out) {
  ROUX_TRY(prov->act(h, service_name, action, out));
  if (action == "start" || action == "restart") h.set_service_running(service_name, true);
  else if (action == "stop") h.set_service_running(service_name, false);
  else if (action == "enable") h.set_service_enabled(service_name, true);
  else if (action == "disable") h.set_service_enabled(service_name, false);
  return Status::ok();
}

Status ServiceControl::act(engine::ConvergeContext& ctx, ServiceProvider* prov, const std::string& property,
                           const std::string& before, const std::string& after, const std::string& action) {
  ROUX_TRY(prov->check(service_name, action));  // plan fails where converge would
  std::string out;
  Status st = ctx.change({property, before, after, "", true},
                         [&](host::Host& h) { return act_and_record(h, prov, action, &out); });
  ctx.add_output(out);
  return st;
}

engine::ResourceType service_type() {
  return {"service", "a daemon: running, enabled; restart/reload on notification (sysv, systemd, systemd-root)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<ServiceResource>(name);
            ServiceControl& c = r->control;
            c.id = r->id();
            c.service_name = props.string("service_name").value_or(name);
            if (c.service_name.empty() || c.service_name.find_first_of("/ ") != std::string::npos ||
                has_control_char(c.service_name) || c.service_name[0] == '-' || c.service_name[0] == '.')
              props.error("service_name", "\"" + one_line(c.service_name) + "\" is not a service name");
            c.running = props.boolean("running");
            c.enabled = props.boolean("enabled");
            r->provider = props.one_of("provider", {"sysv", "systemd", "systemd-root"}).value_or("");
            // Every service is known before the walk, so the first state query covers them all.
            sysv_service_provider()->declare(c.service_name);
            systemd_service_provider()->declare(c.service_name);
            return r;
          }};
}

}  // namespace roux::resources
