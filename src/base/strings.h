#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace roux {

std::vector<std::string> split(std::string_view s, char sep);
std::vector<std::string> split_lines(std::string_view s);
std::string_view trim(std::string_view s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view s, std::string_view prefix);
/// "0644" from 0644.
std::string format_mode(uint32_t mode);
/// True when `data` looks binary (a NUL byte, or invalid UTF-8 in its first 8 KiB).
bool looks_binary(std::string_view data);
/// `s` shortened to at most `max` bytes with a "... (N bytes total)" note.
std::string truncate_for_display(std::string_view s, size_t max);
/// True when `s` holds a NUL, a line break, a tab or another control character (< 0x20, 0x7f):
/// never right in a path, a name or a one-line field.
bool has_control_char(std::string_view s);
/// Quotes for display in a one-line summary: line breaks, NUL and other control characters escaped
/// (\n, \0, \x1b), long values cut.
std::string one_line(std::string_view s, size_t max = 60);

}  // namespace roux
