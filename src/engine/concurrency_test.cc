// Which resources the worker pool may run together (engine/concurrency.h): keys compared as
// written, lanes, the links the run makes, and paths as the host resolves them.
#include "engine/concurrency.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/unit/temp_dir.h"

namespace roux::engine {
namespace {

using Keys = Resource::Keys;
using testing::TempDir;

// The keys the resource types declare (resources/file.h, directory.cc, link.cc, exec.cc).
Keys file(const std::string& p) { return Keys{{p}, {host::parent_path(p)}, {}, {}}; }
Keys directory(const std::string& p) {
  Keys k{{p}, {}, {}, {}};
  for (std::string a = host::parent_path(p); a != "/"; a = host::parent_path(a)) k.writes.push_back(a);
  return k;
}
Keys link(const std::string& p, const std::string& to) {
  Keys k{{p}, {host::parent_path(p)}, {}, {}};
  if (to[0] == '/') k.reads.push_back(to);
  k.links.emplace_back(p, link_target_path(p, to));
  return k;
}
Keys exec_reads(std::vector<std::string> reads) { return Keys{{}, std::move(reads), {}, {}}; }
Keys on_lane(Keys k, const std::string& lane) {
  k.lanes.push_back(lane);
  return k;
}

// A host that resolves nothing (as the planned host): only the run's own links alias paths.
class AsWritten : public host::Host {
 public:
  const std::string& root() const override { return root_; }
  Result<host::FileInfo> lstat(const std::string&) const override { return host::FileInfo{}; }
  Result<std::string> read_file(const std::string&, size_t) const override { return Status::not_found("x"); }
  Result<host::FileInfo> lstat_compare(const std::string&, const std::string*, bool*) const override { return host::FileInfo{}; }
  Result<std::string> file_sha256(const std::string&) const override { return Status::not_found("x"); }
  Result<std::string> readlink(const std::string&) const override { return Status::not_found("x"); }
  Result<std::vector<std::string>> list_dir(const std::string&) const override { return std::vector<std::string>{}; }
  Result<std::shared_ptr<const host::AccountDb>> accounts() const override { return Status::not_found("x"); }
  Result<SubprocessResult> run_check(SubprocessOptions) const override { return Status::not_found("x"); }
  Status write_file(const std::string&, std::string_view, uint32_t, std::optional<uid_t>, std::optional<gid_t>) override { return Status::ok(); }
  Status mkdir(const std::string&, uint32_t) override { return Status::ok(); }
  Status chmod(const std::string&, uint32_t) override { return Status::ok(); }
  Status chown(const std::string&, std::optional<uid_t>, std::optional<gid_t>) override { return Status::ok(); }
  Status remove(const std::string&) override { return Status::ok(); }
  Status remove_tree(const std::string&) override { return Status::ok(); }
  Status symlink(const std::string&, const std::string&) override { return Status::ok(); }
  Status append_file(const std::string&, std::string_view, uint32_t) override { return Status::ok(); }
  Status write_in_place(const std::string&, std::string_view) override { return Status::ok(); }
  Status copy_file(const std::string&, const std::string&, uint32_t) override { return Status::ok(); }
  using Host::run;
  Result<SubprocessResult> run(SubprocessOptions, const Model&) override { return Status::not_found("x"); }
  void invalidate_accounts() override {}

 private:
  std::string root_ = "/";
};

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("concurrency: a path covers itself and what is below it, not a sibling sharing its prefix") {
  CHECK(path_covers("/a", "/a"));
  CHECK(path_covers("/a", "/a/b/c"));
  CHECK(path_covers("/", "/anything"));
  CHECK_FALSE(path_covers("/a", "/ab"));
  CHECK_FALSE(path_covers("/a/b", "/a"));
  CHECK_FALSE(path_covers("/a/b", "/a/c"));
}

TEST_CASE("concurrency: which resources may run together, keys as written") {
  // Two files in one folder: both only read the folder.
  CHECK_FALSE(keys_collide(file("/srv/a/f1"), file("/srv/a/f2")));
  // The same file twice, in either order.
  CHECK(keys_collide(file("/srv/a/f1"), file("/srv/a/f1")));
  // A file and the folder it is in (the folder may be created or removed under it).
  CHECK(keys_collide(file("/srv/a/f1"), directory("/srv/a")));
  CHECK(keys_collide(directory("/srv/a"), file("/srv/a/f1")));
  // A folder writes every ancestor (it creates missing parents): two folders side by side
  // collide, and so does a file in a sibling folder (it reads /srv/a, below /srv).
  CHECK(keys_collide(directory("/srv/a"), directory("/srv/b")));
  CHECK(keys_collide(directory("/srv/b"), file("/srv/a/f1")));
  CHECK_FALSE(keys_collide(directory("/srv/a"), file("/etc/x")));
  // A name that only shares a prefix is another entry.
  CHECK_FALSE(keys_collide(file("/srv/ab"), file("/srv/a")));
  CHECK_FALSE(keys_collide(directory("/srv/ab/x"), file("/etc/a/f")));
  // A link reads its target: a file replacing the target waits, a file beside the target not.
  CHECK(keys_collide(link("/srv/current", "/srv/rel/app.conf"), file("/srv/rel/app.conf")));
  CHECK_FALSE(keys_collide(link("/srv/current", "/srv/rel"), file("/srv/rel/app.conf")));
  // A parallel exec reads its creates/cwd: a file written there waits; two execs never collide
  // (they read); an exec with no creates/cwd collides with nothing keyed.
  CHECK(keys_collide(exec_reads({"/srv/marker"}), file("/srv/marker")));
  CHECK_FALSE(keys_collide(exec_reads({"/srv/marker"}), exec_reads({"/srv/marker"})));
  CHECK_FALSE(keys_collide(exec_reads({}), file("/srv/marker")));
  CHECK_FALSE(keys_collide(exec_reads({"/srv"}), file("/srv/x")));  // a read of a folder, a file in it
  // Lanes: one lane runs one at a time; different lanes, or none, do not collide.
  CHECK(keys_collide(on_lane(Keys{}, "dpkg"), on_lane(Keys{}, "dpkg")));
  CHECK_FALSE(keys_collide(on_lane(Keys{}, "dpkg"), on_lane(Keys{}, "other")));
  CHECK_FALSE(keys_collide(on_lane(Keys{}, "dpkg"), file("/srv/x")));
  CHECK(keys_collide(on_lane(file("/etc/apt/sources.list.d/x.list"), "dpkg"), file("/etc/apt/sources.list.d/x.list")));
}

TEST_CASE("concurrency: link targets as absolute paths") {
  CHECK(link_target_path("/srv/l", "/opt/x") == "/opt/x");
  CHECK(link_target_path("/srv/l", "real") == "/srv/real");
  CHECK(link_target_path("/srv/l", "./real/") == "/srv/real");
  CHECK(link_target_path("/srv/sub/l", "../x") == "/srv/x");
  CHECK(link_target_path("/srv/l", "../../../..") == "/");
}

TEST_CASE("concurrency: the run's own links make two paths one entry, before the link exists") {
  AsWritten h;
  // link /srv/link -> /srv/real (relative), and /srv/real/deep -> /opt/d through it.
  KeyResolver r(h, {{"/srv/link", "/srv/real"}, {"/srv/real/deep", "/opt/d"}});
  Keys through = r.resolve(file("/srv/link/a"));
  CHECK(has(through.writes, "/srv/link/a"));
  CHECK(has(through.writes, "/srv/real/a"));
  CHECK(keys_collide(through, r.resolve(file("/srv/real/a"))));
  CHECK_FALSE(keys_collide(file("/srv/link/a"), file("/srv/real/a")));  // as written: they would race
  CHECK_FALSE(keys_collide(through, r.resolve(file("/srv/real/b"))));
  // Links through links: /srv/link/deep/f is /srv/real/deep/f is /opt/d/f.
  CHECK(keys_collide(r.resolve(file("/srv/link/deep/f")), r.resolve(file("/opt/d/f"))));
  // The link itself is not followed: a file replacing /srv/link does not touch /srv/real.
  CHECK_FALSE(has(r.resolve(file("/srv/link")).writes, "/srv/real"));
  CHECK_FALSE(keys_collide(r.resolve(file("/srv/link")), r.resolve(file("/srv/real/x"))));
}

TEST_CASE("concurrency: a link nobody manages, resolved through the host inside its root") {
  TempDir t;
  namespace fs = std::filesystem;
  fs::create_directories(t.path + "/srv/real");
  fs::create_symlink("/srv/real", t.path + "/srv/link");  // absolute: inside the root
  fs::create_symlink("real", t.path + "/srv/rel");
  fs::create_symlink("../../../../../..", t.path + "/srv/up");  // cannot leave the root
  auto h = host::make_posix_host(t.path);
  REQUIRE(h.is_ok());
  CHECK((*h)->real_path("/srv/link/a") == "/srv/real/a");
  CHECK((*h)->real_path("/srv/rel/a") == "/srv/real/a");
  CHECK((*h)->real_path("/srv/link") == "/srv/link");  // the last name is never followed
  CHECK((*h)->real_path("/srv/link/new/sub/f") == "/srv/real/new/sub/f");  // missing folders kept
  CHECK((*h)->real_path("/srv/up/etc/x") == "/etc/x");
  CHECK((*h)->real_path("/nothing/here") == "/nothing/here");
  KeyResolver r(**h, {});
  Keys a = r.resolve(file("/srv/link/a")), b = r.resolve(file("/srv/real/a"));
  CHECK(keys_collide(a, b));
  CHECK(keys_collide(r.resolve(file("/srv/rel/a")), b));
  CHECK_FALSE(keys_collide(a, r.resolve(file("/srv/real/b"))));
  CHECK(keys_collide(r.resolve(directory("/srv/link/sub")), r.resolve(file("/srv/real/sub/f"))));
  // A link made later (by something that ran alone): seen once the resolver forgets.
  fs::create_directories(t.path + "/opt/x");
  Keys before = r.resolve(file("/srv/later/f"));
  fs::create_symlink("/opt/x", t.path + "/srv/later");
  CHECK_FALSE(keys_collide(r.resolve(file("/srv/later/f")), r.resolve(file("/opt/x/f"))));  // cached
  uint64_t e = r.epoch();
  r.invalidate();
  CHECK(r.epoch() != e);
  CHECK(keys_collide(r.resolve(file("/srv/later/f")), r.resolve(file("/opt/x/f"))));
  CHECK_FALSE(has(before.writes, "/opt/x/f"));
}

}  // namespace roux::engine

namespace roux::engine {

TEST_CASE("concurrency: a KeySet answers as keys_collide against each held key, as keys come and go") {
  // Random keys over a small alphabet of names (prefixes, siblings sharing a prefix, "/", "",
  // doubled slashes), compared with keys_collide against every key held.
  const std::vector<std::string> names = {"/", "", "/a", "/ab", "/a/b", "/a/b/c", "/a/bc", "/b", "//a", "/a/", "a", "a/b", "/b/a"};
  const std::vector<std::string> lanes = {"dpkg", "other"};
  uint64_t seed = 12345;
  auto next = [&](size_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>((seed >> 33) % n);
  };
  auto random_keys = [&] {
    Keys k;
    for (size_t i = next(3); i > 0; --i) k.writes.push_back(names[next(names.size())]);
    for (size_t i = next(3); i > 0; --i) k.reads.push_back(names[next(names.size())]);
    if (next(6) == 0) k.lanes.push_back(lanes[next(lanes.size())]);
    return k;
  };
  KeySet set;
  std::vector<Keys> held;
  for (int round = 0; round < 3000; ++round) {
    Keys probe = random_keys();
    bool expected = std::any_of(held.begin(), held.end(), [&](const Keys& h) { return keys_collide(probe, h); });
    REQUIRE_MESSAGE(set.collides(probe) == expected, "round " << round);
    if (!held.empty() && next(2) == 0) {
      size_t i = next(held.size());
      set.remove(held[i]);
      held.erase(held.begin() + static_cast<long>(i));
    } else {
      set.add(probe);
      held.push_back(probe);
    }
    CHECK(set.empty() == held.empty());
    if (round % 500 == 499) {
      set.clear();
      held.clear();
    }
  }
  // The file/folder shapes the types declare.
  set.add(file("/srv/a/f1"));
  CHECK(set.collides(file("/srv/a/f1")));
  CHECK_FALSE(set.collides(file("/srv/a/f2")));
  CHECK(set.collides(directory("/srv/a")));
  CHECK_FALSE(set.collides(file("/srv/ab")));
  set.remove(file("/srv/a/f1"));
  CHECK_FALSE(set.collides(directory("/srv/a")));
}

}  // namespace roux::engine
