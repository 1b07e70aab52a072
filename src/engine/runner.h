#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "host/host.h"

namespace roux::engine {

/// A notification a targeted run could not deliver (its target was outside the selection), kept
/// in the state folder and delivered by the next run that includes the target.
struct PendingNotification {
  std::string target, action, source;  // ids; action "" = the target's default
  bool operator==(const PendingNotification&) const = default;
};

struct RunOptions {
  Mode mode = Mode::kPlan;   // the safe zero value: plan
  std::string state_dir;     // absolute path inside the host's root
  /// Apply only (never set in a plan): the previous run was killed mid-way, so resources remove
  /// the temp file it may have left beside their path (ConvergeContext::remove_stale_temp).
  bool tidy_temps = false;
  /// Key for Change::fingerprint (saved plans); "" = none.
  std::string fingerprint_key;
  /// When set, every change is offered to it before its act runs (ConvergeContext::set_gate):
  /// a non-OK Status refuses that change. converge --plan admits only the saved plan's changes.
  std::function<Status(const Node&, const Change&)> permit;
  /// Delivered with the delayed notifications (after every node) when their target is in the
  /// graph and selected, as if its source had changed in this run.
  std::vector<PendingNotification> pending;
  /// Called after each node finishes (for progress output); may be empty.
  std::function<void(const Node&)> on_node_done;
  /// Called when a node (or a batch of `batch` nodes, led by it) starts; may be empty.
  std::function<void(const Node&, size_t batch)> on_node_start;
  /// Output of a command a resource runs, as it comes (never for a sensitive resource); may be empty.
  /// With jobs > 1 it is called from the worker running the resource, as the output comes, so
  /// calls for different nodes may come at once (from several threads) and before earlier
  /// nodes' on_node_done: it must be thread-safe.
  std::function<void(const Node&, std::string_view)> on_output;
  /// jobs > 1: called when a node starts on a worker (true, from that worker) and when its
  /// outcome is back (false, on the walking thread, always after the node's true), so a status
  /// line can show every node in progress; must be thread-safe; may be empty.
  std::function<void(const Node&, bool running)> on_node_running;
  /// Apply only: how many resources may converge at once (converge --jobs). 1 = the serial walk.
  /// With more, the walk stays on the calling thread and decides everything (readiness, failed
  /// dependencies, notifications, the order of the callbacks); workers only run one resource's
  /// guards and converge. A resource runs on a worker when its dependencies have finished and no
  /// earlier unfinished resource shares a key (Resource::concurrency_keys); a resource without
  /// keys, a batch, or one with an immediate notification runs alone, as in the serial walk.
  /// The callbacks come in the serial walk's order and the outcome is the serial walk's (except
  /// durations). A plan always walks serially (its planned host sees writes in the serial order).
  int jobs = 1;
};

/// The default of converge --jobs: the number of cores, at least 4 (workers mostly wait on
/// commands and on the disk, not on a CPU).
int default_jobs();

/// Walks `graph` in stable topological order and converges every node; then fires delayed
/// notifications once per target. Fills each node's outcome. Never stops early: a failed node
/// fails itself, its dependents are skipped with the reason, independent nodes go on.
/// Touches the host only through ConvergeContext::change(). In kPlan the walk runs against a
/// planned host over `host` (host/planned_host.h), so `host` is never written; the mode then
/// only names the outcome (would_change, not changed). Nodes not `selected` (Graph::select) are
/// never visited; a notification to one is recorded in the notifier's `undelivered`.
void converge_graph(Graph& graph, host::Host& host, const RunOptions& options);

/// The notifications to keep after walking `graph`: those of `before` whose target is still in
/// the graph but was not selected, then every notification a changed node could not deliver.
std::vector<PendingNotification> pending_after(const Graph& graph, const std::vector<PendingNotification>& before);

}  // namespace roux::engine
