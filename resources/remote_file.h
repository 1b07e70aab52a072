#pragma once
// remote_file (remote_file.cc): pure helpers, exposed for unit tests.
#include <optional>
#include <string>
#include <string_view>

namespace roux::resources {

/// "sha256:HEX" (64 hex digits, any case) -> lower-case HEX; "none" -> "" (the explicit opt-out);
/// anything else -> nullopt with the reason in `*why`.
std::optional<std::string> parse_sha256_checksum(std::string_view text, std::string* why);

}  // namespace roux::resources
