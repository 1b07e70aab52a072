#pragma once
// remote_file (remote_file.cc): pure helpers, exposed for unit tests.
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sources/http.h"

namespace roux::resources {

/// "sha256:HEX" (64 hex digits, any case) -> lower-case HEX; "none" -> "" (the explicit opt-out);
/// anything else -> nullopt with the reason in `*why`.
std::optional<std::string> parse_sha256_checksum(std::string_view text, std::string* why);

/// The download of remote_file, shared with archive: fetch_url(req) and, when the answer is a
/// 200 and `sha256` is not empty, a refusal (kConflict, "nothing was written") of a body whose
/// SHA-256 differs from it. A 304 is returned as it came.
Result<sources::FetchResponse> fetch_verified(const sources::FetchRequest& req, const std::string& sha256);

}  // namespace roux::resources
