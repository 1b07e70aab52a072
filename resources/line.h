#pragma once
// line (line.cc): one line in a file roux does not own. The edit is pure, exposed for tests.
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "base/status.h"

namespace roux::resources {

/// What a `line` resource wants. Regular expressions are ECMAScript (std::regex), searched in
/// each line (without its terminator); lines longer than kMaxRegexLine are refused, not matched.
struct LineSpec {
  bool absent = false;
  std::string line;                    // the line's text ("" with absent + match: any matching line)
  std::shared_ptr<const std::regex> match, after;
};
constexpr size_t kMaxRegexLine = 16 * 1024;
constexpr size_t kMaxRegexPattern = 1024;

/// `content` with the spec applied:
/// - present: nothing when a line is exactly `line` (so a second run never changes anything);
///   else the first line that `match` finds is replaced by it (its terminator kept); else it is
///   inserted after the first line `after` finds, else appended at the end.
/// - absent: every line that is exactly `line`, and every line `match` finds, is removed.
Result<std::string> edit_line(const std::string& content, const LineSpec& spec, const std::string& path);

/// Compiles `pattern` (bounded size); an error text in `*why` when it is not a valid ECMAScript
/// regular expression.
std::shared_ptr<const std::regex> compile_line_regex(const std::string& pattern, std::string* why);

}  // namespace roux::resources
