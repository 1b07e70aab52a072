#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace roux::cli {

/// The roux command line. Returns the process exit code (see exit_code.h).
int run(int argc, char** argv);

/// Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
/// substitutions and swaps of neighbours cost 1 each.
size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate nearest to `word` (case-insensitive) that reads as a typo of it (within a
/// third of its letters, 1 to 3, or a prefix of 3+ letters), or "" when none does.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace roux::cli
