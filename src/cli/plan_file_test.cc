#include "cli/plan_file.h"

#include <doctest/doctest.h>

namespace roux::cli {

TEST_CASE("plan file: written and read back under the same key; another key or an edit is refused") {
  SavedPlan p;
  p.roux_version = "1";
  p.host = "h";
  p.created_unix = 5;
  p.selection.only = {"service[nginx]"};
  p.changes = {{"file[/a]", "mode", "0644", "0600", "f1"}};
  std::string text = write_plan_text(p, "key");
  auto back = read_plan_text(text, "key", "P");
  REQUIRE(back.is_ok());
  CHECK(back->digest == p.digest);
  CHECK(back->selection.only == p.selection.only);
  REQUIRE(back->changes.size() == 1);
  CHECK(back->changes[0].after == "0600");
  CHECK(!read_plan_text(text, "other key", "P").is_ok());
  std::string edited = text;
  edited.replace(edited.find("0600"), 4, "0700");
  CHECK(read_plan_text(edited, "key", "P").status().message().rfind("P: the plan file was modified", 0) == 0);
  CHECK(read_plan_text("{}", "key", "P").status().message() ==
        "P: not a roux plan file (format roux-plan/1; made by `roux plan --out`)");
}

TEST_CASE("compare_changes: each difference named, matched by fingerprint") {
  std::vector<PlannedChange> saved = {{"file[/a]", "content", "sha256:1", "sha256:2", "x"},
                                      {"file[/a]", "mode", "0644", "0600", "m"},
                                      {"user[u]", "password", "(sensitive)", "(sensitive)", "p1"}};
  std::vector<PlannedChange> fresh = {{"file[/a]", "content", "sha256:3", "sha256:2", "y"},
                                      {"user[u]", "password", "(sensitive)", "(sensitive)", "p2"},
                                      {"file[/b]", "ensure", "", "file", "e"}};
  CHECK(compare_changes(saved, saved).empty());
  auto got = compare_changes(saved, fresh);
  CHECK(got ==
        std::vector<std::string>{"file[/a] content: before is now sha256:3; the plan saw sha256:1",
                                 "file[/a] mode: no longer needed (0644 -> 0600 is in the plan)",
                                 "user[u] password: the value moved since the plan (not shown: sensitive)",
                                 "file[/b] ensure: needed now, not in the plan ((none) -> file)"});
}

}  // namespace roux::cli
