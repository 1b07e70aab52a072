#include "engine/run_lock.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace roux::engine {
namespace {
std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("RunLock: the running mark survives only a run that did not finish") {
  char tmpl[] = "/tmp/roux-runlock-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string path = std::string(tmpl) + "/run.lock";
  {
    RunLock lock;
    REQUIRE(lock.acquire(path, 0, true).is_ok());
    CHECK_FALSE(lock.mark_running());  // a fresh lock file: nothing to sweep
    CHECK(slurp(path) == "running " + std::to_string(getpid()) + "\n");
  }
  CHECK(slurp(path).empty());  // finished: cleared
  std::ofstream(path) << "running 12345\n";  // what a killed run leaves
  {
    RunLock lock;
    REQUIRE(lock.acquire(path, 0, true).is_ok());
    CHECK(lock.mark_running());
  }
  {
    RunLock plan;  // a plan never marks: the file stays as it is
    REQUIRE(plan.acquire(path, 0, false).is_ok());
  }
  CHECK(slurp(path).empty());
  std::filesystem::remove_all(tmpl);
}

}  // namespace roux::engine
