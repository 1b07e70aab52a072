#pragma once
#include <string>
#include <string_view>

namespace roux::redact {

// The run's known secret plaintexts, scrubbed from every text roux emits (reports, logs,
// errors, handler payloads): defence in depth behind the per-resource `sensitive` flag.
// Process-global; thread-safe.

inline constexpr std::string_view kMask = "(secret)";

/// Remembers `plaintext` (and the stable core of its base64 at every alignment, and each of
/// its lines). Values shorter than 4 bytes are ignored: masking them would shred every text.
void add_secret(std::string_view plaintext);
/// `text` with every known secret replaced by kMask. Cheap when no secret is known.
std::string redact(std::string_view text);
/// True when `text` contains a known secret (so a value built from it is sensitive).
bool contains_secret(std::string_view text);
/// Forgets every secret (tests).
void clear();

}  // namespace roux::redact
