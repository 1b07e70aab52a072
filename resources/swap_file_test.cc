#include <doctest/doctest.h>

#include "resources/builtin.h"
#include "tests/unit/type_errors.h"

namespace roux::resources {

namespace {
std::string errors_of(const std::string& name, const std::string& yaml) {
  return testing::type_errors(swap_file_type(), name, yaml);
}
}  // namespace

TEST_CASE("swap_file: compile errors at the property") {
  CHECK(errors_of("/var/swapfile", "size: 2G\n") == "");
  CHECK(errors_of("/var/swapfile", "size: 40K\n") == "");
  CHECK(errors_of("/var/swapfile", "size: 1048576\n") == "");
  CHECK(errors_of("/var/swapfile", "ensure: absent\n") == "");
  CHECK(errors_of("/var/swapfile", "{}\n") ==
        "r.yaml:1:1: swap_file[/var/swapfile]: size: is required (512M, 2G; K, M, G or bytes)\n");
  for (const char* bad : {"10x", "36K", "4097", "2T", "99999999999G", "99999999999999999999", "M", "-1M"})
    CHECK_MESSAGE(errors_of("/var/swapfile", std::string("size: \"") + bad + "\"\n") ==
                      std::string("r.yaml:1:7: swap_file[/var/swapfile]: size: \"") + bad +
                          "\" is not a size of at least 40K in whole 4K pages, at most 1024G (512M, 2G; K, M, G or bytes)\n",
                  bad);
  CHECK(errors_of("/var/swapfile", "ensure: absent\nsize: 1M\n") ==
        "r.yaml:2:7: swap_file[/var/swapfile]: size: has no meaning with ensure: absent\n");
  CHECK(errors_of("swapfile", "size: 1M\n").find("(the name is the swap file)") != std::string::npos);
}

}  // namespace roux::resources
