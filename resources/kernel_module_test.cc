#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {

namespace {
std::string errors_of(const std::string& name, const std::string& yaml) {
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
  engine::Props props(map, "kernel_module[" + name + "]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  kernel_module_type().make(name, props, build);
  props.finish("kernel_module");
  std::string out;
  for (const auto& s : errors) out += s.to_string() + "\n";
  return out;
}
}  // namespace

TEST_CASE("kernel_module: compile errors at the property") {
  CHECK(errors_of("br_netfilter", "{}\n") == "");
  CHECK(errors_of("nf-conntrack", "options: {hashsize: 65536}\nboot: false\n") == "");
  CHECK(errors_of("bonding", "options: [mode=4, miimon=100]\n") == "");
  CHECK(errors_of("usb-storage", "ensure: blacklisted\n") == "");
  CHECK(errors_of("../etc/x", "{}\n") ==
        "r.yaml:1:1: kernel_module[../etc/x]: invalid module name \"../etc/x\": letters, digits, _ and -, at most 55 "
        "(br_netfilter)\n");
  CHECK(errors_of("bonding", "options: [mode 4]\n") ==
        "r.yaml:1:10: kernel_module[bonding]: options: \"mode 4\" is not KEY=VALUE (a value without blanks, # or "
        "backslashes)\n");
  CHECK(errors_of("bonding", "options: {mode: \"4\\n\"}\n") ==
        "r.yaml:1:10: kernel_module[bonding]: options: \"mode=4\\n\" is not KEY=VALUE (a value without blanks, # or "
        "backslashes)\n");
  CHECK(errors_of("bonding", "ensure: unloaded\nboot: true\n") ==
        "r.yaml:2:7: kernel_module[bonding]: boot: has no meaning unless ensure: loaded\n");
  CHECK(errors_of("bonding", "ensure: gone\n").find("r.yaml:1:9: kernel_module[bonding]: ensure:") == 0);
}

}  // namespace roux::resources
