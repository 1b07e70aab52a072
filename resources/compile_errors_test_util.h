#pragma once
// For the unit tests of resource types: the compile errors of one declaration, as the user sees
// them ("r.yaml:LINE:COL: TYPE[NAME]: ...", one per line).
#include <doctest/doctest.h>

#include <string>

#include "compiler/yaml_value.h"
#include "engine/registry.h"

namespace roux::resources {

/// A BuildContext with no cookbook files or templates.
struct NoCookbookFiles : engine::BuildContext {
  Result<std::string> cookbook_file(const std::string& rel) const override {
    return Status::not_found("cookbook c has no file files/" + rel);
  }
  Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
    return Status::not_found("none");
  }
};

/// Builds `type` from `yaml` (its properties) in a file named r.yaml and returns every error.
inline std::string compile_errors(const engine::ResourceType& type, const std::string& name, const std::string& yaml,
                                  const engine::BuildContext& build = NoCookbookFiles()) {
  std::vector<Status> errors;
  engine::Value map;
  REQUIRE(compiler::parse_yaml(yaml, "r.yaml", &map, &errors));
  engine::Props props(map, type.name + "[" + name + "]", &errors);
  type.make(name, props, build);
  props.finish(type.name);
  std::string out;
  for (const auto& s : errors) out += s.to_string() + "\n";
  return out;
}

}  // namespace roux::resources
