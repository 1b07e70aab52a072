#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/value.h"

namespace YAML {
class Node;
}

namespace roux::compiler {

/// Parses YAML text into a Value tree that remembers file:line:col of every node. Syntax errors
/// and duplicate keys are appended to `errors`. `interpolate`, when set, rewrites each scalar
/// (attribute interpolation); it returns false and sets its error when a scalar cannot be rendered.
using Interpolate = std::function<Result<std::string>(const std::string& scalar)>;
bool parse_yaml(const std::string& text, const std::string& file, engine::Value* out, std::vector<Status>* errors);

/// Applies `interpolate` to every scalar in `v` that contains "{{", collecting errors.
void interpolate_scalars(engine::Value& v, const Interpolate& interpolate, std::vector<Status>* errors);

/// A Value as JSON (scalars typed: unquoted true/false -> bool, integers/floats -> numbers).
nlohmann::json to_json(const engine::Value& v);

/// Reads a whole file; an error names it.
Result<std::string> read_text_file(const std::string& path);

}  // namespace roux::compiler
