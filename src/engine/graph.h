#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/resource.h"

namespace roux::engine {

/// Outcome of a node. Encoded state:
///   kPending      not visited yet
///   kUnchanged    observed; nothing differed
///   kChanged      differences applied (apply mode)
///   kWouldChange  differences found (plan mode); nothing applied
///   kFailed       converge or refresh returned an error
///   kSkipped      a guard said no, or a dependency failed (skip_reason says which)
enum class NodeStatus { kPending, kUnchanged, kChanged, kWouldChange, kFailed, kSkipped };
const char* status_name(NodeStatus s);

struct Node;

/// A notification edge: refresh `target` with `action` when the owner changes.
struct Notify {
  Node* target = nullptr;
  bool immediately = false;
  std::string action;  // "" = the target's default ("restart" for services, "run" for exec)
};

/// A resource in this run, its edges and its outcome. Owned by Graph.
struct Node {
  size_t index = 0;                // declaration order = stable report order
  std::unique_ptr<Resource> resource;
  SourceLocation where;            // where the recipe declared it
  std::vector<Node*> deps;         // converge after these ("requires" is a C++20 keyword)
  std::vector<Notify> notifies;    // refresh these if we changed

  // Outcome, filled by the runner.
  NodeStatus status = NodeStatus::kPending;
  std::string skip_reason;         // "dependency file[/a] failed", "only_if `test -f x` exited 1"
  std::string error;
  bool failure_ignored = false;    // failed with ignore_failure: does not fail the run
  std::vector<Change> changes;
  std::string output;
  std::vector<std::string> notified_by;  // who refreshed us
  double duration_ms = 0;
  int attempts = 0;
  bool guard_predicted = false;    // a guard ran on a host the plan had not reached (plan only)
  /// False when a targeted run (--only, --tags) left this node out: the runner never visits it
  /// and the report leaves it out.
  bool selected = true;
  /// Notifications this node would have sent to a target outside the selection ("service[nginx]",
  /// or "service[nginx] (reload)" with an action): not delivered, reported.
  std::vector<std::string> undelivered;
};

/// What a targeted run converges: resources by id, and resources carrying one of the tags (their
/// own tags:, their recipe's tags:, the cookbook name and "cookbook::recipe"). Empty = everything.
struct Selection {
  std::vector<std::string> only;
  std::vector<std::string> tags;
  bool empty() const { return only.empty() && tags.empty(); }
};

/// The compiled run. The compiler fills it, the engine walks it, and neither knows the other.
/// Not thread-safe.
class Graph {
 public:
  /// Adds a node. A duplicate id is an error naming both places.
  Result<Node*> add(std::unique_ptr<Resource> r, SourceLocation where);
  /// `node` converges after `dep`. Self-edges are ignored; duplicates are merged.
  void add_dep(Node* node, Node* dep);
  void add_notify(Node* from, Notify n);
  /// Adds an edge for every implicit dependency whose node exists.
  void add_implicit_edges();
  /// "dependency cycle: file[/a] -> file[/b] -> file[/a]", the first cycle found, or OK.
  Status verify_acyclic() const;
  /// An immediate notification refreshes its target at once, before the target's own turn: every
  /// dependency of the target must then already have converged, so it must be a dependency of
  /// the notifier (directly or not). The first violation, named, or OK.
  Status verify_immediate_notifications() const;
  /// Nodes in a stable topological order (declaration order breaks ties).
  std::vector<Node*> topological_order() const;

  /// Marks the nodes of `sel` and everything they require, transitively, as selected, and every
  /// other node as not. Errors: an id that names no resource ("no resource service[ngnix] in the
  /// policy; did you mean service[nginx]?"), a tag no resource carries. Returns the number of
  /// nodes selected. An empty selection selects everything.
  Result<size_t> select(const Selection& sel);

  Node* find(std::string_view id) const;
  /// Room for `count` nodes in all: a compile that knows its resources adds them without
  /// regrowing the id table (rehashing 10,000 ids a dozen times).
  void reserve(size_t count) {
    nodes_.reserve(count);
    by_id_.reserve(count);
  }
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  // Looked up by string_view without a copy (find() runs for every implicit dependency).
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Node*, IdHash, std::equal_to<>> by_id_;
};

}  // namespace roux::engine
