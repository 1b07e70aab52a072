#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/graph.h"
#include "engine/verify.h"

namespace roux::report {

/// One resource in a run: what it is, what happened, what changed. Plain data; values are
/// already redacted for sensitive resources.
struct ResourceReport {
  std::string type, name, id;
  std::string status;             // unchanged | changed | would_change | failed | skipped
  /// What the changes do to the resource, for people and tools alike (action_of):
  ///   none     no change recorded
  ///   create   it did not exist (ensure/to: absent -> something)
  ///   delete   it goes away (ensure: something -> absent or purged)
  ///   replace  one kind of thing gives way to another (ensure: link -> file; a file -> a link)
  ///   change   it exists before and after; some property differs
  std::string action = "none";
  /// Why it changes, when the last run's record says: "policy" (its desired state differs from
  /// the last run's), "drift" (same desired state, so the host moved), "" (unknown, or unchanged).
  std::string cause;
  /// Digest of the resource's desired state as compiled (Meta::desired_digest); "" when unknown.
  std::string desired;
  std::vector<engine::Change> changes;
  double duration_ms = 0;
  std::string error;
  std::string skip_reason;
  std::string output;
  std::vector<std::string> notified_by;
  /// Notifications to resources outside a targeted run's selection: not delivered (report says so).
  std::vector<std::string> undelivered_notifications;
  std::string cookbook, recipe;
  std::string composite;          // the composite that generated it ("monitoring_agent[monit]")
  bool sensitive = false;
  bool failure_ignored = false;
};

struct CookbookInfo {
  std::string name, version, source;
};

struct Totals {
  int total = 0, changed = 0, would_change = 0, unchanged = 0, failed = 0, skipped = 0;
  /// By action, counted like Terraform: a replace counts once in add and once in destroy (and
  /// once in replace); a failed resource counts by the changes it recorded before it failed.
  int add = 0, change = 0, destroy = 0, replace = 0;
};

/// Everything about one run (schemas/report.schema.json). Plain data.
struct RunReport {
  std::string run_id;             // UTC start time + pid: sortable and unique per host
  std::string roux_version;
  std::string mode;               // "apply" | "plan"
  std::string policy, policy_file, root, hostname;
  /// A published policy (client.yaml policy_name): the group the host is in ("" = a policy file).
  std::string policy_group;
  std::string start_time, end_time;  // ISO 8601 UTC
  double duration_ms = 0;
  /// Where the time went, in run order: facts, lock, compile, converge, verify (milliseconds).
  std::vector<std::pair<std::string, double>> phases_ms;
  std::vector<CookbookInfo> cookbooks;
  /// sha256 of the lockfile used ("" = versions resolved in memory, no lockfile).
  std::string lock_digest;
  /// Cookbooks whose version moved since the last recorded run: "nginx 1.2.0 -> 1.3.0",
  /// "base (new)", "old (gone)". Empty when nothing moved or no run was recorded.
  std::vector<std::string> cookbooks_moved;
  /// desired_set_digest() of the compiled policy ("" = no policy compiled): lets the next run
  /// tell drift from a policy change for the resources this run's state copy does not list.
  std::string desired_set;
  std::vector<ResourceReport> resources;
  std::vector<std::string> errors;   // run-level errors (compile errors, lock, sources)
  std::vector<engine::VerifyResult> verify;  // the recipes' verify checks, after converge
  Totals totals;
  int exit_code = 0;
  /// plan --rehearse: {"exit_code", "changes", "agrees", "differences": [...]}; null otherwise.
  nlohmann::ordered_json rehearsal;
  /// A targeted run (--only, --tags): {"only": [...], "tags": [...], "selected": N, "of": M}; null
  /// for a full run. Resources outside the selection are not in `resources`.
  nlohmann::ordered_json selection;
  /// converge --plan: {"file", "digest", "created"} of the saved plan applied; plan --out: the
  /// plan written. Null otherwise.
  nlohmann::ordered_json saved_plan;
  /// Reboot requests pending at the end of the run (reboot resources; resources/reboot.h):
  /// {"pending": true, "requests": [{"by", "action", "delay_minutes", "reason"}], "decision":
  /// "reboot" | "hold", "why" (hold), "command" (reboot)}. In a plan, what the converge would
  /// leave pending and decide. Null when nothing is pending.
  nlohmann::ordered_json reboot;
};

/// The report of one walked node: values redacted, action set (cause is left to add_graph).
ResourceReport resource_report(const engine::Node& node);
/// The action the changes make (see ResourceReport::action).
std::string action_of(const std::vector<engine::Change>& changes);

/// What the last recorded run (its report, STATE/last_run.json) says, to compare this run with.
struct PreviousRun {
  bool known = false;
  std::vector<CookbookInfo> cookbooks;
  std::unordered_map<std::string, std::string> desired;  // resource id -> desired digest
  /// The report lists only some resources (a compact state copy leaves out the unchanged ones; a
  /// targeted run lists its selection): an id it does not list is not new in the policy.
  bool partial_list = false;
  std::string desired_set;  // its desired_set ("" = not recorded)
  /// Set by the caller: the whole compiled policy's desired_set is the previous run's, so no
  /// resource's desired state moved since (every difference is drift).
  bool same_desired_set = false;
};
/// sha256 over every compiled resource's "id<TAB>desired digest<LF>", sorted by id.
std::string desired_set_digest(std::vector<std::pair<std::string, std::string>> id_desired);
/// Parses a previous report's text; `known` stays false when it is not a report.
PreviousRun parse_previous_run(std::string_view report_json);
/// "nginx 1.2.0 -> 1.3.0", "base (new)", "old (gone)" between `before` and `now`, by name.
std::vector<std::string> moved_cookbooks(const std::vector<CookbookInfo>& before, const std::vector<CookbookInfo>& now);
/// "policy" when `desired` differs from the previous run's record of `id`, or it is new there;
/// "drift" when the same; "" when unknown (no previous run, no digest). An id a partial list does
/// not hold: "drift" when the whole policy's desired set is the previous run's, else "".
std::string cause_of(const PreviousRun& previous, const std::string& id, const std::string& desired);
/// The cause to show for `r`: cause_of for a resource that changes, "" when it does not or when a
/// notification refreshed it (its "notified by" is the reason).
std::string cause_for(const PreviousRun& previous, const ResourceReport& r);

/// Fills resources and totals from a walked graph (the selected nodes only), and computes the
/// exit code. With `previous`,
/// each changed resource gets its cause.
void add_graph(RunReport& report, const engine::Graph& graph, const PreviousRun* previous = nullptr);
/// 0 nothing to change; 2 changes (made or pending); 4 failures (a failed verify check counts);
/// 6 both; 1 when errors is non-empty.
int compute_exit_code(const RunReport& report);

nlohmann::ordered_json to_json(const RunReport& report);
/// The report as the files and handlers keep it: compact JSON, redacted, one line ending in a
/// newline. Serialised once per run and shared by --report, json_file and webhook. Without
/// `list_unchanged` (the state folder's copies: last_run.json, reports/RUN.json), resources that
/// are unchanged and have no error or output are left out and counted in "unchanged_not_listed"
/// (totals stay whole): a no-op of 10,000 files keeps a few hundred bytes, not 2 MB.
std::string report_json_text(const RunReport& report, bool list_unchanged = true);
/// report_json_text(report, list_unchanged) handed to `out` in pieces (the header, then each
/// resource, then the rest), redacted as they go (redact::Stream): the same bytes, never the
/// whole text in memory (megabytes after a converge that wrote thousands of files). The first
/// error `out` returns stops it and is returned.
Status write_report_json(const RunReport& report, bool list_unchanged,
                         const std::function<Status(std::string_view)>& out);
/// The run summary kept in the history (one line per run): totals and changed ids, no values.
nlohmann::ordered_json to_history_json(const RunReport& report);
/// Text for people (docs/output.md): the header, each changed/failed/skipped resource with
/// before -> after and diffs, then the summary. `color` adds ANSI colours. The same text as
/// format_header + format_resource of each resource in report order + format_footer.
std::string format_text(const RunReport& report, bool color);
/// "roux plan: policy NAME, lock sha256:..." and the cookbooks that moved (one line each).
std::string format_header(const RunReport& report, bool color);
/// One resource's block ("" for an unchanged one): "  + file[/etc/motd]" and its changes.
std::string format_resource(const ResourceReport& r, bool color);
/// Verify results, run errors, the summary line and the rehearsal's verdict.
std::string format_footer(const RunReport& report, bool color);
/// "2 to add, 1 to change, 0 to destroy, 0 failed; 3 unchanged" (plan) or "2 added, 1 changed,
/// 0 destroyed, 0 failed; 3 unchanged" (apply), ", 1 skipped" when any.
std::string summary_counts(const RunReport& report);

/// "2026-11-21T20:15:00.123Z" for now.
std::string now_iso8601();

}  // namespace roux::report
