#pragma once
// ini (ini.cc): one `key = value` in a section of an ini file roux does not own. Pure edit,
// exposed for tests.
#include <string>

#include "base/status.h"

namespace roux::resources {

struct IniSpec {
  bool absent = false;
  std::string section;         // "" = the lines before the first [section]
  std::string key, value;
  std::string separator = " = ";
};

/// `content` with the spec applied. Sections are `[name]` lines (blanks around allowed); a
/// setting is a line `key = value` (blanks around key and value ignored; lines starting with
/// ";" or "#" are comments). Only the first section of that name is edited.
/// - present: the first setting of `key` in the section gets `value` (unchanged when its value is
///   already that, whatever its spacing); else `key SEP value` is added after the section's last
///   non-blank line; a missing section is added at the end of the file.
/// - absent: every setting of `key` in the section is removed.
/// Every other line, comments included, is kept byte for byte.
std::string edit_ini(const std::string& content, const IniSpec& spec);

}  // namespace roux::resources
