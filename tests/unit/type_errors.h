#pragma once
// Test helper: the compile errors a resource type's factory reports for one resource, as the
// compiler would print them ("r.yaml:LINE:COL: TYPE[NAME]: ..."), one per line; "" when none.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "compiler/yaml_value.h"
#include "engine/registry.h"

namespace roux::testing {

/// Builds `type` named `name` from the YAML map `yaml` (a file "r.yaml") with a build context
/// that has no cookbook files, then reports unknown properties as the compiler does.
inline std::string type_errors(const engine::ResourceType& type, const std::string& name, const std::string& yaml) {
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
  engine::Props props(map, type.name + "[" + name + "]", &errors);
  struct NoBuild : engine::BuildContext {
    Result<std::string> cookbook_file(const std::string&) const override { return Status::not_found("none"); }
    Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
      return Status::not_found("none");
    }
  } build;
  type.make(name, props, build);
  props.finish(type.name);
  std::string out;
  for (const auto& s : errors) out += s.to_string() + "\n";
  return out;
}

}  // namespace roux::testing
