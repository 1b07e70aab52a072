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

/// Input limits of every YAML file the compiler reads (recipes, policies, attributes) and of a -j
/// JSON file: beyond them the file is refused with a clear error instead of eating memory or the
/// stack. Listed in docs/security.md ("Input limits").
inline constexpr size_t kMaxInputBytes = 8u << 20;        // one file, before parsing
inline constexpr int kMaxNesting = 64;                     // lists/maps inside each other
inline constexpr size_t kMaxYamlNodes = 500'000;           // nodes, aliases expanded (billion laughs)
inline constexpr size_t kMaxYamlExpandedBytes = 32u << 20; // scalar text, aliases expanded

/// Parses YAML text into a Value tree that remembers file:line:col of every node. Syntax errors,
/// duplicate keys, a second document in the file and a limit above exceeded are appended to
/// `errors`. `interpolate`, when set, rewrites each scalar
/// (attribute interpolation); it returns false and sets its error when a scalar cannot be rendered.
using Interpolate = std::function<Result<std::string>(const std::string& scalar)>;
bool parse_yaml(const std::string& text, const std::string& file, engine::Value* out, std::vector<Status>* errors);

/// Applies `interpolate` to every scalar in `v` that contains "{{", collecting errors.
void interpolate_scalars(engine::Value& v, const Interpolate& interpolate, std::vector<Status>* errors);

/// Checks, before parsing, that JSON `text` nests lists/objects at most kMaxNesting deep (the
/// merge and render passes recurse) and is at most kMaxInputBytes; an error names file:line:col.
Status check_json_limits(const std::string& text, const std::string& file);

/// A Value as JSON (scalars typed: unquoted true/false -> bool, integers/floats -> numbers).
nlohmann::json to_json(const engine::Value& v);

/// Reads a whole file; an error names it.
Result<std::string> read_text_file(const std::string& path);

}  // namespace roux::compiler
