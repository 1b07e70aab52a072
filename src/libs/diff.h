#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace roux {

/// The most lines a diff shows (hunk headers and context included); the rest is counted, not
/// shown: a terminal, a report and a webhook stay readable whatever the file's size.
inline constexpr size_t kMaxDiffLines = 200;

/// A unified diff (`diff -u`: 3 lines of context) from `before` to `after`, with "--- a" / "+++ b"
/// headers naming `label`, computed by libgit2's xdiff (Myers) at any size. Returns "" when
/// equal. Past `max_lines` lines, one last line says how many were cut ("... 1234 more diff
/// lines not shown"). Binary content (looks_binary) gives "(binary content differs)\n" and
/// libgit2 missing gives a one-line note; never an error. Does not touch the host.
std::string unified_diff(std::string_view before, std::string_view after, std::string_view label,
                         size_t max_lines = kMaxDiffLines);

}  // namespace roux
