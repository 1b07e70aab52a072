#include "compiler/conditions.h"

#include <doctest/doctest.h>

#include "compiler/yaml_value.h"

namespace roux::compiler {

namespace {
engine::Value yaml(const std::string& text) {
  engine::Value v;
  std::vector<Status> errors;
  REQUIRE(parse_yaml(text, "r.yaml", &v, &errors));
  return v;
}
}  // namespace

TEST_CASE("conditions: only_if_fact needs every entry, not_if_fact any; unknown facts are errors") {
  nlohmann::ordered_json facts = {{"os", {{"id", "debian"}, {"version_id", "12"}}},
                                  {"virtualization", {{"container", true}}}};
  std::vector<Status> errors;
  engine::Value only = yaml("{os.id: debian, os.version_id: [\"11\", \"12\"]}");
  CHECK(evaluate_fact_conditions(&only, nullptr, facts, "file[/x]", &errors) == "");
  engine::Value only_false = yaml("{os.id: debian, os.version_id: \"11\"}");
  CHECK(evaluate_fact_conditions(&only_false, nullptr, facts, "file[/x]", &errors) ==
        "only_if_fact os.version_id is \"12\", not \"11\"");
  engine::Value nots = yaml("{virtualization.container: true}");
  CHECK(evaluate_fact_conditions(nullptr, &nots, facts, "file[/x]", &errors) ==
        "not_if_fact virtualization.container is \"true\"");
  CHECK(errors.empty());
  engine::Value typo = yaml("{os.idd: debian}");
  CHECK(evaluate_fact_conditions(&typo, nullptr, facts, "file[/x]", &errors) == "");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() ==
        "r.yaml:1:2: file[/x]: only_if_fact: unknown fact \"os.idd\" (see `roux facts`; nested facts are dotted: os.version_id)");
}

}  // namespace roux::compiler
