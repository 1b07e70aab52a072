#pragma once
#include <string>
#include <string_view>

namespace roux {

/// The file of a SourceLocation, interned: the thousands of locations of one recipe share one
/// string, so making or copying a location allocates nothing. Converts from and to std::string.
/// Interned names live for the whole process (a run reads a bounded set of files).
class FileName {
 public:
  FileName() = default;
  FileName(std::string_view name);  // NOLINT: implicit, a location is written {file, line, col}
  FileName(const std::string& name) : FileName(std::string_view(name)) {}
  FileName(const char* name) : FileName(std::string_view(name)) {}

  const std::string& str() const;
  operator const std::string&() const { return str(); }  // NOLINT
  bool empty() const { return p_ == nullptr || p_->empty(); }
  friend bool operator==(const FileName& a, const FileName& b) { return a.p_ == b.p_ || a.str() == b.str(); }

 private:
  const std::string* p_ = nullptr;
};

inline std::string operator+(const FileName& a, std::string_view b) { return a.str() + std::string(b); }
inline std::string operator+(std::string_view a, const FileName& b) { return std::string(a) + b.str(); }

/// A position in a cookbook, recipe or policy file. Lines and columns are 1-based; an empty
/// file means "no location".
struct SourceLocation {
  FileName file;
  int line = 0;
  int column = 0;

  bool empty() const { return file.empty(); }
  /// "recipes/default.yaml:3:5" (or just the file when line is unknown).
  std::string to_string() const;
};

}  // namespace roux
