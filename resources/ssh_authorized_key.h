#pragma once
// ssh_authorized_key (ssh_authorized_key.cc): pure helpers, exposed for unit tests.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roux::resources {

/// One key line of an authorized_keys file: `[options] type base64 [comment]` (sshd(8),
/// AUTHORIZED_KEYS FILE FORMAT). `options` is the option field as written (comma-separated,
/// quotes kept), "" when there is none.
struct AuthorizedKeyLine {
  std::string options, type, key, comment;
};

/// The key types sshd accepts in authorized_keys (OpenSSH 9), certificates and FIDO keys included.
const std::vector<std::string>& known_ssh_key_types();
bool is_known_ssh_key_type(std::string_view type);

/// Parses one line; nullopt for a blank line, a comment, or anything that is not a key line
/// (kept verbatim by the resource, never rewritten).
std::optional<AuthorizedKeyLine> parse_authorized_key_line(std::string_view line);

/// Checks the base64 body of a key: it decodes (OpenSSL's decoder) and the blob names `type`
/// (its first field is the key type as a length-prefixed string, RFC 4253 6.6). "" when good,
/// else why not.
std::string check_ssh_key_body(std::string_view type, std::string_view key);

/// Checks one option ("no-pty", `from="10.0.0.0/8"`, `command="/bin/backup --x"`): a name of
/// letters, digits and "-", optionally `="value"` with no unescaped quote inside and no control
/// character. "" when good, else why not.
std::string check_ssh_key_option(std::string_view option);

/// The line roux writes: options joined by ",", type, key, comment (each part only if not empty).
std::string format_authorized_key_line(const std::vector<std::string>& options, const std::string& type,
                                       const std::string& key, const std::string& comment);

/// The file's content with the key `type`+`key` present as `line` (the first line holding that
/// key is replaced in place, later duplicates dropped, or `line` appended when none holds it), or
/// absent (every line holding it dropped). Every other line is kept byte for byte.
std::string edit_authorized_keys(std::string_view content, const std::string& type, const std::string& key,
                                 const std::string* line);

}  // namespace roux::resources
