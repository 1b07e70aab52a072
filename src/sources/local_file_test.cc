#include "sources/local_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/temp_dir.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;  // tests/unit/temp_dir.h

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::trunc) << text;
}

TEST_CASE("read_file_beneath: links inside the folder work, links out of it are refused") {
  TempDir cb, outside;
  write(cb.path + "/files/real.txt", "inside\n");
  write(outside.path + "/secret", "TOPSECRET\n");
  fs::create_directories(cb.path + "/templates");
  fs::create_symlink("real.txt", cb.path + "/files/inner");
  fs::create_symlink("../files/real.txt", cb.path + "/templates/up-and-back");
  fs::create_symlink(outside.path + "/secret", cb.path + "/files/abs");
  fs::create_symlink("../../" + fs::path(outside.path).filename().string() + "/secret", cb.path + "/files/climb");
  CHECK(*read_file_beneath(cb.path, "files/real.txt") == "inside\n");
  CHECK(*read_file_beneath(cb.path, "files/inner") == "inside\n");
  CHECK(*read_file_beneath(cb.path, "templates/up-and-back") == "inside\n");
  for (const char* rel : {"files/abs", "files/climb", "../" /* a folder, and out */}) {
    auto r = read_file_beneath(cb.path, rel);
    CHECK(!r.is_ok());
    if (std::string(rel) != "../") {
      CHECK(r.status().code() == Code::kUntrusted);
      CHECK(r.status().message().find("leads out of the cookbook") != std::string::npos);
    }
  }
  CHECK(read_file_beneath(cb.path, "files/missing").status().code() == Code::kNotFound);
  CHECK(read_file_beneath(cb.path, "files").status().code() == Code::kInvalidInput);  // a folder
}

TEST_CASE("confined_dir: resolves and creates inside the root; links are followed as in a chroot") {
  TempDir tree, outside;
  fs::create_directories(tree.path + "/a");
  fs::create_directory_symlink("../../" + fs::path(outside.path).filename().string(), tree.path + "/a/up");
  fs::create_directories(tree.path + "/" + fs::path(outside.path).filename().string());
  // a/up climbs out of the tree on the real filesystem; inside the root it stops at the top.
  auto got = confined_dir(tree.path, "/a/up/x/y", true);
  REQUIRE(got.is_ok());
  CHECK(*got == fs::canonical(tree.path).string() + "/" + fs::path(outside.path).filename().string() + "/x/y");
  CHECK(fs::is_directory(*got));
  CHECK(fs::is_empty(outside.path));
  // Without create, the missing part is appended as is and nothing is made.
  auto peek = confined_dir(tree.path, "/a/new/z", false);
  REQUIRE(peek.is_ok());
  CHECK(*peek == fs::canonical(tree.path).string() + "/a/new/z");
  CHECK(!fs::exists(tree.path + "/a/new"));
  // A link to a folder missing inside the root is refused when it must be created.
  fs::create_directory_symlink(outside.path, tree.path + "/a/dangling");
  fs::remove_all(tree.path + "/" + fs::path(outside.path).filename().string());
  auto refused = confined_dir(tree.path, "/a/dangling/q", true);
  CHECK(refused.status().code() == Code::kUntrusted);
  // ...and when it is only looked up: appending "q" to it would follow it out of the root.
  CHECK(confined_dir(tree.path, "/a/dangling/q", false).status().code() == Code::kUntrusted);
  CHECK(fs::is_empty(outside.path));
  // No root: the path itself.
  CHECK(*confined_dir("/", tree.path + "/a", false) == tree.path + "/a");
  CHECK(!confined_dir(tree.path, "relative", false).is_ok());
  CHECK(!confined_dir(tree.path, "/a/../b", false).is_ok());
}

}  // namespace
}  // namespace roux::sources
