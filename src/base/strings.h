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
/// The candidate closest to `word` by edit distance (Levenshtein), when it is close enough to be
/// a likely typo (at most a third of the word's length, at least 1); "" otherwise.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
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

/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong form, no surrogate,
/// nothing above U+10FFFF) that starts `s`, or 0 when `s` does not start with one.
size_t utf8_sequence_length(std::string_view s);
bool is_valid_utf8(std::string_view s);
/// `s` as valid UTF-8: well-formed sequences are kept as they are, and every other byte is read
/// as Latin-1, its own code point (0xE9 becomes "\u00e9", e with an acute accent). This is the
/// rule for every JSON roux writes (docs/security.md: "Output encoding").
std::string utf8_or_latin1(std::string_view s);
/// `s` for a terminal or a log line: bytes as they are (UTF-8 or not), except control characters
/// (C0 other than newline and tab, and DEL), written as \xNN so text from the host (a command's
/// output, a file name) cannot move the cursor, recolour or clear the screen.
std::string escape_controls(std::string_view s);

}  // namespace roux
