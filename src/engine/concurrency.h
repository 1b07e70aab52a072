#pragma once
// Which resources the worker pool (converge --jobs) may run at the same time: their keys
// (Resource::concurrency_keys) compared as written, through the links the run makes, and as the
// host resolves them (a path through a symbolic link nobody manages names the same entry as its
// real path).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/resource.h"
#include "host/host.h"

namespace roux::engine {

/// True when `w` is `k` or a folder above it: "/a" covers "/a" and "/a/b", not "/ab".
bool path_covers(std::string_view w, std::string_view k);

/// Two resources' keys collide (they may not run at the same time): they share a lane, or one
/// writes a path at or above a path the other writes or reads. Two reads never collide.
bool keys_collide(const Resource::Keys& a, const Resource::Keys& b);

/// The keys of many resources at once (the ones running, or waiting), asked whether one more
/// collides with any of them: true exactly when keys_collide(keys, k) holds for some k added
/// and not removed, in time independent of how many were added (a few hash look-ups per path:
/// every name that covers a path, and every path's covering names, are counted by hash). A
/// hash collision can only answer true for keys that do not collide: the caller then waits for
/// nothing, never runs two colliding resources together.
class KeySet {
 public:
  void add(const Resource::Keys& k) { count(k, 1); }
  /// `k` as it was added.
  void remove(const Resource::Keys& k) { count(k, -1); }
  bool collides(const Resource::Keys& k) const;
  void clear();
  bool empty() const { return size_ == 0; }

 private:
  void count(const Resource::Keys& k, int by);
  /// Counts by hash, in one open-addressed table: a hash once seen keeps its slot (at 0 when
  /// nothing holds it), so adding and removing allocate nothing once the names are known.
  int& slot(uint64_t h);
  int get(uint64_t h) const;
  std::vector<std::pair<uint64_t, int>> slots_;  // key 0 = empty
  std::vector<size_t> used_;                     // occupied slots, to clear them
  size_t size_ = 0;                              // keys held
};

/// A link's target as an absolute path: `to` when absolute, else joined to the link's folder
/// and normalised lexically ("/srv/l" to "../x" is "/x"; ".." never climbs above "/").
std::string link_target_path(std::string_view link_path, std::string_view to);

/// The keys the pool compares for a resource: its own, plus each path's other names. A path
/// below a link the run makes (`links`: every resource's Keys::links) is also named below the
/// link's target, before the link exists; every path is also named as the host resolves it now
/// (Host::real_path: the real path of its longest existing parent). Repeated until nothing new
/// comes (at most 8 rounds: links through links). Not thread-safe: the walking thread's.
class KeyResolver {
 public:
  KeyResolver(const host::Host& host, std::vector<std::pair<std::string, std::string>> links);
  Resource::Keys resolve(const Resource::Keys& keys);
  /// Something may have made, changed or removed a link (a resource that runs alone, a link):
  /// forget the host's answers; `epoch()` changes so callers resolve again.
  void invalidate();
  uint64_t epoch() const { return epoch_; }

 private:
  void expand(std::vector<std::string>& paths);
  /// `path` as the host resolves it now, or nullopt when that is `path` itself.
  std::optional<std::string> host_path(const std::string& path);

  const host::Host& host_;
  std::vector<std::pair<std::string, std::string>> links_;
  std::map<std::string, std::string, std::less<>> real_parent_;  // folder as written -> as the host resolves it
  uint64_t epoch_ = 0;
};

}  // namespace roux::engine
