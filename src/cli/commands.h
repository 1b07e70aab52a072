#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace roux::cli {

/// Options shared by converge and plan.
struct ConvergeOptions {
  std::string policy;                 // FILE or folder holding policy.yaml
  std::vector<std::string> sources;   // --source, searched before the policy's own
  std::vector<std::string> trust;     // --trust KEY.pub, added to the config's trusted_keys
  bool dry_run = false;
  std::string root = "/";
  std::string format = "text";
  std::string report_file;
  int splay = 0;
  int lock_wait = 0;
  std::string node_attributes;        // -j FILE.json
  std::string state_dir = "/var/lib/roux";
  std::string config = "/etc/roux/client.yaml";
  std::string color = "auto";         // --color auto|always|never
  bool no_color = false;              // --no-color (= --color never)
  bool quiet = false;                 // --quiet: the summary and errors only (set by the verbosity flags)
  std::string secret_key;             // --secret-key (else the client config's secret_key:)
  std::string ca_bundle;              // --ca-bundle (else the client config's ca_bundle:)
  bool verify_only = false;           // roux verify: compile, run the verify checks, converge nothing
  bool rehearse = false;              // plan --rehearse: also run the real converge in a throwaway overlay
};

/// Where roux keeps what it must trust across runs (supermarket serials) for a run on `root`: the
/// host's own state folder `real_state` when root is "/", else (a --root tree is someone else's
/// image, never trusted) this user's XDG_CACHE_HOME/roux or ~/.cache/roux; "" when neither is set.
std::string trusted_dir_for(const std::string& root, const std::string& real_state);

/// Each command adds itself to the app and returns the exit code through `*exit_code`.
void add_converge_commands(CLI::App& app, int* exit_code);
void add_validate_command(CLI::App& app, int* exit_code);
void add_facts_command(CLI::App& app, int* exit_code);
/// `roux secret keygen|encrypt|decrypt` (secret.cc).
void add_secret_commands(CLI::App& app, int* exit_code);
/// `roux history` and `roux report RUN_ID` (history.cc).
void add_history_commands(CLI::App& app, int* exit_code);
/// `roux lock`, `roux update [NAME...]`, `roux fetch` (lock.cc).
void add_lock_commands(CLI::App& app, int* exit_code);
/// `roux keygen` and `roux supermarket publish|mirror|search|show|sign` (supermarket.cc).
void add_supermarket_commands(CLI::App& app, int* exit_code);

}  // namespace roux::cli
