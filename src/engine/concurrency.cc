#include "engine/concurrency.h"

#include <algorithm>
#include <optional>

#include "base/strings.h"

namespace roux::engine {

bool path_covers(std::string_view w, std::string_view k) {
  if (k.size() < w.size() || k.compare(0, w.size(), w) != 0) return false;
  return k.size() == w.size() || w == "/" || k[w.size()] == '/';
}

bool keys_collide(const Resource::Keys& a, const Resource::Keys& b) {
  for (const auto& l : a.lanes)
    if (std::find(b.lanes.begin(), b.lanes.end(), l) != b.lanes.end()) return true;
  auto one_way = [](const Resource::Keys& x, const Resource::Keys& y) {
    for (const auto& w : x.writes) {
      for (const auto& k : y.writes)
        if (path_covers(w, k)) return true;
      for (const auto& k : y.reads)
        if (path_covers(w, k)) return true;
    }
    return false;
  };
  return one_way(a, b) || one_way(b, a);
}

std::string link_target_path(std::string_view link_path, std::string_view to) {
  std::string joined = !to.empty() && to[0] == '/' ? std::string(to) : host::parent_path(link_path) + "/" + std::string(to);
  std::vector<std::string> parts;
  for (auto& p : split(joined, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  return "/" + join(parts, "/");
}

KeyResolver::KeyResolver(const host::Host& host, std::vector<std::pair<std::string, std::string>> links)
    : host_(host), links_(std::move(links)) {}

void KeyResolver::invalidate() {
  real_parent_.clear();
  ++epoch_;
}

std::optional<std::string> KeyResolver::host_path(const std::string& path) {
  if (path.size() < 2 || path[0] != '/') return std::nullopt;
  const size_t slash = path.rfind('/');
  std::string_view dir = slash == 0 ? std::string_view("/") : std::string_view(path).substr(0, slash);
  auto it = real_parent_.find(dir);
  if (it == real_parent_.end()) {
    std::string real = host_.real_path(path);  // resolves the folder, keeps the last name
    it = real_parent_.emplace(std::string(dir), host::parent_path(real)).first;
  }
  if (it->second == dir) return std::nullopt;  // the common case: the folder is its own real path
  return (it->second == "/" ? "" : it->second) + path.substr(slash);
}

void KeyResolver::expand(std::vector<std::string>& paths) {
  // Few paths per resource: a linear look for repeats costs less than a set of copies.
  auto add = [&](std::string p) {
    if (std::find(paths.begin(), paths.end(), p) == paths.end()) paths.push_back(std::move(p));
  };
  size_t start = 0;
  for (int round = 0; round < 8 && start < paths.size(); ++round) {
    size_t end = paths.size();
    for (size_t i = start; i < end; ++i) {
      for (const auto& [from, to] : links_)
        if (paths[i].size() > from.size() && path_covers(from, paths[i]))
          add((to == "/" ? "" : to) + paths[i].substr(from.size()));
      if (auto real = host_path(paths[i])) add(std::move(*real));
    }
    start = end;
  }
}

Resource::Keys KeyResolver::resolve(const Resource::Keys& keys) {
  Resource::Keys out = keys;
  expand(out.writes);
  expand(out.reads);
  return out;
}

}  // namespace roux::engine
