#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace roux::compiler {

/// Limits of one render (docs/security.md, "Input limits"): the output, and how deep sections
/// nest in the template text.
inline constexpr size_t kMaxRenderedBytes = 16u << 20;
inline constexpr int kMaxSectionNesting = 16;

/// Renders mustache templates (kainjow) against a view built once from JSON: `attr` (merged
/// attributes) and `facts`. HTML escaping is off: these are configuration files, not web pages.
/// Thread-compatible: const methods may run concurrently.
class Renderer {
 public:
  explicit Renderer(const nlohmann::json& view);
  ~Renderer();
  /// Renders `tmpl`; `variables` (an object or null) adds top-level names. Errors: a syntax error
  /// ("unclosed section ..."); a variable tag {{x}} whose name is not defined (unless the template
  /// also uses x as a section, {{#x}}...{{/x}} or {{^x}}default{{/x}}: that is how a template makes
  /// a value optional or gives it a default); output past kMaxRenderedBytes; sections nested past
  /// kMaxSectionNesting. Partials ({{>x}}) render nothing.
  Result<std::string> render(const std::string& tmpl, const nlohmann::json* variables = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roux::compiler
