#pragma once
// locale (locale.cc): pure helpers, exposed for unit tests.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roux::resources {

/// A locale name as glibc spells it: "C", "POSIX", "C.UTF-8", or LANGUAGE[_TERRITORY][.CODESET]
/// [@MODIFIER] (language 2-3 lower-case letters, territory 2-3 upper-case letters or digits,
/// codeset letters, digits and -, modifier lower-case letters and digits; at most 100 bytes):
/// en_US.UTF-8, de_DE@euro, sr_RS.UTF-8@latin, eo.UTF-8.
bool is_valid_locale_name(std::string_view name);
/// A LANGUAGE value: ":"-separated names as above without codeset (en_GB:en).
bool is_valid_language_list(std::string_view value);
/// The variables /etc/default/locale may set besides LANG: the LC_* categories glibc knows,
/// LC_ALL and LANGUAGE.
const std::vector<std::string>& locale_variables();
/// Names glibc has without generation: C, POSIX, C.UTF-8 (and C.utf8).
bool is_builtin_locale(std::string_view name);
/// How `locale -a` spells `name`: the codeset lower-cased without "-" or "_" (en_US.UTF-8 is
/// en_US.utf8), the rest as it is.
std::string normalized_locale_name(std::string_view name);
/// The charset /usr/share/i18n/SUPPORTED gives `name` ("en_US.UTF-8 UTF-8"), or "" when it is
/// not listed.
std::string supported_charset(std::string_view supported, std::string_view name);
/// /etc/locale.gen with every (NAME, CHARSET) of `wanted` enabled: an uncommented line naming it
/// is kept; else the first commented "# NAME CHARSET" line is uncommented; else "NAME CHARSET"
/// is added at the end. Every other line is kept as it is.
std::string locale_gen_with(std::string_view text, const std::vector<std::pair<std::string, std::string>>& wanted);

}  // namespace roux::resources
