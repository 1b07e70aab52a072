#pragma once
// sysctl (sysctl.cc): pure helpers, exposed for unit tests.
#include <string>
#include <string_view>

namespace roux::resources {

/// A value as the kernel compares it: words separated by one space ("4096\t87380  6291456\n" ->
/// "4096 87380 6291456").
std::string normalize_sysctl_value(std::string_view value);
/// A dotted kernel parameter name: letters, digits, "_" and "-" between single dots.
bool is_valid_sysctl_key(std::string_view key);

}  // namespace roux::resources
