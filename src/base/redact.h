#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace roux::redact {

// The run's known secret plaintexts, scrubbed from every text roux emits (reports, logs,
// errors, handler payloads): defence in depth behind the per-resource `sensitive` flag.
// Process-global; thread-safe.

inline constexpr std::string_view kMask = "(secret)";

/// Remembers `plaintext` (and the stable core of its base64 at every alignment, and each of
/// its lines), each also in every escaped form roux may print it in: JSON string escaping
/// (once and twice), one_line() escaping, shell single- and double-quoting. Values shorter
/// than 4 bytes are ignored: masking them would shred every text.
void add_secret(std::string_view plaintext);
/// `text` with every known secret replaced by kMask. Cheap when no secret is known.
std::string redact(std::string_view text);
/// The same, reusing `text`'s buffer: no copy of a large text (a report) when no secret is in it.
std::string redact_owned(std::string text);
/// redact() of a text given in pieces, for a text too large to hold whole (a report of thousands
/// of changed files): put() each piece in order, then finish(). `out` receives the redacted text
/// in pieces, exactly the bytes redact(whole text) would return: each secret's last bytes wait
/// for the next piece, so a secret split between pieces is masked too. The secrets known at
/// construction are used. The first error `out` returns stops the stream and is returned.
class Stream {
 public:
  using Sink = std::function<Status(std::string_view)>;
  explicit Stream(Sink out);
  Status put(std::string_view piece) { return feed(0, piece); }
  Status finish();

 private:
  /// Stage k masks needle k (redact's order: longest first) and hands its output to stage k + 1.
  Status feed(size_t stage, std::string_view piece);
  std::vector<std::string> needles_;
  std::vector<std::string> held_;  // per stage: the tail that may begin a secret
  Sink out_;
};
/// True when `text` contains a known secret (so a value built from it is sensitive).
bool contains_secret(std::string_view text);
/// Forgets every secret (tests).
void clear();

/// The escaped forms add_secret() also masks: `s` inside a JSON string ("\"" and "\\",
/// control characters as \n or \u00XX, UTF-8 kept), one_line() ("\n", "\t"), inside shell
/// single quotes ("'\''") and inside shell double quotes (\ before " \ $ `).
std::string escape_json(std::string_view s);
std::string escape_one_line(std::string_view s);
std::string escape_shell_single(std::string_view s);
std::string escape_shell_double(std::string_view s);

/// `url` without the credentials of its authority: "https://user:pw@host/p" ->
/// "https://host/p" (any "SCHEME://", also "git+https://"). Credentials are "user:password@",
/// or a bare "token@" over http(s); an ssh login ("git+ssh://git@host/") is no secret and kept.
/// Other text is returned as is.
std::string strip_url_credentials(std::string_view url);
/// `url` for a message: "SCHEME://HOST[:PORT]/..." with credentials, path, query and fragment
/// left out (a webhook's path or query often is its token). Not a URL: "(url)".
std::string url_for_display(std::string_view url);
/// The password of `url`'s credentials ("" when none); the compiler hands it to add_secret().
std::string url_password(std::string_view url);
/// Whether some URL inside `text` (each "SCHEME://", up to a blank, a quote, a bracket or a
/// comma) carries credentials, as strip_url_credentials would remove them. For files roux
/// would otherwise copy to disk (the parsed-recipe cache).
bool has_url_credentials(std::string_view text);

}  // namespace roux::redact
