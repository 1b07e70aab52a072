#pragma once
// The pure parts of `roux bootstrap` (bootstrap.cc), apart so unit tests reach them: the client
// config it writes and whether an existing one may be kept, replaced or must be refused, and the
// pass loop's verdict.
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/source.h"

namespace roux::cli {

/// What bootstrap puts in client.yaml. Paths are as the host sees them (inside --root).
struct BootstrapConfig {
  std::string source;                     // the supermarket URL
  std::string policy_name, policy_group;  // group "" = the default group
  std::vector<std::string> trusted_keys;  // e.g. /etc/roux/trusted/team.pub
  sources::GitOptions git;                // git: settings (bootstrap --config), written when set
  /// bootstrap --config: its other settings (ca_bundle, http, handlers, reboot, ...), each
  /// (key, YAML text of that one key), in the file's order; written after git:.
  std::vector<std::pair<std::string, std::string>> settings;
  bool from_config = false;               // --config was given: its settings count in decide_config
};

/// The settings of client config `text` that bootstrap does not write from its own arguments
/// (all but sources, policy, policy_name, policy_group, trusted_keys and git): (key, YAML text
/// of that one key), in the file's order. The text must be a valid client config.
Result<std::vector<std::pair<std::string, std::string>>> other_config_settings(const std::string& text,
                                                                                 const std::string& path);

/// The client.yaml text for `c`: deterministic (no date), so a second bootstrap with the same
/// arguments writes the same bytes.
std::string render_bootstrap_config(const BootstrapConfig& c);

enum class ConfigAction {
  kWrite,      // no config yet
  kKeep,       // a config that already says the same (sources, policy, group, keys): left as it is
  kOverwrite,  // a different config, replaced because of --force
};

/// Decides what to do with the existing config text at `path` (nullopt: none). A config that
/// differs in what bootstrap sets (sources, policy/policy_name, policy_group, trusted_keys), or
/// that does not parse, is refused (kConflict naming each difference and --force) unless `force`.
/// Other keys (handlers, http, secret_key) do not count, unless `want.from_config` (bootstrap
/// --config: then each differing key is named): a kept config keeps them. A config that
/// sets nothing at all (the commented example the Debian package installs) is simply written.
Result<ConfigAction> decide_config(const std::optional<std::string>& existing, const std::string& path,
                                   const BootstrapConfig& want, bool force);

/// One converge pass as the loop sees it.
struct PassOutcome {
  int exit_code = 0;                   // converge's: 0, 1, 2, 4, 6
  std::vector<std::string> changed;    // resource ids changed by this pass
  std::vector<std::string> failed;     // resource ids that failed
  double duration_ms = 0;
};

/// Whether to run another pass after `passes` (the last one just ran): only when the last pass
/// changed something, could run (exit 2 or 6), and fewer than `max_passes` ran.
bool another_pass(const std::vector<PassOutcome>& passes, int max_passes);

/// The loop's result: settled (the last pass changed nothing) and the exit code, as converge's:
/// 1 when the last pass could not run; else 2 if any pass changed something, plus 4 when the last
/// pass had failures (failed resources or verify checks) or the policy never settled.
struct LoopVerdict {
  bool settled = false;
  int exit_code = 0;
};
LoopVerdict judge_passes(const std::vector<PassOutcome>& passes);

}  // namespace roux::cli
