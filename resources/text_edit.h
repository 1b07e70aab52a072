#pragma once
// Editing part of a file roux does not own (line, ini): the shared observe/compare/write step
// and a line splitter. The edit itself is a pure function of the current content.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/resource.h"

namespace roux::resources {

/// Files larger than this are refused by line and ini (they are edited in memory).
constexpr size_t kMaxEditedFileBytes = 1 << 20;

/// One line of a text: its text without the terminator (a final "\r" of a CRLF line removed too)
/// and the terminator itself ("\n", "\r\n", or "" for a last line without one).
struct TextLine {
  std::string text, eol;
};
std::vector<TextLine> split_text_lines(std::string_view content);
std::string join_text_lines(const std::vector<TextLine>& lines);
/// Appends `text` as a new last line ("\n"-terminated), first ending an unterminated last line.
void append_text_line(std::vector<TextLine>& lines, std::string text);

/// Converges `path`, an existing regular file (at most kMaxEditedFileBytes), to `edit(current)`:
/// nothing when equal; else one change "content" (digests before -> after, with the unified
/// diff) whose act writes the new content atomically through the host door, keeping the file's
/// mode and owner. A missing file is fine when `missing_ok` (nothing to remove), else an error
/// naming it. `what` names the editor in errors ("line", "ini").
/// What an edit of `path` follows: the folders above it and a file or template that makes it.
std::vector<std::string> edited_file_deps(const std::string& path);

Status converge_edited_file(engine::ConvergeContext& ctx, const std::string& path, std::string_view what,
                            bool missing_ok, const std::function<Result<std::string>(const std::string&)>& edit);

}  // namespace roux::resources
