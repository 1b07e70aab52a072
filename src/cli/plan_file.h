// Saved plans: `roux plan --out PLAN` writes one, `roux converge --plan PLAN` applies exactly it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/graph.h"
#include "host/host.h"

namespace roux::cli {

/// One change of a saved plan: what a property of a resource was seen as, and what it becomes.
/// `before`/`after` are the display values (redacted when sensitive); `fingerprint` pins the real
/// values (engine::Change::fingerprint, an HMAC under the host's plan key), so a sensitive value
/// that moved is caught without ever being written down.
struct PlannedChange {
  std::string id, property, before, after, fingerprint;
};

/// The content of a saved plan file (format "roux-plan/1", a JSON object; docs/operations.md).
/// Plain data.
struct SavedPlan {
  std::string roux_version, host, root, state_dir;
  std::string created;            // ISO 8601 UTC
  int64_t created_unix = 0;
  std::string policy, policy_file;
  std::string policy_digest;      // plan_policy_digest() of the compiled policy
  std::string lock_digest;        // sha256 of the lockfile, or "none" (resolved in memory)
  engine::Selection selection;    // the targeted run the plan was made for (empty = everything)
  std::vector<PlannedChange> changes;
  /// sha256 of the signed body: the plan's name in reports ("applied plan 3f2a...").
  std::string digest;
};

/// The host's plan key (STATE/plan.key: 64 hex digits, 0600, made from 32 random bytes by
/// OpenSSL on first use when `create`). Saved plans are signed with it (HMAC-SHA-256), so a plan
/// file cannot be edited unnoticed, and only this host (and root tree) accepts its plans.
/// Errors: no key and !create (kNotFound), a key file that is not one, I/O.
Result<std::string> load_plan_key(host::Host& host, const std::string& state_dir, bool create);

/// The plan file's text: the plan as JSON with its "digest" (sha256) and "hmac" (under `key`)
/// of the body. Sets plan.digest.
std::string write_plan_text(SavedPlan& plan, const std::string& key);

/// Parses and checks a plan file's text: its format, digest and HMAC under `key`. Every refusal
/// names `file`: "PLAN: not a roux plan file", "PLAN: the plan file was modified after it was
/// written (its signature does not match); make a new plan". Checks nothing about the host.
Result<SavedPlan> read_plan_text(std::string_view text, const std::string& key, const std::string& file);

/// The changes of the selected nodes of a walked graph, in report order, with every known secret
/// masked (base/redact.h) as in the report.
std::vector<PlannedChange> planned_changes(const engine::Graph& graph);

/// Every difference between a saved plan's changes and a fresh plan's, each on one line:
///   "file[/etc/motd] content: before is now sha256:... (3 bytes); the plan saw sha256:... (5 bytes)"
///   "file[/etc/motd] mode: no longer needed (0644 -> 0600 is in the plan)"
///   "file[/etc/motd] mode: needed now, not in the plan (0644 -> 0600)"
/// Empty when they agree (the same multiset of (id, property, fingerprint)).
std::vector<std::string> compare_changes(const std::vector<PlannedChange>& saved,
                                         const std::vector<PlannedChange>& fresh);

}  // namespace roux::cli
