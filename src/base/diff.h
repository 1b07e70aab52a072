#pragma once
#include <string>
#include <string_view>

namespace roux {

/// A unified diff (3 lines of context) from `before` to `after`, with "--- a" / "+++ b" headers
/// naming `label`. Returns "" when equal. Inputs larger than the diff budget (about 4 million
/// line pairs after trimming the common head and tail) yield a one-line note instead.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view label);

}  // namespace roux
