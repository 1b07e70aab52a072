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

// What a hash names in KeySet's one table: a lane, a written path, or a name covering a written
// or a read path.
enum Kind : uint64_t { kLane = 1, kWrite = 2, kWriteUnder = 3, kReadUnder = 4 };

uint64_t tagged(uint64_t h, Kind k) {
  uint64_t t = h ^ (k * 0x9E3779B97F4A7C15ULL);
  return t == 0 ? 1 : t;  // 0 marks an empty slot (a merged hash only answers "collides")
}

}  // namespace

int& KeySet::slot(uint64_t h) {
  if (used_.size() * 2 >= slots_.size()) {  // grow: at most half full
    std::vector<std::pair<uint64_t, int>> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), {0, 0});
    used_.clear();
    for (const auto& e : old)
      if (e.first != 0) slot(e.first) = e.second;
  }
  const size_t mask = slots_.size() - 1;
  for (size_t i = (h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
    if (slots_[i].first == h) return slots_[i].second;
    if (slots_[i].first == 0) {
      slots_[i].first = h;
      used_.push_back(i);
      return slots_[i].second;
    }
  }
}

int KeySet::get(uint64_t h) const {
  if (slots_.empty()) return 0;
  const size_t mask = slots_.size() - 1;
  for (size_t i = (h ^ (h >> 29)) & mask;; i = (i + 1) & mask) {
    if (slots_[i].first == h) return slots_[i].second;
    if (slots_[i].first == 0) return 0;
  }
}

void KeySet::count(const Resource::Keys& k, int by) {
  for (const auto& l : k.lanes) slot(tagged(hash_of(l), kLane)) += by;
  for (const auto& w : k.writes) {
    slot(tagged(hash_of(w), kWrite)) += by;
    each_cover(w, [&](uint64_t h) { slot(tagged(h, kWriteUnder)) += by; });
  }
  for (const auto& r : k.reads) each_cover(r, [&](uint64_t h) { slot(tagged(h, kReadUnder)) += by; });
  size_ = by > 0 ? size_ + 1 : size_ - 1;
}

bool KeySet::collides(const Resource::Keys& k) const {
  if (size_ == 0) return false;
  for (const auto& l : k.lanes)
    if (get(tagged(hash_of(l), kLane)) > 0) return true;
  // One held writes at or above a path of k: a cover of that path is a held write.
  auto covered = [&](const std::string& p) {
    bool hit = false;
    each_cover(p, [&](uint64_t h) { hit = hit || get(tagged(h, kWrite)) > 0; });
    return hit;
  };
  for (const auto& w : k.writes) {
    const uint64_t h = hash_of(w);
    // k writes at or above a held write or read: w covers it.
    if (get(tagged(h, kWriteUnder)) > 0 || get(tagged(h, kReadUnder)) > 0 || covered(w)) return true;
  }
  for (const auto& r : k.reads)
    if (covered(r)) return true;
  return false;
}

void KeySet::clear() {
  for (size_t i : used_) slots_[i] = {0, 0};
  used_.clear();
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
