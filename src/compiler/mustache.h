#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace roux::compiler {

/// Renders mustache templates (kainjow) against a view built once from JSON: `attr` (merged
/// attributes) and `facts`. HTML escaping is off: these are configuration files, not web pages.
/// Thread-compatible: const methods may run concurrently.
class Renderer {
 public:
  explicit Renderer(const nlohmann::json& view);
  ~Renderer();
  /// Renders `tmpl`; `variables` (an object or null) adds top-level names. A syntax error names
  /// what is wrong ("unclosed section ...").
  Result<std::string> render(const std::string& tmpl, const nlohmann::json* variables = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roux::compiler
