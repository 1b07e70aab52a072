#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "host/host.h"
#include "tests/unit/temp_dir.h"

namespace roux::host {
namespace {

namespace fs = std::filesystem;

struct TempRoot : roux::testing::TempDir {
  void write(const std::string& rel, const std::string& data) const { std::ofstream(path + rel, std::ios::binary) << data; }
};

}  // namespace

TEST_CASE("host: lstat_compare says whether a file holds exactly the expected bytes") {
  TempRoot root;
  auto host = make_posix_host(root.path);
  REQUIRE(host.is_ok());
  std::string big(200000, 'x');
  root.write("/a", "hello\n");
  root.write("/big", big);
  fs::create_symlink("a", root.path + "/link");
  bool same = true;
  std::string hello = "hello\n", other = "hellO\n", longer = "hello!\n";

  auto fi = (*host)->lstat_compare("/a", &hello, &same);
  REQUIRE(fi.is_ok());
  CHECK(fi->type == FileType::kFile);
  CHECK(same);
  REQUIRE((*host)->lstat_compare("/a", &other, &same).is_ok());
  CHECK_FALSE(same);  // same size, other bytes
  REQUIRE((*host)->lstat_compare("/a", &longer, &same).is_ok());
  CHECK_FALSE(same);
  REQUIRE((*host)->lstat_compare("/a", nullptr, &same).is_ok());
  CHECK_FALSE(same);

  REQUIRE((*host)->lstat_compare("/big", &big, &same).is_ok());
  CHECK(same);  // several reads
  std::string big_last = big;
  big_last.back() = 'y';
  REQUIRE((*host)->lstat_compare("/big", &big_last, &same).is_ok());
  CHECK_FALSE(same);

  auto link = (*host)->lstat_compare("/link", &hello, &same);
  REQUIRE(link.is_ok());
  CHECK(link->type == FileType::kSymlink);  // never followed
  CHECK_FALSE(same);
  auto missing = (*host)->lstat_compare("/nope/x", &hello, &same);
  REQUIRE(missing.is_ok());
  CHECK_FALSE(missing->exists());
  CHECK_FALSE(same);
}

}  // namespace roux::host
