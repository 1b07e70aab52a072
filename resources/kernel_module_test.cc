#include <doctest/doctest.h>

#include "resources/builtin.h"
#include "tests/unit/type_errors.h"

namespace roux::resources {

namespace {
std::string errors_of(const std::string& name, const std::string& yaml) {
  return testing::type_errors(kernel_module_type(), name, yaml);
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
