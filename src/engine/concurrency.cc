#include "engine/concurrency.h"

#include <algorithm>
#include <functional>
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

namespace {

// FNV-1a, so that one pass over a path gives the hash of each of its prefixes.
constexpr uint64_t kFnvBasis = 14695981039346656037ULL, kFnvPrime = 1099511628211ULL;

uint64_t hash_of(std::string_view s) {
  uint64_t h = kFnvBasis;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
  return h;
}

/// Calls `f` with the hash of every name w for which path_covers(w, p) holds, each once: p
/// itself, "/" when p is absolute, and p cut before each of its slashes ("" for an absolute p).
template <typename F>
void each_cover(std::string_view p, F&& f) {
  uint64_t h = kFnvBasis;
  for (char c : p) {
    if (c == '/') f(h);  // p cut before this slash
    h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
  }
  f(h);
  // "/" unless it is p itself or p cut before its second character ("//x").
  if (p.size() > 1 && p[0] == '/' && p[1] != '/') f(hash_of("/"));
}

/// Counts stay in the table at 0 (a name comes back often: no allocation each time).
void bump(std::unordered_map<uint64_t, int>& m, uint64_t h, int by) { m[h] += by; }

bool held(const std::unordered_map<uint64_t, int>& m, uint64_t h) {
  auto it = m.find(h);
  return it != m.end() && it->second > 0;
}

}  // namespace

void KeySet::count(const Resource::Keys& k, int by) {
  for (const auto& l : k.lanes) bump(lanes_, hash_of(l), by);
  for (const auto& w : k.writes) {
    bump(writes_, hash_of(w), by);
    each_cover(w, [&](uint64_t h) { bump(writes_under_, h, by); });
  }
  for (const auto& r : k.reads) each_cover(r, [&](uint64_t h) { bump(reads_under_, h, by); });
  size_ = by > 0 ? size_ + 1 : size_ - 1;
}

bool KeySet::collides(const Resource::Keys& k) const {
  if (size_ == 0) return false;
  for (const auto& l : k.lanes)
    if (held(lanes_, hash_of(l))) return true;
  // One held writes at or above a path of k: a cover of that path is a held write.
  auto covered = [&](const std::string& p) {
    bool hit = false;
    each_cover(p, [&](uint64_t h) { hit = hit || held(writes_, h); });
    return hit;
  };
  for (const auto& w : k.writes) {
    const uint64_t h = hash_of(w);
    // k writes at or above a held write or read: w covers it.
    if (held(writes_under_, h) || held(reads_under_, h) || covered(w)) return true;
  }
  for (const auto& r : k.reads)
    if (covered(r)) return true;
  return false;
}

void KeySet::clear() {
  lanes_.clear();
  writes_.clear();
  writes_under_.clear();
  reads_under_.clear();
  size_ = 0;
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
