#include "resources/sysctl.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {

TEST_CASE("sysctl: values compare word by word; keys") {
  CHECK(normalize_sysctl_value("4096\t87380\t6291456\n") == "4096 87380 6291456");
  CHECK(normalize_sysctl_value(" 1 ") == "1");
  CHECK(normalize_sysctl_value("") == "");
  for (const char* ok : {"net.ipv4.ip_forward", "vm.swappiness", "net.ipv6.conf.eth0-1.forwarding", "kernel.pid_max"})
    CHECK_MESSAGE(is_valid_sysctl_key(ok), ok);
  for (const char* bad : {"", ".a", "a.", "a..b", "net/ipv4/ip_forward", "a b", "../../etc/passwd", "x*"})
    CHECK_MESSAGE(!is_valid_sysctl_key(bad), bad);
}

TEST_CASE("sysctl: compile errors at the property") {
  auto errors_of = [](const std::string& name, const std::string& yaml) {
    std::vector<Status> errors;
    engine::Value map;
    REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
    engine::Props props(map, "sysctl[" + name + "]", &errors);
    struct NoBuild : engine::BuildContext {
      Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
      Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
        return Status::not_found("none");
      }
    } build;
    sysctl_type().make(name, props, build);
    props.finish("sysctl");
    std::string out;
    for (const auto& s : errors) out += s.to_string() + "\n";
    return out;
  };
  CHECK(errors_of("vm.swappiness", "value: 10\n") == "");
  CHECK(errors_of("vm.swappiness", "ensure: absent\n") == "");
  CHECK(errors_of("vm.swappiness", "{}\n") == "r.yaml:1:1: sysctl[vm.swappiness]: value: is required\n");
  CHECK(errors_of("vm/swappiness", "value: 1\n") ==
        "r.yaml:1:1: sysctl[vm/swappiness]: invalid sysctl key \"vm/swappiness\": dotted names of letters, digits, _ "
        "and - (net.ipv4.ip_forward)\n");
  CHECK(errors_of("vm.swappiness", "value: \"a\\x01\"\n") ==
        "r.yaml:1:8: sysctl[vm.swappiness]: value: must be one line of at most 4096 bytes, not empty\n");
  CHECK(errors_of("vm.swappiness", "value: \" \"\n") ==
        "r.yaml:1:8: sysctl[vm.swappiness]: value: must be one line of at most 4096 bytes, not empty\n");
  CHECK(errors_of("vm.swappiness", "ensure: absent\nvalue: 1\n") ==
        "r.yaml:2:8: sysctl[vm.swappiness]: value: has no meaning with ensure: absent\n");
}

}  // namespace roux::resources
