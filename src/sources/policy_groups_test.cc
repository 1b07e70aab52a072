#include "sources/policy_groups.h"

#include <doctest/doctest.h>

#include <string>

#include "tests/unit/temp_dir.h"

namespace roux::sources {
namespace {

GroupView pointer(int64_t serial, char content) {
  GroupView g;
  g.group = "production";
  g.serial = serial;
  g.content_sha256 = std::string(64, content);
  return g;
}

TEST_CASE("git policy pointer serials: older, serial-less and same-serial-other-content pointers are refused") {
  roux::testing::TempDir d;
  const std::string repo = "git+https://git.example/policies.git";
  CHECK(check_pointer_serial(d.path, repo, "web", pointer(2, 'a')).is_ok());  // first seen: recorded
  CHECK(check_pointer_serial(d.path, repo, "web", pointer(2, 'a')).is_ok());  // the same pointer again
  Status older = check_pointer_serial(d.path, repo, "web", pointer(1, 'b'));
  CHECK(older.code() == Code::kUntrusted);
  CHECK(older.message().find("serial 1, older than serial 2") != std::string::npos);
  Status none = check_pointer_serial(d.path, repo, "web", pointer(0, 'b'));
  CHECK(none.code() == Code::kUntrusted);
  CHECK(none.message().find("has no serial") != std::string::npos);
  Status same = check_pointer_serial(d.path, repo, "web", pointer(2, 'c'));
  CHECK(same.code() == Code::kUntrusted);
  CHECK(same.message().find("serial 2 with content sha256:" + std::string(64, 'c') + ", but serial 2 with content sha256:" +
                            std::string(64, 'a')) != std::string::npos);
  CHECK(check_pointer_serial(d.path, repo, "web", pointer(3, 'c')).is_ok());  // forward: accepted
  CHECK(check_pointer_serial(d.path, repo, "web", pointer(3, 'a')).code() == Code::kUntrusted);
  // Another group, policy or repository has its own record.
  CHECK(check_pointer_serial(d.path, repo, "api", pointer(1, 'd')).is_ok());
  CHECK(check_pointer_serial(d.path, repo + "x", "web", pointer(1, 'd')).is_ok());
}

TEST_CASE("git policy pointer serials: a record without content (older roux) learns it at the same serial") {
  roux::testing::TempDir d;
  const std::string repo = "git+file:///srv/policies.git";
  // What roux wrote before contents were recorded: the serial only.
  std::filesystem::create_directories(d.path + "/git-policy");
  CHECK(check_pointer_serial(d.path, repo, "web", pointer(4, 'a')).is_ok());
  for (const auto& e : std::filesystem::directory_iterator(d.path + "/git-policy")) {
    FILE* f = fopen(e.path().c_str(), "w");
    REQUIRE(f);
    fputs("{\"serial\": 4}\n", f);
    fclose(f);
  }
  CHECK(check_pointer_serial(d.path, repo, "web", pointer(4, 'b')).is_ok());  // nothing to compare: accepted, recorded
  CHECK(check_pointer_serial(d.path, repo, "web", pointer(4, 'a')).code() == Code::kUntrusted);
}

}  // namespace
}  // namespace roux::sources
