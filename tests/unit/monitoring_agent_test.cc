// monitoring_agent expansion: which resources each agent expands into, their generated config,
// and the errors for checks an agent cannot express (file:line:col + agent + check).
#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {
namespace {

struct Expanded {
  std::vector<engine::Value> items;
  std::vector<std::string> errors;
};

/// Expands `yaml` (the composite's properties) for agent `name`.
Expanded expand(const std::string& name, const std::string& yaml) {
  Expanded out;
  std::vector<Status> errors;
  engine::Value props_map;
  REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &props_map, &errors));
  if (props_map.kind == engine::Value::Kind::kNull) props_map.kind = engine::Value::Kind::kMap;
  engine::Props props(props_map, "monitoring_agent[" + name + "]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  out.items = monitoring_agent_type().expand(name, props, build, &errors);
  props.finish("monitoring_agent");
  for (const auto& s : errors) out.errors.push_back(s.to_string());
  return out;
}

std::vector<std::string> ids(const Expanded& e) {
  std::vector<std::string> out;
  for (const auto& v : e.items) out.push_back(v.map.front().key + "[" + v.map.front().value.scalar + "]");
  return out;
}

std::string prop(const engine::Value& item, const std::string& key) {
  const engine::Value* v = item.find(key);
  return v ? v->scalar : "";
}

}  // namespace

TEST_CASE("monitoring_agent monit: package, config file notifying a restart, service") {
  auto e = expand("monit", "interval: 5\nchecks:\n  - {name: web, type: http, url: 'http://127.0.0.1:8080/x?a=1', content: ok}\n"
                           "  - {name: d, type: process, pidfile: /run/d.pid}\n  - {name: s, type: disk, path: /}\n"
                           "  - {name: p, type: tcp, port: 22}\n  - {name: c, type: command, command: /bin/true, status: 1}\n");
  REQUIRE(e.errors.empty());
  CHECK(ids(e) == std::vector<std::string>{"package[monit]", "file[/etc/monit/conf.d/roux]", "service[monit]"});
  const auto& f = e.items[1];
  CHECK(prop(f, "notify") == "service[monit]");
  CHECK(prop(f, "requires") == "package[monit]");
  CHECK(prop(f, "mode") == "0600");
  std::string conf = prop(f, "content");
  CHECK(conf.find("set daemon 5\n") != std::string::npos);
  CHECK(conf.find("set httpd port 2812 and use address 127.0.0.1") != std::string::npos);
  CHECK(conf.find("check host web with address 127.0.0.1\n  if failed port 8080 protocol http\n    request \"/x?a=1\"\n"
                  "    status = 200\n    content = \"ok\"\n") != std::string::npos);
  CHECK(conf.find("check process d with pidfile \"/run/d.pid\"") != std::string::npos);
  CHECK(conf.find("check filesystem s with path \"/\"\n  if space usage > 80% then alert\n  if space usage > 90%") !=
        std::string::npos);
  CHECK(conf.find("if failed port 22 type tcp") != std::string::npos);
  CHECK(conf.find("check program c with path \"/bin/true\" with timeout 5 seconds\n  if status != 1 then alert") !=
        std::string::npos);
}

TEST_CASE("monitoring_agent: unsupported checks are errors naming the agent, the check and where") {
  auto e = expand("node_exporter", "checks:\n  - {name: web, type: http, url: 'http://127.0.0.1/'}\n");
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0].find("r.yaml:2:5: ") == 0);
  CHECK(e.errors[0].find("monitoring_agent[node_exporter]: checks[0] (http): node_exporter has no http check") !=
        std::string::npos);
  auto c = expand("collectd", "checks:\n  - {name: p, type: tcp, port: 1}\n  - {name: c, type: command, command: /bin/true}\n");
  REQUIRE(c.errors.size() == 2);
  CHECK(c.errors[0].find("checks[0] (tcp): collectd has no tcp check") != std::string::npos);
  CHECK(c.errors[1].find("checks[1] (command): collectd has no command check") != std::string::npos);
  auto d = expand("datadog", "package_source: deb https://apt.example/ stable 7\nchecks:\n  - {name: c, type: command, command: /bin/true}\n");
  REQUIRE(d.errors.size() == 1);
  CHECK(d.errors[0].find("datadog has no command check") != std::string::npos);
}

TEST_CASE("monitoring_agent: bad input is reported at the property") {
  auto e = expand("monit", "checks:\n  - {name: web, type: http}\n  - {name: x, type: ping}\n  - {name: web, type: disk, path: rel}\n");
  std::string all;
  for (const auto& s : e.errors) all += s + "\n";
  CHECK(all.find("monitoring_agent[monit]: checks[0]: missing required property \"url\"") != std::string::npos);
  CHECK(all.find("checks[1]: type:") != std::string::npos);
  CHECK(all.find("duplicate check name \"web\"") != std::string::npos);
  CHECK(all.find("path: must be an absolute path") != std::string::npos);
  auto u = expand("nagios", "");
  REQUIRE(u.errors.size() == 1);
  CHECK(u.errors[0].find("unknown agent \"nagios\" (monit, collectd, node_exporter, datadog)") != std::string::npos);
  auto d = expand("datadog", "");
  REQUIRE(!d.errors.empty());
  CHECK(d.errors[0].find("missing required property \"repository\"") != std::string::npos);
  auto both = expand("datadog", "package_source: deb https://a/ s c\nrepository: {uri: https://a/}\n");
  REQUIRE(!both.errors.empty());
  CHECK(both.errors[0].find("package_source: give repository or package_source, not both") != std::string::npos);
  auto scalar = expand("datadog", "repository: https://a/\n");
  REQUIRE(!scalar.errors.empty());
  CHECK(scalar.errors[0].find("repository: expected a map") != std::string::npos);
}

TEST_CASE("monitoring_agent datadog: repository expands into an apt_repository the package requires") {
  auto d = expand("datadog", "repository: {uri: 'http://127.0.0.1:8000/', suite: stable, components: [7], key_url: "
                             "'http://127.0.0.1:8000/key.asc', key_sha256: " + std::string(64, 'a') + "}\n");
  REQUIRE(d.errors.empty());
  CHECK(ids(d) == std::vector<std::string>{"apt_repository[datadog]", "package[datadog-agent]", "service[datadog-agent]"});
  CHECK(prop(d.items[0], "uri") == "http://127.0.0.1:8000/");
  CHECK(prop(d.items[0], "suite") == "stable");
  CHECK(d.items[0].find("uri")->where.line == 1);  // errors of the repository point into the recipe
  CHECK(prop(d.items[1], "requires") == "apt_repository[datadog]");
}

TEST_CASE("monitoring_agent collectd, node_exporter, datadog expansions") {
  auto c = expand("collectd", "checks:\n  - {name: p, type: process, process: sshd}\n  - {name: s, type: disk, path: /, warning: 70, critical: 95}\n");
  REQUIRE(c.errors.empty());
  CHECK(ids(c) == std::vector<std::string>{"package[collectd]", "file[/etc/collectd/collectd.conf.d/roux.conf]",
                                           "service[collectd]"});
  std::string conf = prop(c.items[1], "content");
  CHECK(conf.find("<Plugin processes>\n  Process \"sshd\"\n</Plugin>") != std::string::npos);
  CHECK(conf.find("WarningMax 70\n      FailureMax 95") != std::string::npos);

  auto n = expand("node_exporter", "textfile_directory: /var/lib/roux-metrics\n");
  REQUIRE(n.errors.empty());
  CHECK(ids(n) == std::vector<std::string>{"package[prometheus-node-exporter]", "directory[/var/lib/roux-metrics]",
                                           "file[/etc/default/prometheus-node-exporter]",
                                           "service[prometheus-node-exporter]"});
  CHECK(prop(n.items[2], "content").find(
            "ARGS=\"--web.listen-address=127.0.0.1:9100 --collector.textfile.directory=/var/lib/roux-metrics\"") !=
        std::string::npos);

  auto d = expand("datadog", "package_source: deb https://apt.example/ stable 7\nchecks:\n"
                             "  - {name: web, type: http, url: 'http://127.0.0.1/', status: 204}\n  - {name: p, type: tcp, port: 5432}\n");
  REQUIRE(d.errors.empty());
  CHECK(ids(d) == std::vector<std::string>{"file[/etc/apt/sources.list.d/datadog.list]", "package[datadog-agent]",
                                           "file[/etc/datadog-agent/conf.d/http_check.d/conf.yaml]",
                                           "file[/etc/datadog-agent/conf.d/tcp_check.d/conf.yaml]",
                                           "service[datadog-agent]"});
  CHECK(prop(d.items[1], "requires") == "file[/etc/apt/sources.list.d/datadog.list]");
  CHECK(prop(d.items[2], "content").find("\"http_response_status_code\": \"204\"") != std::string::npos);
}

}  // namespace roux::resources

namespace roux::resources {

TEST_CASE("monitoring_agent: a secret in a check makes the generated config sensitive") {
  std::vector<Status> errors;
  engine::Value props_map;
  REQUIRE(compiler::parse_yaml("checks:\n  - {name: web, type: http, url: 'http://u:pw@127.0.0.1/'}\n", "r.yaml",
                               &props_map, &errors));
  props_map.map[0].value.list[0].map[2].value.sensitive = true;  // as the compiler marks a decrypted secret
  engine::Props props(props_map, "monitoring_agent[monit]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  auto items = monitoring_agent_type().expand("monit", props, build, &errors);
  REQUIRE(errors.empty());
  REQUIRE(items.size() == 3);
  CHECK(items[1].find("content")->sensitive);
  CHECK_FALSE(items[0].map.front().value.sensitive);
}

}  // namespace roux::resources
