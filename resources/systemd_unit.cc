// systemd_unit: a unit file /etc/systemd/system/NAME ("app.service") or a drop-in
// /etc/systemd/system/UNIT.d/FILE.conf ("nginx.service.d/10-limits.conf"), owned whole by roux
// (0644 root:root, written atomically through the host door), its content inline, from the
// cookbook's files/ or rendered from templates/. The syntax is checked at compile time; before a
// new unit file is installed, `systemd-analyze verify` (when the machine has it) checks a temp
// copy, and a refusal fails the resource with systemd's own message, the file untouched.
//
// Then systemd must re-read its units: units are converged as a batch (batch_key), every file
// first, then ONE `systemctl daemon-reload` when any unit changed in this run and systemd runs
// (recorded as the `daemon_reload` change on the first unit that changed; plan shows it), then
// each unit's `enabled`/`running` through the service provider (ServiceControl, the code of the
// service resource). ensure: absent stops and disables a unit before its file goes.
#include "resources/systemd_unit.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/sha256.h"
#include "base/strings.h"
#include "libs/diff.h"
#include "resources/builtin.h"
#include "resources/package_provider.h"
#include "resources/service_provider.h"
#include "resources/systemd_reload.h"

namespace roux::resources {
namespace {

constexpr const char* kUnitDir = "/etc/systemd/system";
constexpr size_t kMaxUnitBytes = 1 << 20;

const char* const kUnitSuffixes[] = {".service", ".socket", ".device", ".mount", ".automount", ".swap",
                                     ".target",  ".path",   ".timer",  ".slice", ".scope"};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string short_digest(std::string_view data) {
  return "sha256:" + sha256_hex(data).substr(0, 12) + " (" + std::to_string(data.size()) + " bytes)";
}

/// systemd-analyze on this machine, or "".
std::string systemd_analyze_path() {
  for (const char* p : {"/usr/bin/systemd-analyze", "/bin/systemd-analyze"})
    if (access(p, X_OK) == 0) return p;
  return "";
}

/// `systemd-analyze verify` of `content` installed as a temp copy named `unit` (the name tells
/// systemd the unit's type). The copy is roux's own, outside the managed host: nothing of the
/// host is written. OK when systemd accepts it or the machine has no systemd-analyze.
Status verify_unit(const std::string& unit, const std::string& content, std::string* warnings) {
  std::string tool = systemd_analyze_path();
  if (tool.empty()) return Status::ok();
  std::string dir = (std::filesystem::temp_directory_path() / "roux-unit-XXXXXX").string();
  if (!mkdtemp(dir.data())) return Status::io("mkdtemp " + dir, errno);
  std::string path = dir + "/" + unit;
  {
    std::ofstream out(path, std::ios::binary);
    out << content;
    if (!out.flush()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      return Status::io("write " + path, EIO);
    }
  }
  SubprocessOptions o;
  o.argv = {tool, "verify", "--man=no", "--", path};
  o.env = {{"LC_ALL", "C"}, {"SYSTEMD_LOG_COLOR", "0"}, {"SYSTEMD_PAGER", ""}};
  o.timeout = std::chrono::minutes(1);
  auto r = run_subprocess(o);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!r.is_ok()) return r.status();
  // systemd names the copy by its temp path; the operator knows it by the unit's.
  std::string text(trim(r->output));
  for (size_t at; (at = text.find(dir + "/")) != std::string::npos;) text.replace(at, dir.size() + 1, std::string(kUnitDir) + "/");
  if (r->exit_code != 0 || r->timed_out)
    return Status::invalid_input("systemd-analyze verify refused " + unit + " (the unit was not installed): " +
                                 (r->timed_out ? std::string("timed out after 1 min") : one_line(text, 2000)));
  *warnings = text;
  return Status::ok();
}

class SystemdUnitResource : public ReloadBatchMember {
 public:
  explicit SystemdUnitResource(std::string name) : ReloadBatchMember(std::move(name)) {}
  std::string_view type() const override { return "systemd_unit"; }

  bool absent = false;
  bool verify = true;
  SystemdUnitName parsed;
  std::string content;
  ServiceControl control;

  std::string path() const { return std::string(kUnitDir) + "/" + name(); }

  Status converge_before_reload(engine::ConvergeContext& ctx, bool live) override {
    ServiceProvider* prov = live ? systemd_service_provider() : systemd_root_service_provider();
    // A unit that goes is stopped and disabled before its file.
    if (absent) ROUX_TRY(stop_before_removal(ctx, prov));
    return converge_file(ctx, prov);
  }

  Status converge_after_reload(engine::ConvergeContext& ctx, bool live) override {
    ServiceProvider* prov = live ? systemd_service_provider() : systemd_root_service_provider();
    if (absent || !(control.enabled || control.running)) return Status::ok();
    return control.converge(ctx, prov);
  }

  bool subsumes(std::string_view action, std::string_view other) const override {
    return (action.empty() || action == "restart") && other == "reload";
  }

  /// A notification restarts (or reloads) the unit, for a drop-in the unit it changes.
  Status refresh(engine::ConvergeContext& ctx, std::string_view action) override {
    if (absent || parsed.is_template) return Status::ok();
    ROUX_ASSIGN_OR_RETURN(bool live, live_systemd(ctx.host()));
    if (!live) {
      ctx.add_output("no running systemd: " + parsed.unit + " is not restarted\n");
      return Status::ok();
    }
    return control.refresh(ctx, systemd_service_provider(), action);
  }

 private:
  Status converge_file(engine::ConvergeContext& ctx, ServiceProvider* prov) {
    const std::string p = path();
    bool same = false;
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat_compare(p, absent ? nullptr : &content, &same));
    if (live.exists() && live.type != host::FileType::kFile)
      return Status::conflict(p + " is a " + host::file_type_name(live.type) + ", not a file; systemd_unit will not replace it");
    if (absent) {
      if (!live.exists()) return Status::ok();
      return ctx.change({"ensure", "present", "absent"}, [&](host::Host& h) {
        ROUX_TRY(h.remove(p));
        systemd_reload_pending(parsed.unit);
        return Status::ok();
      });
    }
    // A unit the init system does not know yet is, once its file is read, known, stopped and
    // disabled: told to the host (the planned host shows it to later state queries; the real
    // one asks systemd, after the daemon-reload).
    bool new_unit = false;
    if (!live.exists() && !parsed.dropin && !parsed.is_template) {
      ROUX_ASSIGN_OR_RETURN(ServiceState s, prov->state(ctx.host(), control.service_name));
      new_unit = !s.known && !ctx.host().service_running(control.service_name) &&
                 !ctx.host().service_enabled(control.service_name);
    }
    auto write = [&](host::Host& h) -> Status {
      ROUX_TRY(host::make_dirs(h, host::parent_path(p), 0755));
      ROUX_TRY(h.write_file(p, content, 0644, 0, 0));
      systemd_reload_pending(parsed.unit);
      const std::string& u = control.service_name;
      for (const std::string& n : {u, ends_with(u, ".service") ? u.substr(0, u.size() - 8) : std::string()}) {
        if (!new_unit || n.empty()) continue;
        h.set_service_running(n, false);
        h.set_service_enabled(n, false);
      }
      return Status::ok();
    };
    if (!live.exists() || !same) {
      std::string have;
      if (live.exists()) {
        ROUX_ASSIGN_OR_RETURN(have, ctx.host().read_file(p, kMaxUnitBytes));
      }
      if (verify && !parsed.dropin && !parsed.is_template) {
        std::string warnings;
        ROUX_TRY(verify_unit(name(), content, &warnings));
        if (!warnings.empty()) ctx.add_output("systemd-analyze verify " + name() + ":\n" + warnings + "\n");
      }
      return ctx.change({"content", live.exists() ? short_digest(have) : "absent", short_digest(content),
                         unified_diff(have, content, p)},
                        write);
    }
    if ((live.mode & 07777) != 0644)
      ROUX_TRY(ctx.change({"mode", format_mode(live.mode), "0644", "", true}, [&](host::Host& h) { return h.chmod(p, 0644); }));
    if (live.uid != 0 || live.gid != 0)
      ROUX_TRY(ctx.change({"owner", std::to_string(live.uid) + ":" + std::to_string(live.gid), "0:0", "", true},
                          [&](host::Host& h) { return h.chown(p, 0, 0); }));
    return Status::ok();
  }

  /// A unit file that goes: stopped (live systemd) and disabled (when it has an [Install]
  /// section) first, while systemd still knows it.
  Status stop_before_removal(engine::ConvergeContext& ctx, ServiceProvider* prov) {
    if (parsed.dropin || parsed.is_template) return Status::ok();
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(path()));
    if (fi.type != host::FileType::kFile) return Status::ok();
    ROUX_ASSIGN_OR_RETURN(ServiceState s, prov->state(ctx.host(), control.service_name));
    if (!s.known) return Status::ok();
    ROUX_ASSIGN_OR_RETURN(std::string have, ctx.host().read_file(path(), kMaxUnitBytes));
    ServiceControl stop = control;
    stop.running.reset();
    stop.enabled.reset();
    if (s.running) stop.running = false;
    if (systemd_unit_has_install(have)) stop.enabled = false;
    if (!stop.running && !stop.enabled) return Status::ok();
    return stop.converge(ctx, prov);
  }
};

bool is_unit_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
         c == '.' || c == '-' || c == '\\' || c == '@';
}

}  // namespace

SystemdUnitName parse_systemd_unit_name(std::string_view name) {
  SystemdUnitName out;
  std::string_view unit = name;
  if (auto slash = name.find('/'); slash != std::string_view::npos) {
    std::string_view dir = name.substr(0, slash), file = name.substr(slash + 1);
    if (!ends_with(dir, ".d") || file.empty() || file.find('/') != std::string_view::npos || !ends_with(file, ".conf") ||
        file.size() == 5 || file[0] == '.' || file.size() > 200 ||
        !std::all_of(file.begin(), file.end(), is_unit_char)) {
      out.error = "a drop-in is UNIT.d/NAME.conf (nginx.service.d/10-limits.conf)";
      return out;
    }
    unit = dir.substr(0, dir.size() - 2);
    out.dropin = true;
  }
  out.unit = std::string(unit);
  bool suffix = std::any_of(std::begin(kUnitSuffixes), std::end(kUnitSuffixes),
                            [&](const char* s) { return ends_with(unit, s) && unit.size() > std::string_view(s).size(); });
  if (!suffix || unit.size() > 255 || unit[0] == '.' || unit[0] == '-' || unit[0] == '@' ||
      !std::all_of(unit.begin(), unit.end(), is_unit_char) || std::count(unit.begin(), unit.end(), '@') > 1) {
    out.error = "\"" + std::string(unit) +
                "\" is not a unit name: letters, digits, :_.-@ and a type suffix (.service, .socket, .timer, .mount, "
                ".path, .target, ...)";
    return out;
  }
  auto at = unit.find('@');
  out.is_template = at != std::string_view::npos && unit[at + 1] == '.';
  return out;
}

std::string systemd_unit_syntax_error(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return "line 1: contains a NUL byte";
  bool in_section = false, continued = false, any_section = false;
  size_t n = 0;
  for (const auto& raw : split_lines(text)) {
    ++n;
    std::string_view line = trim(raw);
    bool cont = continued;
    continued = !line.empty() && line.back() == '\\' && line[0] != '#' && line[0] != ';';
    if (cont || line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']' || line.size() < 3 || line.find_first_of("[]", 1) != line.size() - 1)
        return "line " + std::to_string(n) + ": a section header is [Name], not \"" + one_line(line) + "\"";
      in_section = any_section = true;
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos || trim(line.substr(0, eq)).empty())
      return "line " + std::to_string(n) + ": expected Key=value, got \"" + one_line(line) + "\"";
    if (!in_section)
      return "line " + std::to_string(n) + ": \"" + one_line(line) + "\" comes before any [Section] header";
  }
  if (!any_section) return "line 1: no [Section] header ([Unit], [Service], ...)";
  return "";
}

bool systemd_unit_has_install(std::string_view text) {
  for (const auto& l : split_lines(text))
    if (trim(l) == "[Install]") return true;
  return false;
}

engine::ResourceType systemd_unit_type() {
  return {"systemd_unit",
          "a systemd unit file or drop-in in /etc/systemd/system, verified, one daemon-reload per run, then "
          "enabled/running",
          [](const std::string& name, engine::Props& props, const engine::BuildContext& build)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<SystemdUnitResource>(name);
            r->parsed = parse_systemd_unit_name(name);
            if (!r->parsed.error.empty()) props.error("invalid systemd_unit name \"" + one_line(name) + "\": " + r->parsed.error);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->verify = props.boolean("verify").value_or(true);
            r->control.id = r->id();
            r->control.service_name = r->parsed.unit;
            r->control.enabled = props.boolean("enabled");
            r->control.running = props.boolean("running");
            auto content = props.text("content");
            auto source = props.string("source");
            auto tmpl = props.string("template");
            const engine::Value* vars = props.data("variables");
            if (vars && vars->kind != engine::Value::Kind::kMap && vars->kind != engine::Value::Kind::kNull)
              props.error("variables", "expected a map");
            if (vars && !tmpl) props.error("variables", "goes with template");
            int given = !!content + !!source + !!tmpl;
            const char* key = content ? "content" : source ? "source" : "template";
            if (given > 1) props.error(key, "give one of content, source or template");
            bool state = r->control.enabled || r->control.running;
            if (r->absent) {
              if (given) props.error(key, "has no meaning with ensure: absent");
              if (state) props.error(r->control.enabled ? "enabled" : "running",
                                     "has no meaning with ensure: absent (the unit is stopped and disabled before its file goes)");
              return r;
            }
            if (given == 0) props.error("content", "is required (or source: a file under files/, or template:)");
            if (state && r->parsed.dropin)
              props.error(r->control.enabled ? "enabled" : "running",
                          "a drop-in changes " + r->parsed.unit + ": manage its state with service or systemd_unit[" +
                              r->parsed.unit + "]");
            else if (state && r->parsed.is_template)
              props.error(r->control.enabled ? "enabled" : "running",
                          "a template unit has no state of its own; manage an instance (name@x) with service");
            bool have = given == 1;
            if (content) r->content = *content;
            if (source) {
              auto data = build.cookbook_file(*source);
              if (!data.is_ok()) props.error("source", data.status().message()), have = false;
              else r->content = std::move(*data);
            }
            if (tmpl) {
              auto rendered = build.render_template(*tmpl, vars);
              if (!rendered.is_ok()) props.error("template", rendered.status().message()), have = false;
              else {
                r->content = std::move(rendered->text);
                if (rendered->sensitive) r->meta().sensitive = true;
              }
            }
            if (props.saw_sensitive()) r->meta().sensitive = true;
            if (have) {
              std::string err = r->content.size() > kMaxUnitBytes ? "is larger than 1 MiB" : systemd_unit_syntax_error(r->content);
              if (!err.empty()) props.error(key, err);
              else if (r->control.enabled && !r->parsed.dropin && !systemd_unit_has_install(r->content))
                props.error("enabled", "the unit has no [Install] section (it is static): systemctl can neither enable "
                                       "nor disable it");
            }
            // Known before the walk, so the first state query covers every unit at once.
            if (state) systemd_service_provider()->declare(r->parsed.unit);
            return r;
          }};
}

}  // namespace roux::resources
