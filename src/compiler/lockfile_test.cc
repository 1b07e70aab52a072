#include "compiler/lockfile.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace roux::compiler {
namespace {

namespace fs = std::filesystem;

TEST_CASE("lockfile: path beside the policy") {
  CHECK(lockfile_path("/srv/p/policy.yaml") == "/srv/p/policy.lock.json");
  CHECK(lockfile_path("/srv/p/web.yaml") == "/srv/p/web.lock.json");
}

TEST_CASE("lockfile: write then read gives the same lockfile, byte for byte") {
  std::string t = (fs::temp_directory_path() / "roux-lock-test-XXXXXX").string();
  std::string dir = ::mkdtemp(t.data());
  Lockfile lock;
  lock.policy_name = "web";
  lock.policy_digest = std::string(64, '1');
  lock.cookbooks.push_back({"web", *Version::parse("2.0.0"), "git+file:///r.git", std::string(64, 'a'),
                            std::string(40, 'c'), {{"base", ">= 1.0, < 1.3"}}});
  lock.cookbooks.push_back({"base", *Version::parse("1.2.0-rc.1"), "dir:/c", std::string(64, 'b'), "", {}});
  std::string path = dir + "/policy.lock.json";
  REQUIRE(write_lockfile(path, lock).is_ok());
  auto back = read_lockfile(path);
  REQUIRE(back.is_ok());
  CHECK(back->cookbooks.size() == 2);
  CHECK(back->cookbooks[0].name == "web");  // order kept (attribute merge order)
  CHECK(back->cookbooks[1].version.to_string() == "1.2.0-rc.1");
  CHECK(back->find("web")->commit == std::string(40, 'c'));
  CHECK(back->find("web")->depends.at("base") == ">= 1.0, < 1.3");
  CHECK(lockfile_to_json(*back) == lockfile_to_json(lock));
  CHECK(fs::directory_iterator(dir) != fs::directory_iterator());
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);  // no temp file left behind
  fs::remove_all(dir);
}

TEST_CASE("lockfile: missing and malformed files") {
  CHECK(read_lockfile("/nonexistent/policy.lock.json").status().code() == Code::kNotFound);
  std::string t = (fs::temp_directory_path() / "roux-lock-test-XXXXXX").string();
  std::string dir = ::mkdtemp(t.data());
  std::string path = dir + "/policy.lock.json";
  std::ofstream(path) << "{\"lockfile_version\": 1, \"policy\": \"p\", \"policy_digest\": \"x\", \"cookbooks\": "
                         "[{\"name\": \"a\", \"version\": \"1.0.0\", \"source\": \"dir:/x\", \"sha256\": \"zz\"}]}";
  auto r = read_lockfile(path);
  REQUIRE(!r.is_ok());
  CHECK(r.status().message() == path + ": not a valid lockfile: cookbook a: sha256 must be 64 lower-case hex digits");
  std::ofstream(path, std::ios::trunc) << "{\"lockfile_version\": 7}";
  CHECK(read_lockfile(path).status().message() ==
        path + ": not a valid lockfile: lockfile_version must be 1 (run `roux lock` again)");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace roux::compiler
