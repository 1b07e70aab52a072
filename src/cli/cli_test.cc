#include "cli/cli.h"

#include <doctest/doctest.h>

namespace roux::cli {

TEST_CASE("edit_distance: insertions, deletions, substitutions and neighbour swaps cost 1") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("policy", "policy") == 0);
  CHECK(edit_distance("polcy", "policy") == 1);      // deletion
  CHECK(edit_distance("convrege", "converge") == 1);  // swap
  CHECK(edit_distance("plan", "plane") == 1);
  CHECK(edit_distance("frobnicate", "converge") > 3);
}

TEST_CASE("nearest_name: a typo finds its word; an unrelated word finds none") {
  std::vector<std::string> cmds{"converge", "plan", "verify", "validate", "history", "report"};
  CHECK(nearest_name("convrege", cmds) == "converge");
  CHECK(nearest_name("Plna", cmds) == "plan");
  CHECK(nearest_name("frobnicate", cmds) == "");
  CHECK(nearest_name("x", cmds) == "");
  std::vector<std::string> opts{"--policy", "-p", "--root", "--report", "--state-dir"};
  CHECK(nearest_name("--polcy", opts) == "--policy");
  CHECK(nearest_name("--stat", opts) == "--state-dir");  // a prefix of 3+ letters
  CHECK(nearest_name("--rot", opts) == "--root");
}

}  // namespace roux::cli
