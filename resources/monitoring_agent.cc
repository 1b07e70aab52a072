// monitoring_agent: a composite. `- monitoring_agent: monit` with `checks:` (http, tcp, process,
// disk, command) expands, at compile time, into ordinary resources: package[<agent package>],
// the agent's own configuration files (each notifying a restart), and service[<agent>] running
// and enabled. Nothing here touches the host: the generated resources do, with their own
// plan/apply/idempotence guarantees. A check an agent cannot express is a compile error naming
// the agent and the check. Agents: monit, collectd, node_exporter, datadog.

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/json.h"
#include "base/strings.h"
#include "libs/curl_api.h"
#include "resources/builtin.h"

namespace roux::resources {
namespace {

using engine::Value;

/// One check as the recipe wrote it, validated.
struct Check {
  std::string name, type;
  SourceLocation where;
  // http
  std::string url, scheme, host, path, content;
  int port = 0, status = 200, timeout = 5;
  // process
  std::string process_name, pidfile;
  // disk
  std::string disk_path;
  int warning = 80, critical = 90;
  bool thresholds_given = false;
  // command
  std::string command;
  bool sensitive = false;  // a value came from a secret: the generated config is sensitive
};

/// The parts of an http(s) URL, parsed by libcurl. Error text when it is not one.
std::string split_url(const std::string& url, Check* c) {
  auto loaded = libs::curl();
  if (!loaded.is_ok()) return loaded.status().to_string();
  const libs::Curl& lib = **loaded;
  std::unique_ptr<CURLU, decltype(lib.curl_url_cleanup)> u(lib.curl_url(), lib.curl_url_cleanup);
  if (!u || lib.curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "\"" + url + "\" is not a URL";
  auto part = [&](CURLUPart p, unsigned flags = 0) {
    char* out = nullptr;
    std::string s;
    if (lib.curl_url_get(u.get(), p, &out, flags) == CURLUE_OK && out) s = out;
    lib.curl_free(out);
    return s;
  };
  c->scheme = part(CURLUPART_SCHEME);
  if (c->scheme != "http" && c->scheme != "https") return "\"" + url + "\" is not an http:// or https:// URL";
  c->host = part(CURLUPART_HOST);
  c->port = std::atoi(part(CURLUPART_PORT, CURLU_DEFAULT_PORT).c_str());
  c->path = part(CURLUPART_PATH);
  std::string query = part(CURLUPART_QUERY);
  if (!query.empty()) c->path += "?" + query;
  if (c->path.empty()) c->path = "/";
  return "";
}

/// Reads and validates `checks:`; errors go to props at file:line:col.
std::vector<Check> read_checks(engine::Props& props, const std::string& id, std::vector<Status>* errors) {
  std::vector<Check> out;
  const Value* list = props.raw("checks");
  if (!list) return out;
  if (list->kind != Value::Kind::kList) {
    props.error("checks", "expected a list of {name, type, ...}");
    return out;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list->list.size(); ++i) {
    const Value& v = list->list[i];
    std::string owner = id + ": checks[" + std::to_string(i) + "]";
    if (v.kind != Value::Kind::kMap) {
      errors->push_back(Status::invalid_input(owner + ": expected a map {name, type, ...}", v.where));
      continue;
    }
    engine::Props p(v, owner, errors);
    Check c;
    c.where = v.where;
    c.name = p.required_string("name");
    if (!c.name.empty() && c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                               std::string::npos)
      p.error("name", "\"" + one_line(c.name) + "\" may hold only letters, digits, '_', '.' and '-'");
    else if (!c.name.empty() && !names.insert(c.name).second)
      p.error("name", "duplicate check name \"" + c.name + "\"");
    c.type = p.one_of("type", {"http", "tcp", "process", "disk", "command"}).value_or("");
    if (!p.has("type")) p.error("missing required property \"type\" (http, tcp, process, disk, command)");
    auto timeout = [&] { c.timeout = static_cast<int>(p.integer("timeout", 1, 3600).value_or(5)); };
    if (c.type == "http") {
      c.url = p.required_string("url");
      if (!c.url.empty())
        if (std::string why = split_url(c.url, &c); !why.empty()) p.error("url", why);
      c.status = static_cast<int>(p.integer("status", 100, 599).value_or(200));
      c.content = p.string("content").value_or("");
      timeout();
    } else if (c.type == "tcp") {
      c.host = p.string("host").value_or("127.0.0.1");
      c.port = static_cast<int>(p.integer("port", 1, 65535).value_or(0));
      if (!p.has("port")) p.error("missing required property \"port\"");
      timeout();
    } else if (c.type == "process") {
      c.process_name = p.string("process").value_or("");
      c.pidfile = p.string("pidfile").value_or("");
      if (c.process_name.empty() == c.pidfile.empty())
        p.error("give exactly one of \"process\" (a process name) or \"pidfile\" (an absolute path)");
      if (!c.pidfile.empty() && c.pidfile[0] != '/') p.error("pidfile", "must be an absolute path");
    } else if (c.type == "disk") {
      c.disk_path = p.required_string("path");
      if (!c.disk_path.empty() && c.disk_path[0] != '/') p.error("path", "must be an absolute path");
      c.thresholds_given = p.has("warning") || p.has("critical");
      c.warning = static_cast<int>(p.integer("warning", 1, 100).value_or(80));
      c.critical = static_cast<int>(p.integer("critical", 1, 100).value_or(90));
      if (c.warning >= c.critical) p.error("warning", "must be below critical (" + std::to_string(c.critical) + ")");
    } else if (c.type == "command") {
      c.command = p.required_string("command");
      c.status = static_cast<int>(p.integer("status", 0, 255).value_or(0));
      timeout();
    }
    // Every string an agent config quotes must not break out of its quotes.
    for (const std::string* s : {&c.url, &c.content, &c.process_name, &c.pidfile, &c.disk_path, &c.command, &c.host})
      if (s->find_first_of("\"\n\\") != std::string::npos)
        p.error("\"" + one_line(*s) + "\" must not contain double quotes, backslashes or newlines");
    c.sensitive = p.saw_sensitive();
    p.finish("check");
    out.push_back(std::move(c));
  }
  return out;
}

// ---- building generated resource declarations ----

Value scalar(std::string s, const SourceLocation& where) {
  Value v;
  v.kind = Value::Kind::kScalar;
  v.scalar = std::move(s);
  v.quoted = false;  // read like YAML plain text (booleans, modes)
  v.where = where;
  return v;
}

/// "- TYPE: NAME" then `props` in order, every location at `where`.
Value decl(const std::string& type, const std::string& name, const SourceLocation& where,
           std::vector<std::pair<std::string, std::string>> props) {
  Value item;
  item.kind = Value::Kind::kMap;
  item.where = where;
  item.map.push_back({type, where, scalar(name, where)});
  for (auto& [k, v] : props) item.map.push_back({k, where, scalar(std::move(v), where)});
  return item;
}

/// The common shape: package, config files (requiring the package, notifying a restart), service.
struct Expansion {
  std::string package, service;
  std::vector<std::pair<std::string, std::string>> files;  // path -> content
  std::string file_mode = "0644";
  std::vector<Value> extra;                                  // before the files (folders, sources)
  bool sensitive = false;                                    // a secret flowed into the files
};

/// True when a secret flowed into the agent's options or any check.
bool any_sensitive(const engine::Props& props, const std::vector<Check>& checks) {
  bool s = props.saw_sensitive();
  for (const auto& c : checks) s = s || c.sensitive;
  return s;
}

std::vector<Value> finish(const Expansion& e, const SourceLocation& where) {
  std::vector<Value> out;
  out.push_back(decl("package", e.package, where, {}));
  for (const auto& x : e.extra) out.push_back(x);
  for (const auto& [path, content] : e.files) {
    out.push_back(decl("file", path, where,
                       {{"content", content}, {"mode", e.file_mode}, {"requires", "package[" + e.package + "]"},
                        {"notify", "service[" + e.service + "]"}}));
    out.back().map[1].value.sensitive = e.sensitive;  // content: the file resource then redacts it
  }
  out.push_back(decl("service", e.service, where, {{"running", "true"}, {"enabled", "true"}}));
  return out;
}

void unsupported(std::vector<Status>* errors, const std::string& id, const std::string& agent, size_t i,
                 const Check& c, const std::string& why = "") {
  errors->push_back(Status::invalid_input(id + ": checks[" + std::to_string(i) + "] (" + c.type + "): " + agent +
                                              " has no " + c.type + " check" + (why.empty() ? "" : " (" + why + ")"),
                                          c.where));
}

constexpr const char* kHeader = "managed by roux (monitoring_agent); local edits are overwritten\n";

// ---- monit ----

std::vector<Value> expand_monit(const std::string& id, engine::Props& props, std::vector<Status>* errors) {
  int interval = static_cast<int>(props.integer("interval", 1, 86400).value_or(30));
  int port = static_cast<int>(props.integer("httpd_port", 1, 65535).value_or(2812));
  std::vector<Check> checks = read_checks(props, id, errors);
  std::ostringstream o;
  o << "# " << kHeader << "set daemon " << interval << "\n"
    << "set httpd port " << port << " and use address 127.0.0.1\n  allow 127.0.0.1\n";
  for (const Check& c : checks) {
    o << "\n";
    if (c.type == "http") {
      o << "check host " << c.name << " with address " << c.host << "\n  if failed port " << c.port
        << (c.scheme == "https" ? " protocol https" : " protocol http") << "\n    request \"" << c.path << "\"\n"
        << "    status = " << c.status << "\n";
      if (!c.content.empty()) o << "    content = \"" << c.content << "\"\n";
      o << "    with timeout " << c.timeout << " seconds\n  then alert\n";
    } else if (c.type == "tcp") {
      o << "check host " << c.name << " with address " << c.host << "\n  if failed port " << c.port
        << " type tcp with timeout " << c.timeout << " seconds then alert\n";
    } else if (c.type == "process") {
      if (!c.pidfile.empty()) o << "check process " << c.name << " with pidfile \"" << c.pidfile << "\"\n";
      else o << "check process " << c.name << " matching \"" << c.process_name << "\"\n";
    } else if (c.type == "disk") {
      o << "check filesystem " << c.name << " with path \"" << c.disk_path << "\"\n  if space usage > "
        << c.warning << "% then alert\n  if space usage > " << c.critical << "% then alert\n";
    } else if (c.type == "command") {
      o << "check program " << c.name << " with path \"" << c.command << "\" with timeout " << c.timeout
        << " seconds\n  if status != " << c.status << " then alert\n";
    }
  }
  Expansion e{"monit", "monit", {{"/etc/monit/conf.d/roux", o.str()}}, "0600", {}, any_sensitive(props, checks)};
  return finish(e, props.where());
}

// ---- collectd ----

std::vector<Value> expand_collectd(const std::string& id, engine::Props& props, std::vector<Status>* errors) {
  std::vector<Check> checks = read_checks(props, id, errors);
  std::ostringstream procs, df, curl, thr;
  for (size_t i = 0; i < checks.size(); ++i) {
    const Check& c = checks[i];
    if (c.type == "process") {
      if (!c.pidfile.empty()) unsupported(errors, id, "collectd", i, c, "collectd watches processes by name, not pidfile");
      procs << "  Process \"" << c.process_name << "\"\n";
    } else if (c.type == "disk") {
      df << "  MountPoint \"" << c.disk_path << "\"\n";
      thr << "    <Type \"percent_bytes\">\n      Instance \"used\"\n      WarningMax " << c.warning
          << "\n      FailureMax " << c.critical << "\n    </Type>\n";
    } else if (c.type == "http") {
      curl << "  <Page \"" << c.name << "\">\n    URL \"" << c.url << "\"\n    MeasureResponseCode true\n"
           << "    MeasureResponseTime true\n    Timeout " << c.timeout * 1000 << "\n  </Page>\n";
    } else {
      unsupported(errors, id, "collectd", i, c);
    }
  }
  std::ostringstream o;
  o << "# " << kHeader;
  if (!procs.str().empty())
    o << "LoadPlugin processes\n<Plugin processes>\n" << procs.str() << "</Plugin>\n";
  if (!df.str().empty())
    o << "LoadPlugin df\n<Plugin df>\n" << df.str() << "  IgnoreSelected false\n  ValuesPercentage true\n</Plugin>\n"
      << "LoadPlugin threshold\n<Plugin threshold>\n  <Plugin \"df\">\n" << thr.str() << "  </Plugin>\n</Plugin>\n";
  if (!curl.str().empty()) o << "LoadPlugin curl\n<Plugin curl>\n" << curl.str() << "</Plugin>\n";
  Expansion e{"collectd", "collectd", {{"/etc/collectd/collectd.conf.d/roux.conf", o.str()}}, "0644", {},
              any_sensitive(props, checks)};
  return finish(e, props.where());
}

// ---- node_exporter ----

std::vector<Value> expand_node_exporter(const std::string& id, engine::Props& props, std::vector<Status>* errors) {
  std::string dir = props.string("textfile_directory").value_or("/var/lib/prometheus/node-exporter");
  if (dir.empty() || dir[0] != '/' || dir.find_first_of("\" \n\\'") != std::string::npos)
    props.error("textfile_directory", "must be an absolute path without spaces or quotes");
  std::string listen = props.string("listen_address").value_or("127.0.0.1:9100");
  if (listen.find_first_of("\" \n\\'") != std::string::npos) props.error("listen_address", "must not contain spaces or quotes");
  std::vector<Check> checks = read_checks(props, id, errors);
  for (size_t i = 0; i < checks.size(); ++i)
    unsupported(errors, id, "node_exporter", i, checks[i],
                "node_exporter exports metrics; write alert rules in Prometheus, or drop files in textfile_directory");
  std::string args = "# " + std::string(kHeader) + "ARGS=\"--web.listen-address=" + listen +
                     " --collector.textfile.directory=" + dir + "\"\n";
  Expansion e{"prometheus-node-exporter", "prometheus-node-exporter", {{"/etc/default/prometheus-node-exporter", args}},
              "0644", {}, any_sensitive(props, checks)};
  e.extra.push_back(decl("directory", dir, props.where(), {{"mode", "0755"}}));
  return finish(e, props.where());
}

// ---- datadog ----

std::vector<Value> expand_datadog(const std::string& id, engine::Props& props, std::vector<Status>* errors) {
  // Datadog's repository: `repository:` (the properties of an apt_repository, which installs
  // its key and makes the package transaction refresh apt's lists), or the older
  // `package_source:` (one apt line written to sources.list.d/datadog.list; the key is yours).
  const Value* repo = props.raw("repository");
  std::string source = props.string("package_source").value_or("");
  if (!repo && !props.has("package_source"))
    props.error("missing required property \"repository\" (Datadog's apt repository as {uri, suite, components, "
                "key or key_url + key_sha256}: datadog-agent is not in Debian)");
  else if (repo && props.has("package_source"))
    props.error("package_source", "give repository or package_source, not both");
  else if (repo && repo->kind != Value::Kind::kMap)
    props.error("repository", std::string("expected a map {uri, suite, components, key or key_url + key_sha256}, got a ") +
                                  repo->kind_name());
  else if (!repo && (source.rfind("deb ", 0) != 0 || source.find('\n') != std::string::npos))
    props.error("package_source", "expected one apt line \"deb [signed-by=...] URL SUITE COMPONENT\"");
  std::vector<Check> checks = read_checks(props, id, errors);
  std::map<std::string, nlohmann::ordered_json> confs;  // integration -> conf.yaml
  for (size_t i = 0; i < checks.size(); ++i) {
    const Check& c = checks[i];
    nlohmann::ordered_json inst;
    std::string integration;
    if (c.type == "http") {
      integration = "http_check";
      inst = {{"name", c.name}, {"url", c.url}, {"http_response_status_code", std::to_string(c.status)},
              {"timeout", c.timeout}};
      if (!c.content.empty()) inst["content_match"] = c.content;
    } else if (c.type == "tcp") {
      integration = "tcp_check";
      inst = {{"name", c.name}, {"host", c.host}, {"port", c.port}, {"timeout", c.timeout}};
    } else if (c.type == "process") {
      integration = "process";
      inst = {{"name", c.name}};
      if (!c.pidfile.empty()) inst["pid_file"] = c.pidfile;
      else inst["search_string"] = {c.process_name};
    } else if (c.type == "disk") {
      if (c.thresholds_given)
        unsupported(errors, id, "datadog", i, c, "datadog's disk check has no thresholds; alert with a monitor");
      integration = "disk";
      inst = {{"mount_point_include", {"^" + c.disk_path + "$"}}};
    } else {
      unsupported(errors, id, "datadog", i, c);
      continue;
    }
    auto& conf = confs[integration];
    if (conf.is_null()) conf = {{"init_config", nlohmann::ordered_json::object()}, {"instances", nlohmann::ordered_json::array()}};
    conf["instances"].push_back(inst);
  }
  Expansion e{"datadog-agent", "datadog-agent", {}, "0644", {}, any_sensitive(props, checks)};
  // YAML is a superset of JSON: conf.yaml is written as JSON, generated by the JSON library.
  for (const auto& [integration, conf] : confs)
    e.files.push_back({"/etc/datadog-agent/conf.d/" + integration + ".d/conf.yaml", "# " + std::string(kHeader) + json_dump(conf, 2) + "\n"});
  std::vector<Value> out = finish(e, props.where());
  if (repo && repo->kind == Value::Kind::kMap) {
    Value r = decl("apt_repository", "datadog", props.where(), {});
    for (const auto& entry : repo->map) r.map.push_back(entry);  // its own locations: errors point there
    out.insert(out.begin(), std::move(r));
    out[1].map.push_back({"requires", props.where(), scalar("apt_repository[datadog]", props.where())});
    return out;
  }
  Value src = decl("file", "/etc/apt/sources.list.d/datadog.list", props.where(), {{"content", source + "\n"}, {"mode", "0644"}});
  src.map[1].value.sensitive = props.saw_sensitive();
  out.insert(out.begin(), std::move(src));
  out[1].map.push_back({"requires", props.where(), scalar("file[/etc/apt/sources.list.d/datadog.list]", props.where())});
  return out;
}

}  // namespace

engine::CompositeType monitoring_agent_type() {
  return {"monitoring_agent",
          "a monitoring agent (monit, collectd, node_exporter, datadog) with checks; expands into package, "
          "config files and service",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&,
             std::vector<Status>* errors) -> std::vector<Value> {
            std::string id = "monitoring_agent[" + name + "]";
            if (name == "monit") return expand_monit(id, props, errors);
            if (name == "collectd") return expand_collectd(id, props, errors);
            if (name == "node_exporter") return expand_node_exporter(id, props, errors);
            if (name == "datadog") return expand_datadog(id, props, errors);
            props.error("unknown agent \"" + one_line(name) + "\" (monit, collectd, node_exporter, datadog)");
            return {};
          }};
}

}  // namespace roux::resources
