#include "engine/graph.h"

#include <algorithm>
#include <functional>
#include <queue>

#include "base/strings.h"

namespace roux::engine {

const char* status_name(NodeStatus s) {
  switch (s) {
    case NodeStatus::kPending: return "pending";
    case NodeStatus::kUnchanged: return "unchanged";
    case NodeStatus::kChanged: return "changed";
    case NodeStatus::kWouldChange: return "would_change";
    case NodeStatus::kFailed: return "failed";
    case NodeStatus::kSkipped: return "skipped";
  }
  return "?";
}

Result<Node*> Graph::add(std::unique_ptr<Resource> r, SourceLocation where) {
  std::string id = r->id();
  // One probe: try_emplace leaves `id` as it was when the id is already taken.
  auto [it, inserted] = by_id_.try_emplace(std::move(id), nullptr);
  if (!inserted) {
    return Status::invalid_input("duplicate resource " + id + " (first declared at " +
                                     it->second->where.to_string() + ")",
                                 where);
  }
  auto node = std::make_unique<Node>();
  node->index = nodes_.size();
  node->resource = std::move(r);
  node->where = std::move(where);
  it->second = node.get();
  nodes_.push_back(std::move(node));
  return it->second;
}

Result<size_t> Graph::select(const Selection& sel) {
  for (auto& n : nodes_) n->selected = sel.empty();
  if (sel.empty()) return nodes_.size();
  std::vector<Node*> seeds;
  std::vector<std::string> ids;
  for (const auto& n : nodes_) ids.push_back(n->resource->id());
  for (const auto& id : sel.only) {
    Node* n = find(id);
    if (!n) {
      std::string near = closest_match(id, ids);
      return Status::not_found("--only: no resource " + one_line(id, 200) + " in the policy" +
                               (near.empty() ? std::string() : "; did you mean " + near + "?"));
    }
    seeds.push_back(n);
  }
  for (const auto& tag : sel.tags) {
    size_t before = seeds.size();
    for (const auto& n : nodes_) {
      const Meta& m = n->resource->meta();
      if (std::find(m.tags.begin(), m.tags.end(), tag) != m.tags.end() || m.cookbook == tag ||
          m.cookbook + "::" + m.recipe == tag)
        seeds.push_back(n.get());
    }
    if (seeds.size() == before) return Status::not_found("--tags: no resource carries the tag " + one_line(tag, 200));
  }
  // What a selected resource requires converges too (its preconditions), transitively.
  size_t count = 0;
  while (!seeds.empty()) {
    Node* n = seeds.back();
    seeds.pop_back();
    if (n->selected) continue;
    n->selected = true;
    ++count;
    seeds.insert(seeds.end(), n->deps.begin(), n->deps.end());
  }
  return count;
}

void Graph::add_dep(Node* node, Node* dep) {
  if (node == dep) return;
  if (std::find(node->deps.begin(), node->deps.end(), dep) != node->deps.end()) return;
  node->deps.push_back(dep);
}

void Graph::add_notify(Node* from, Notify n) {
  for (auto& existing : from->notifies) {
    if (existing.target == n.target && existing.action == n.action) {
      existing.immediately = existing.immediately || n.immediately;
      return;
    }
  }
  from->notifies.push_back(std::move(n));
}

void Graph::add_implicit_edges() {
  // Neighbours in a recipe usually share their folder, so their ancestor ids are the same list:
  // an id equal to the one at the same place in the previous node's list reuses its lookup
  // (a short compare of hot memory instead of a hash and a probe of a large table).
  std::vector<std::string> prev_ids;
  std::vector<Node*> prev_found;
  std::vector<Node*> found;
  for (auto& n : nodes_) {
    std::vector<std::string> ids = n->resource->implicit_deps();
    found.assign(ids.size(), nullptr);
    for (size_t i = 0; i < ids.size(); ++i) {
      found[i] = i < prev_ids.size() && prev_ids[i] == ids[i] ? prev_found[i] : find(ids[i]);
      if (found[i]) add_dep(n.get(), found[i]);
    }
    prev_ids = std::move(ids);
    std::swap(prev_found, found);
  }
}

Node* Graph::find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Status Graph::verify_acyclic() const {
  // Iterative DFS with colours; on a back edge, walk the stack to name the whole cycle.
  enum Colour : uint8_t { kWhite, kGrey, kBlack };
  std::vector<Colour> colour(nodes_.size(), kWhite);
  std::vector<std::pair<Node*, size_t>> stack;
  for (const auto& start : nodes_) {
    if (colour[start->index] != kWhite) continue;
    stack.push_back({start.get(), 0});
    colour[start->index] = kGrey;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->deps.size()) {
        Node* dep = node->deps[next++];
        if (colour[dep->index] == kGrey) {
          // The cycle is dep -> ... -> node -> dep along the stack; print it in "runs before" order.
          std::vector<std::string> ids;
          auto it = std::find_if(stack.begin(), stack.end(), [&](auto& p) { return p.first == dep; });
          for (; it != stack.end(); ++it) ids.push_back(it->first->resource->id());
          std::reverse(ids.begin(), ids.end());
          ids.insert(ids.begin(), dep->resource->id());
          std::string msg = "dependency cycle: ";
          for (size_t i = 0; i < ids.size(); ++i) msg += (i ? " -> " : "") + ids[i];
          return Status::invalid_input(msg, dep->where);
        }
        if (colour[dep->index] == kWhite) {
          colour[dep->index] = kGrey;
          stack.push_back({dep, 0});
        }
      } else {
        colour[node->index] = kBlack;
        stack.pop_back();
      }
    }
  }
  return Status::ok();
}

Status Graph::verify_immediate_notifications() const {
  for (const auto& from : nodes_) {
    for (const Notify& note : from->notifies) {
      if (!note.immediately) continue;
      // What `from` converges after, transitively (itself included).
      std::vector<bool> before(nodes_.size(), false);
      std::vector<const Node*> stack{from.get()};
      before[from->index] = true;
      while (!stack.empty()) {
        const Node* n = stack.back();
        stack.pop_back();
        for (const Node* d : n->deps)
          if (!before[d->index]) before[d->index] = true, stack.push_back(d);
      }
      for (const Node* d : note.target->deps) {
        if (before[d->index]) continue;
        return Status::invalid_input(from->resource->id() + ": notify " + note.target->resource->id() +
                                         " immediately: it requires " + d->resource->id() + ", which " +
                                         from->resource->id() + " does not require, so it could be refreshed before " +
                                         d->resource->id() + " has converged; add `requires: " + d->resource->id() +
                                         "` here, or notify it delayed",
                                     from->where);
      }
    }
  }
  return Status::ok();
}

std::vector<Node*> Graph::topological_order() const {
  // Kahn's algorithm; the min-heap on declaration index keeps the order stable.
  std::vector<size_t> pending(nodes_.size(), 0);
  std::vector<std::vector<Node*>> dependents(nodes_.size());
  for (const auto& n : nodes_) {
    pending[n->index] = n->deps.size();
    for (Node* d : n->deps) dependents[d->index].push_back(n.get());
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (const auto& n : nodes_)
    if (pending[n->index] == 0) ready.push(n->index);
  std::vector<Node*> order;
  order.reserve(nodes_.size());
  while (!ready.empty()) {
    Node* n = nodes_[ready.top()].get();
    ready.pop();
    order.push_back(n);
    for (Node* d : dependents[n->index])
      if (--pending[d->index] == 0) ready.push(d->index);
  }
  return order;
}

}  // namespace roux::engine
