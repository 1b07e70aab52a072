#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/value.h"
#include "report/handlers/handlers.h"
#include "resources/reboot.h"
#include "sources/http.h"
#include "sources/source.h"

namespace roux::cli {

/// /etc/roux/client.yaml: what a bare `roux converge` runs. Every key is optional.
struct ClientConfig {
  std::string policy;                 // policy file or folder
  std::string policy_name;            // or: a policy published in the first supermarket of sources
  std::string policy_group;           //   and the group that selects its revision ("" = default)
  std::vector<std::string> sources;   // cookbook sources
  std::string state_dir;              // default /var/lib/roux
  std::vector<std::string> trusted_keys;  // Ed25519 public key files trusted for signed cookbooks
  std::string ca_bundle;              // HTTPS CA bundle file for supermarket sources
  std::string secret_key;             // X25519 private key (PEM) that opens ENC[roux,...] secrets
  std::vector<report::HandlerConfig> handlers;  // report handlers (history always runs)
  sources::TransferLimits http;       // http: {timeout, connect_timeout, low_speed_limit, low_speed_time}
  sources::GitOptions git;            // git: {netrc, credential_helper, ssh_key, ssh_passphrase_file, known_hosts}
  std::optional<int64_t> apt_update_max_age_s;  // apt_update: {max_age: 1d}: refresh apt's lists when older
  std::string log_level;              // debug | info | warn | error ("" = warn; -v/-q/--log-level win)
  resources::RebootPolicy reboot;     // reboot: {allow: true, command: [ARGV...]}: may a converge reboot
  bool syslog = true;                 // syslog: false: no closing syslog record (docs/output.md)
};

/// "3600", "90s", "30m", "12h", "1d", "2w" -> seconds (1 s to 10 years); nullopt when malformed.
std::optional<int64_t> parse_duration_seconds(std::string_view text);

/// Reads the `handlers:` list (handler_config.cc); the first error at file:line:col.
Status parse_handler_configs(const engine::Value& list, std::vector<report::HandlerConfig>* out);

/// Reads the client config at `path`; a missing file is an empty config. Unknown keys and wrong
/// types are errors at file:line:col.
Result<ClientConfig> load_client_config(const std::string& path);
/// The same, from the text of a config (`path` names it in errors).
Result<ClientConfig> parse_client_config(const std::string& text, const std::string& path);

}  // namespace roux::cli
