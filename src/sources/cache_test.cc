#include "sources/cache.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/temp_dir.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;  // tests/unit/temp_dir.h

void write(const std::string& path, const std::string& text, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

void make_cookbook(const std::string& dir) {
  write(dir + "/metadata.yaml", "name: base\nversion: 1.0.0\n");
  write(dir + "/recipes/default.yaml", "resources: []\n");
  write(dir + "/files/run.sh", "#!/bin/sh\n", 0755);
}

TEST_CASE("content digest: same content, same digest; owners, mtimes and group/other bits do not count") {
  TempDir a, b;
  make_cookbook(a.path);
  make_cookbook(b.path);
  ::chmod((b.path + "/metadata.yaml").c_str(), 0600);   // other read bits: ignored
  ::chmod((b.path + "/files/run.sh").c_str(), 0700);    // still "executable"
  fs::create_directories(b.path + "/empty");            // empty folders do not count (as in git)
  fs::last_write_time(b.path + "/metadata.yaml", fs::file_time_type::clock::now() - std::chrono::hours(5));
  auto da = content_digest(a.path), db = content_digest(b.path);
  REQUIRE(da.is_ok());
  REQUIRE(db.is_ok());
  CHECK(*da == *db);
  CHECK(da->size() == 64);
}

TEST_CASE("content digest: a byte, a name, an exec bit or a symlink target changes it") {
  TempDir a;
  make_cookbook(a.path);
  std::string d0 = *content_digest(a.path);
  write(a.path + "/recipes/default.yaml", "resources: [ ]\n");
  std::string d1 = *content_digest(a.path);
  CHECK(d1 != d0);
  ::chmod((a.path + "/recipes/default.yaml").c_str(), 0755);
  std::string d2 = *content_digest(a.path);
  CHECK(d2 != d1);
  fs::rename(a.path + "/files/run.sh", a.path + "/files/run2.sh");
  std::string d3 = *content_digest(a.path);
  CHECK(d3 != d2);
  fs::create_symlink("run2.sh", a.path + "/files/link");
  std::string d4 = *content_digest(a.path);
  CHECK(d4 != d3);
  fs::remove(a.path + "/files/link");
  fs::create_symlink("metadata.yaml", a.path + "/files/link");
  CHECK(*content_digest(a.path) != d4);
}

TEST_CASE("content digest: a FIFO is refused") {
  TempDir a;
  make_cookbook(a.path);
  REQUIRE(::mkfifo((a.path + "/files/pipe").c_str(), 0644) == 0);
  auto d = content_digest(a.path);
  REQUIRE(!d.is_ok());
  CHECK(d.status().message() == a.path + "/files/pipe: not a regular file, folder or symlink");
}

TEST_CASE("cache: insert_dir renames a work folder in by digest; a second insert keeps the first") {
  TempDir root;
  Cache cache(root.path + "/cache");
  CHECK(cache.path_for(std::string(64, 'a')).status().code() == Code::kNotFound);
  CHECK(cache.path_for("nothex").status().code() == Code::kInvalidInput);
  auto tmp = cache.make_temp_dir();
  REQUIRE(tmp.is_ok());
  make_cookbook(*tmp);
  std::string want = *content_digest(*tmp);
  auto digest = cache.insert_dir(*tmp);
  REQUIRE(digest.is_ok());
  CHECK(*digest == want);
  CHECK(!fs::exists(*tmp));
  CHECK(*cache.path_for(want) == root.path + "/cache/cookbooks/" + want);
  CHECK(cache.verify(want).is_ok());

  auto tmp2 = cache.make_temp_dir();
  make_cookbook(*tmp2);
  CHECK(*cache.insert_dir(*tmp2) == want);
  CHECK(!fs::exists(*tmp2));
  CHECK(fs::is_empty(root.path + "/cache/tmp"));

  write(root.path + "/cache/cookbooks/" + want + "/recipes/default.yaml", "tampered\n");
  Status s = cache.verify(want);
  CHECK(s.code() == Code::kUntrusted);
  CHECK(s.message().find("does not match its digest") != std::string::npos);
}

TEST_CASE("cache: a planted entry is refused by verified_path and replaced by insert_dir; a symlink entry too") {
  TempDir root, outside;
  Cache cache(root.path + "/cache");
  TempDir ref;
  make_cookbook(ref.path);
  std::string want = *content_digest(ref.path);
  // Planted under the genuine digest, other content.
  write(root.path + "/cache/cookbooks/" + want + "/metadata.yaml", "name: base\nversion: 1.0.0\n");
  write(root.path + "/cache/cookbooks/" + want + "/recipes/default.yaml", "planted\n");
  CHECK(cache.path_for(want).is_ok());  // exists...
  auto v = cache.verified_path(want);   // ...but is not trusted
  CHECK(v.status().code() == Code::kUntrusted);
  CHECK(v.status().message().find("altered or planted") != std::string::npos);
  auto tmp = cache.make_temp_dir();
  make_cookbook(*tmp);
  CHECK(*cache.insert_dir(*tmp) == want);
  CHECK(cache.verified_path(want).is_ok());

  // A symlink entry (to a folder with the right content even) is not a cache entry.
  fs::remove_all(root.path + "/cache/cookbooks/" + want);
  make_cookbook(outside.path + "/cb");
  fs::create_directory_symlink(outside.path + "/cb", root.path + "/cache/cookbooks/" + want);
  CHECK(cache.path_for(want).status().code() == Code::kUntrusted);
  auto tmp2 = cache.make_temp_dir();
  make_cookbook(*tmp2);
  CHECK(*cache.insert_dir(*tmp2) == want);
  CHECK(!fs::is_symlink(root.path + "/cache/cookbooks/" + want));
  CHECK(fs::exists(outside.path + "/cb/metadata.yaml"));  // the link's target is untouched
}

TEST_CASE("cache: with a confine root, a symlink in the tree never leads the cache outside it") {
  TempDir tree, outside;
  fs::create_directories(tree.path + "/var/lib");
  fs::create_directory_symlink(outside.path, tree.path + "/var/lib/roux");  // absolute: outside
  fs::create_directories(tree.path + outside.path);                            // ...and inside the tree
  Cache cache(tree.path + "/var/lib/roux/cache", tree.path);
  auto tmp = cache.make_temp_dir();
  REQUIRE(tmp.is_ok());
  make_cookbook(*tmp);
  REQUIRE(cache.insert_dir(*tmp).is_ok());
  CHECK(fs::is_empty(outside.path));
  // Resolved as a chroot would: ROOT/<outside path>/cache.
  CHECK(fs::exists(tree.path + outside.path + "/cache/cookbooks"));
}

}  // namespace
}  // namespace roux::sources
