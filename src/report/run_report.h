#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/graph.h"
#include "engine/verify.h"

namespace roux::report {

/// One resource in a run: what it is, what happened, what changed. Plain data; values are
/// already redacted for sensitive resources.
struct ResourceReport {
  std::string type, name, id;
  std::string status;             // unchanged | changed | would_change | failed | skipped
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
};

/// Everything about one run (schemas/report.schema.json). Plain data.
struct RunReport {
  std::string run_id;             // UTC start time + pid: sortable and unique per host
  std::string roux_version;
  std::string mode;               // "apply" | "plan"
  std::string policy, policy_file, root, hostname;
  std::string start_time, end_time;  // ISO 8601 UTC
  double duration_ms = 0;
  /// Where the time went, in run order: facts, lock, compile, converge, verify (milliseconds).
  std::vector<std::pair<std::string, double>> phases_ms;
  std::vector<CookbookInfo> cookbooks;
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
};

/// Fills resources and totals from a walked graph (the selected nodes only), and computes the
/// exit code.
void add_graph(RunReport& report, const engine::Graph& graph);
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
/// The run summary kept in the history (one line per run): totals and changed ids, no values.
nlohmann::ordered_json to_history_json(const RunReport& report);
/// Text for people: changed/failed/skipped resources with before -> after and diffs, then a
/// summary line ("3 changed, 120 unchanged, 0 failed"). `color` adds ANSI colours.
std::string format_text(const RunReport& report, bool color);

/// "2026-11-21T20:15:00.123Z" for now.
std::string now_iso8601();

}  // namespace roux::report
