#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "host/host.h"

namespace roux::engine {

struct RunOptions {
  Mode mode = Mode::kPlan;   // the safe zero value: plan
  std::string state_dir;     // absolute path inside the host's root
  /// Apply only (never set in a plan): the previous run was killed mid-way, so resources remove
  /// the temp file it may have left beside their path (ConvergeContext::remove_stale_temp).
  bool tidy_temps = false;
  /// Called after each node finishes (for progress output); may be empty.
  std::function<void(const Node&)> on_node_done;
  /// Called when a node (or a batch of `batch` nodes, led by it) starts; may be empty.
  std::function<void(const Node&, size_t batch)> on_node_start;
  /// Output of a command a resource runs, as it comes (never for a sensitive resource); may be empty.
  std::function<void(const Node&, std::string_view)> on_output;
};

/// Walks `graph` in stable topological order and converges every node; then fires delayed
/// notifications once per target. Fills each node's outcome. Never stops early: a failed node
/// fails itself, its dependents are skipped with the reason, independent nodes go on.
/// Touches the host only through ConvergeContext::change(). In kPlan the walk runs against a
/// planned host over `host` (host/planned_host.h), so `host` is never written; the mode then
/// only names the outcome (would_change, not changed).
void converge_graph(Graph& graph, host::Host& host, const RunOptions& options);

}  // namespace roux::engine
