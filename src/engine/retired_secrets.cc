#include "engine/retired_secrets.h"

#include "base/strings.h"

namespace roux::engine {
namespace {

constexpr const char* kHidden = "(sensitive)";

bool node_sensitive(const Node& n) { return n.resource->meta().sensitive || n.resource->is_always_sensitive(); }

/// A unified diff without its removed lines (only the old, secret content has them): headers,
/// hunk headers, context lines (in the new content too) and added lines stay.
std::string without_removed_lines(const std::string& diff) {
  std::string out;
  bool in_hunks = false;
  size_t hidden = 0;
  for (const auto& line : split_lines(diff)) {
    if (line.rfind("@@", 0) == 0) in_hunks = true;
    if (in_hunks && !line.empty() && line[0] == '-') {
      ++hidden;
      continue;
    }
    out += line + "\n";
  }
  if (hidden > 0) out += "(" + std::to_string(hidden) + " removed line" + (hidden == 1 ? "" : "s") +
                         " hidden: the previous content was sensitive)\n";
  return out;
}

}  // namespace

std::set<std::string> load_sensitive_names(const host::Host& host, const std::string& state_dir) {
  std::set<std::string> out;
  auto text = host.read_file(state_dir + "/" + kSensitivePathsFile, 16 << 20);
  if (!text.is_ok()) return out;
  for (const auto& line : split_lines(*text))
    if (!line.empty()) out.insert(line);
  return out;
}

void hide_retired_secrets(const Node& node, std::vector<Change>& changes, const std::set<std::string>& names) {
  if (names.empty() || node_sensitive(node) || !names.count(node.resource->name())) return;
  for (auto& c : changes) {
    if (c.is_public) continue;
    if (!c.before.empty()) c.before = kHidden;
    if (!c.diff.empty()) c.diff = without_removed_lines(c.diff);
  }
}

void hide_retired_secrets(Graph& graph, const std::set<std::string>& names) {
  if (names.empty()) return;
  for (auto& n : graph.nodes()) hide_retired_secrets(*n, n->changes, names);
}

Status record_sensitive_names(host::Host& host, const std::string& state_dir, const Graph& graph,
                              const std::set<std::string>& names) {
  std::set<std::string> next = names;
  std::set<std::string> sensitive_now;
  for (const auto& n : graph.nodes())
    if (node_sensitive(*n)) sensitive_now.insert(n->resource->name());
  for (const auto& n : graph.nodes()) {
    if (node_sensitive(*n) || n->status != NodeStatus::kChanged || sensitive_now.count(n->resource->name())) continue;
    for (const auto& c : n->changes)
      if (c.property == "content" && !c.is_public) next.erase(n->resource->name());
  }
  next.insert(sensitive_now.begin(), sensitive_now.end());
  if (next == names) return Status::ok();
  std::string text;
  for (const auto& name : next)
    if (name.find('\n') == std::string::npos) text += name + "\n";
  return host.write_file(state_dir + "/" + kSensitivePathsFile, text, 0600, std::nullopt, std::nullopt);
}

}  // namespace roux::engine
