#pragma once
#include <string>

namespace roux {

/// A position in a cookbook, recipe or policy file. Lines and columns are 1-based; an empty
/// file means "no location".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool empty() const { return file.empty(); }
  /// "recipes/default.yaml:3:5" (or just the file when line is unknown).
  std::string to_string() const;
};

}  // namespace roux
