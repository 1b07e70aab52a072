#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "engine/run_lock.h"
#include "sources/supermarket.h"

namespace roux::report {
struct RunReport;
}

namespace roux::cli {

/// A held run lock (see take_state_lock).
class StateLock {
 public:
  engine::RunLock lock;
};

/// Options shared by converge and plan.
struct ConvergeOptions {
  std::string policy;                 // FILE or folder holding policy.yaml
  std::vector<std::string> sources;   // --source, searched before the policy's own
  std::vector<std::string> trust;     // --trust KEY.pub, added to the config's trusted_keys
  bool dry_run = false;
  int jobs = 0;                       // --jobs N: resources converged at once; 0 = engine::default_jobs()
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
  std::string plan_out;               // plan --out FILE: save the plan, signed (cli/plan_file.h)
  std::string plan_in;                // converge --plan FILE: apply exactly that saved plan
  int64_t plan_max_age = 86400;       // converge --plan-max-age SECONDS: older plans are refused (0 = any age)
  std::vector<std::string> only;      // --only ID: a targeted run (the resource and what it requires)
  std::vector<std::string> tags;      // --tags TAG: a targeted run (resources carrying a tag)
  std::string explain;                // roux explain ID / plan --explain ID: why ID is in the plan
  // Set by roux bootstrap, which runs converge pass after pass in its own process:
  bool caller_holds_lock = false;     // the run lock is already held (by this process)
  bool silent = false;                // print no report at all (the caller prints its own summary)
  std::string policy_group;           // the published policy's group, for the report (bootstrap)
};

/// One converge (or plan, or verify) run as `roux converge` does it; fills `*out` (when given)
/// with the run's report. Returns the exit code.
int run_converge(ConvergeOptions o, report::RunReport* out);

/// A published policy (client.yaml policy_name/policy_group, or roux bootstrap) fetched from the
/// supermarket `url`, verified, and installed in ROOT/STATE_DIR/cache/policies/NAME/policy (its
/// signed tarball kept beside, in ROOT/STATE_DIR/cache/policies/NAME, for offline runs).
/// `state_dir` is normalised and absolute inside `root`.
struct HostPolicyRequest {
  std::string url, name, group, root = "/", state_dir = "/var/lib/roux";
  std::vector<std::string> trusted_keys;
  std::string ca_bundle;
  sources::TransferLimits transfer;
  sources::GitOptions git;  // a git policy repository's credentials (client.yaml git:)
};
Result<sources::FetchedPolicy> fetch_host_policy(const HostPolicyRequest& request);

/// The first supermarket URL (http://, https://, file://) of a list of sources, or "".
/// (fetch_host_policy is also given a git policy repository, git+..., when a list has no
/// supermarket: see policy_source.)
std::string first_supermarket(const std::vector<std::string>& sources);

/// Where roux keeps what it must trust across runs (supermarket serials) for a run on `root`: the
/// host's own state folder `real_state` when root is "/", else (a --root tree is someone else's
/// image, never trusted) this user's XDG_CACHE_HOME/roux or ~/.cache/roux; "" when neither is set.
std::string trusted_dir_for(const std::string& root, const std::string& real_state);

/// The run lock for a command that writes state but converges nothing (lock, update, fetch):
/// ROOT/STATE_DIR (made 0700 when missing), then STATE_DIR/run.lock with converge's bounded wait
/// and holder message, so it never rewrites the lockfile or the cache under a running converge.
Status take_state_lock(const std::string& root, const std::string& state_dir, int wait_seconds, class StateLock* lock);

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
/// `roux bootstrap` (bootstrap.cc).
void add_bootstrap_command(CLI::App& app, int* exit_code);
/// `roux promote`, `roux policy status|diff` (promote.cc): policy groups.
void add_policy_group_commands(CLI::App& app, int* exit_code);
/// `roux keygen` and `roux supermarket publish|mirror|search|show|sign` (supermarket.cc).
void add_supermarket_commands(CLI::App& app, int* exit_code);
/// `roux doc man|bash-completion` (hidden; docgen.cc): man pages and completion generated from
/// the app as it stands when the command runs (after parsing), so every registered command.
void add_doc_commands(CLI::App& app, int* exit_code);

}  // namespace roux::cli
