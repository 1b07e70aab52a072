#include "resources/timezone.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"
#include "resources/builtin.h"

namespace roux::resources {

TEST_CASE("timezone: names and compile errors") {
  for (const char* ok : {"Europe/Paris", "Etc/UTC", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14"})
    CHECK_MESSAGE(is_valid_timezone_name(ok), ok);
  for (const char* bad : {"", "/Europe/Paris", "Europe/", "Europe//Paris", "../../etc/passwd", "Europe/../../x", ".x",
                          "-x", "Europe/Pa ris", "Europe/Paris\n"})
    CHECK_MESSAGE(!is_valid_timezone_name(bad), bad);
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml("{}\n", "r.yaml", &map, &errors));
  engine::Props props(map, "timezone[../x]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  timezone_type().make("../x", props, build);
  props.finish("timezone");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() ==
        "r.yaml:1:1: timezone[../x]: invalid time zone \"../x\": a zoneinfo name such as Europe/Paris or Etc/UTC "
        "(letters, digits, _ + - and /)");
}

}  // namespace roux::resources
