#include "libs/diff.h"

#include "base/strings.h"
#include "libs/git2_api.h"

namespace roux {

std::string unified_diff(std::string_view before, std::string_view after, std::string_view label, size_t max_lines) {
  if (before == after) return "";
  if (looks_binary(before) || looks_binary(after)) return "(binary content differs)\n";
  auto git = libs::git2();
  if (!git.is_ok()) return "(content differs; no diff: " + git.status().message() + ")\n";
  const libs::Git2& g = **git;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.context_lines = 3;
  opts.interhunk_lines = 0;
  opts.flags = GIT_DIFF_FORCE_TEXT;  // binary is decided above, by roux's own rule
  git_patch* patch = nullptr;
  if (g.git_patch_from_buffers(&patch, before.data(), before.size(), nullptr, after.data(), after.size(), nullptr,
                               &opts) < 0 || patch == nullptr) {
    const git_error* e = g.git_error_last();
    return std::string("(content differs; no diff: ") + (e && e->message ? e->message : "libgit2 failed") + ")\n";
  }
  std::string out = "--- a" + std::string(label) + "\n+++ b" + std::string(label) + "\n";
  size_t shown = 0, cut = 0;
  auto emit = [&](std::string line) {
    if (shown < max_lines) {
      out += line;
      ++shown;
    } else {
      ++cut;
    }
  };
  for (size_t h = 0, hunks = g.git_patch_num_hunks(patch); h < hunks; ++h) {
    const git_diff_hunk* hunk = nullptr;
    size_t lines = 0;
    if (g.git_patch_get_hunk(&hunk, &lines, patch, h) < 0) break;
    // "@@ -2,7 +2,7 @@" alone: xdiff's guess of a function name after it means nothing in a config file.
    std::string header(hunk->header, hunk->header_len);
    if (size_t end = header.find("@@", 2); end != std::string::npos) header = header.substr(0, end + 2);
    emit(header + "\n");
    for (size_t l = 0; l < lines; ++l) {
      const git_diff_line* line = nullptr;
      if (g.git_patch_get_line_in_hunk(&line, patch, h, l) < 0) break;
      switch (line->origin) {
        case GIT_DIFF_LINE_CONTEXT:
        case GIT_DIFF_LINE_ADDITION:
        case GIT_DIFF_LINE_DELETION: {
          std::string text(line->content, line->content_len);
          if (text.empty() || text.back() != '\n') text += '\n';
          emit(std::string(1, static_cast<char>(line->origin)) + text);
          break;
        }
        case GIT_DIFF_LINE_CONTEXT_EOFNL:
        case GIT_DIFF_LINE_ADD_EOFNL:
        case GIT_DIFF_LINE_DEL_EOFNL: emit("\\ No newline at end of file\n"); break;
        default: break;
      }
    }
  }
  g.git_patch_free(patch);
  if (cut > 0)
    out += "... " + std::to_string(cut) + " more diff line" + (cut == 1 ? "" : "s") + " not shown\n";
  return out;
}

}  // namespace roux
