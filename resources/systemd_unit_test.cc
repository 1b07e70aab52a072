#include "resources/systemd_unit.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {

TEST_CASE("systemd_unit: names") {
  auto u = parse_systemd_unit_name("nginx.service");
  CHECK(u.error == "");
  CHECK(u.unit == "nginx.service");
  CHECK(!u.dropin);
  auto d = parse_systemd_unit_name("nginx.service.d/10-limits.conf");
  CHECK(d.error == "");
  CHECK(d.unit == "nginx.service");
  CHECK(d.dropin);
  CHECK(parse_systemd_unit_name("backup@.service").is_template);
  CHECK(!parse_systemd_unit_name("getty@tty1.service").is_template);
  for (const char* ok : {"fstrim.timer", "a-b_c:d.socket", "srv-data.mount", "x.target.d/override.conf"})
    CHECK_MESSAGE(parse_systemd_unit_name(ok).error == "", ok);
  for (const char* bad : {"", "nginx", ".service", "-x.service", "a b.service", "../x.service", "x.service/../../y",
                          "x.service.d/.conf", "x.service.d/a.txt", "x.d/a.conf", "x.service.d/a/b.conf",
                          "/etc/x.service", "a@b@.service", "x.service\n"})
    CHECK_MESSAGE(parse_systemd_unit_name(bad).error != "", bad);
}

TEST_CASE("systemd_unit: syntax") {
  CHECK(systemd_unit_syntax_error("[Unit]\nDescription=x\n\n# c\n; c\n[Service]\nExecStart=/bin/a \\\n  --flag\n") == "");
  CHECK(systemd_unit_syntax_error("") == "line 1: no [Section] header ([Unit], [Service], ...)");
  CHECK(systemd_unit_syntax_error("Description=x\n[Unit]\n") == "line 1: \"Description=x\" comes before any [Section] header");
  CHECK(systemd_unit_syntax_error("[Unit]\nExecStart /bin/true\n") ==
        "line 2: expected Key=value, got \"ExecStart /bin/true\"");
  CHECK(systemd_unit_syntax_error("[Unit\n") == "line 1: a section header is [Name], not \"[Unit\"");
  CHECK(systemd_unit_syntax_error("[Unit]\n=x\n") == "line 2: expected Key=value, got \"=x\"");
  CHECK(systemd_unit_has_install("[Service]\nExecStart=/a\n[Install]\nWantedBy=multi-user.target\n"));
  CHECK(!systemd_unit_has_install("[Service]\nExecStart=/a\n"));
}

TEST_CASE("systemd_unit: compile errors at the property") {
  auto errors_of = [](const std::string& name, const std::string& yaml) {
    std::vector<Status> errors;
    engine::Value map;
    REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
    engine::Props props(map, "systemd_unit[" + name + "]", &errors);
    struct NoBuild : engine::BuildContext {
      Result<std::string> cookbook_file(const std::string& rel) const override {
        if (rel == "app.service") return std::string("[Service]\nExecStart=/bin/true\n");
        return Status::not_found("no files/" + rel);
      }
      Result<engine::Rendered> render_template(const std::string& rel, const engine::Value*) const override {
        return Status::not_found("no templates/" + rel);
      }
    } build;
    systemd_unit_type().make(name, props, build);
    props.finish("systemd_unit");
    std::string out;
    for (const auto& s : errors) out += s.to_string() + "\n";
    return out;
  };
  CHECK(errors_of("app.service", "content: \"[Service]\\nExecStart=/bin/true\\n[Install]\\nWantedBy=x\\n\"\nenabled: true\n") == "");
  CHECK(errors_of("app.service", "source: app.service\nrunning: true\n") == "");
  CHECK(errors_of("app.service", "ensure: absent\n") == "");
  CHECK(errors_of("app.service", "{}\n") ==
        "r.yaml:1:1: systemd_unit[app.service]: content: is required (or source: a file under files/, or template:)\n");
  CHECK(errors_of("app.service", "source: nope\n") == "r.yaml:1:9: systemd_unit[app.service]: source: no files/nope\n");
  CHECK(errors_of("app.service", "template: t\n") == "r.yaml:1:11: systemd_unit[app.service]: template: no templates/t\n");
  CHECK(errors_of("app.service", "content: \"[Service]\\n\"\nsource: app.service\n") ==
        "r.yaml:1:10: systemd_unit[app.service]: content: give one of content, source or template\n");
  CHECK(errors_of("app.service", "source: app.service\nenabled: true\n") ==
        "r.yaml:2:10: systemd_unit[app.service]: enabled: the unit has no [Install] section (it is static): systemctl can "
        "neither enable nor disable it\n");
  CHECK(errors_of("app.service", "ensure: absent\nrunning: false\n") ==
        "r.yaml:2:10: systemd_unit[app.service]: running: has no meaning with ensure: absent (the unit is stopped and "
        "disabled before its file goes)\n");
  CHECK(errors_of("a.service.d/x.conf", "content: \"[Service]\\nA=1\\n\"\nrunning: true\n") ==
        "r.yaml:2:10: systemd_unit[a.service.d/x.conf]: running: a drop-in changes a.service: manage its state with "
        "service or systemd_unit[a.service]\n");
  CHECK(errors_of("b@.service", "content: \"[Service]\\nA=1\\n\"\nrunning: true\n") ==
        "r.yaml:2:10: systemd_unit[b@.service]: running: a template unit has no state of its own; manage an instance "
        "(name@x) with service\n");
  CHECK(errors_of("app.service", "content: \"A=1\\n\"\n") ==
        "r.yaml:1:10: systemd_unit[app.service]: content: line 1: \"A=1\" comes before any [Section] header\n");
  CHECK(errors_of("app", "content: \"[Unit]\\n\"\n") ==
        "r.yaml:1:1: systemd_unit[app]: invalid systemd_unit name \"app\": \"app\" is not a unit name: letters, digits, "
        ":_.-@ and a type suffix (.service, .socket, .timer, .mount, .path, .target, ...)\n");
  CHECK(errors_of("app.service", "content: \"[Unit]\\n\"\nbogus: 1\n").find("bogus") != std::string::npos);
}

}  // namespace roux::resources
