#include <doctest/doctest.h>

#include <algorithm>

#include "base/sha256.h"
#include "report/run_report.h"

namespace roux::report {

namespace {
std::vector<engine::Change> one(std::string property, std::string before, std::string after) {
  return {engine::Change{std::move(property), std::move(before), std::move(after)}};
}
}  // namespace

TEST_CASE("action_of: how each kind of change maps to create/delete/replace/change") {
  CHECK(action_of({}) == "none");
  CHECK(action_of(one("ensure", "absent", "file")) == "create");
  CHECK(action_of(one("ensure", "absent", "directory (with parents /a)")) == "create");
  CHECK(action_of(one("ensure", "absent", "1.2.3-1")) == "create");        // a package installed
  CHECK(action_of(one("ensure", "absent", "present (home created)")) == "create");
  CHECK(action_of(one("to", "absent", "/srv/a")) == "create");             // a new link
  CHECK(action_of(one("ensure", "file", "absent")) == "delete");
  CHECK(action_of(one("ensure", "1.0", "purged")) == "delete");
  CHECK(action_of(one("ensure", "present", "absent (home /home/x removed)")) == "delete");
  CHECK(action_of(one("ensure", "link", "file")) == "replace");            // a link gives way to a file
  CHECK(action_of(one("to", "file", "/srv/a")) == "replace");              // a file gives way to a link
  CHECK(action_of(one("to", "/srv/a", "/srv/b")) == "change");             // a link retargeted
  CHECK(action_of(one("ensure", "1.0", "1.1")) == "change");               // a package upgraded
  CHECK(action_of(one("mode", "0644", "0600")) == "change");
  CHECK(action_of(one("run", "", "echo hi")) == "change");
}

TEST_CASE("cause_of: a compact or targeted previous report lists only some resources") {
  // The state copy of a run leaves its unchanged resources out (unchanged_not_listed): an id it
  // does not list is not new in the policy. It is drift when the policy's desired set is the
  // same as then, unknown otherwise; a listed id is compared as before.
  PreviousRun compact = parse_previous_run(
      R"({"resources":[{"id":"file[/a]","desired":"d1"}],"unchanged_not_listed":3,"desired_set":"s1"})");
  CHECK(compact.partial_list);
  CHECK(compact.desired_set == "s1");
  CHECK(cause_of(compact, "file[/b]", "d2") == "");  // not told whether the policy moved
  compact.same_desired_set = true;
  CHECK(cause_of(compact, "file[/b]", "d2") == "drift");
  CHECK(cause_of(compact, "file[/a]", "d9") == "policy");
  CHECK(cause_of(compact, "file[/a]", "d1") == "drift");
  PreviousRun targeted = parse_previous_run(R"({"resources":[],"unchanged_not_listed":0,"selection":{"only":[]}})");
  CHECK(targeted.partial_list);
  CHECK(cause_of(targeted, "file[/c]", "d3") == "");
  PreviousRun whole = parse_previous_run(R"({"resources":[],"unchanged_not_listed":0})");
  CHECK_FALSE(whole.partial_list);
  CHECK(cause_of(whole, "file[/c]", "d3") == "policy");
  // The set digest: order-free, and moved by any id or digest.
  CHECK(desired_set_digest({{"b", "2"}, {"a", "1"}}) == desired_set_digest({{"a", "1"}, {"b", "2"}}));
  CHECK(desired_set_digest({{"a", "1"}, {"b", "2"}}) != desired_set_digest({{"a", "1"}, {"b", "3"}}));
  CHECK(desired_set_digest({{"a", "1"}, {"b", "2"}}) != desired_set_digest({{"a", "1"}, {"c", "2"}}));
  // The digest of the sorted lines "ID\tDIGEST\n" (pinned: a run compares it with the last run's).
  CHECK(desired_set_digest({{"b", "2"}, {"a", "1"}}) == sha256_hex("a\t1\nb\t2\n"));
  std::vector<std::pair<std::string, std::string>> many;
  std::string text;
  for (int i = 0; i < 5000; ++i) many.emplace_back("file[/srv/f" + std::to_string(100000 + i) + "]", sha256_hex(std::to_string(i)));
  for (const auto& [id, d] : many) text += id + "\t" + d + "\n";  // already in order
  std::reverse(many.begin(), many.end());
  CHECK(text.size() > (size_t{1} << 17));  // several buffers' worth
  CHECK(desired_set_digest(many) == sha256_hex(text));
}

TEST_CASE("moved_cookbooks and cause_of") {
  std::vector<CookbookInfo> before{{"a", "1.0.0", ""}, {"b", "1.0.0", ""}, {"gone", "2.0.0", ""}};
  std::vector<CookbookInfo> now{{"a", "1.1.0", ""}, {"b", "1.0.0", ""}, {"new", "0.1.0", ""}};
  CHECK(moved_cookbooks(before, now) == std::vector<std::string>{"a 1.0.0 -> 1.1.0", "new 0.1.0 (new)", "gone 2.0.0 (gone)"});
  PreviousRun prev = parse_previous_run(R"({"cookbooks":[],"resources":[{"id":"file[/a]","desired":"d1"},{"id":"file[/b]"}]})");
  CHECK(prev.known);
  CHECK(cause_of(prev, "file[/a]", "d1") == "drift");
  CHECK(cause_of(prev, "file[/a]", "d2") == "policy");
  CHECK(cause_of(prev, "file[/c]", "d3") == "policy");  // new since the last run
  CHECK(cause_of(prev, "file[/b]", "d4") == "");        // no digest recorded (a secret, an older roux)
  CHECK(cause_of(prev, "file[/a]", "") == "");          // holds a secret: no digest, no cause
  CHECK(cause_of(PreviousRun{}, "file[/a]", "d1") == "");
  CHECK_FALSE(parse_previous_run("not json").known);
  CHECK_FALSE(parse_previous_run("[]").known);
  // A whole report: only the cookbooks and each resource's id and digest are kept, whatever
  // else (changes, nested ids, other top-level keys) it holds.
  PreviousRun full = parse_previous_run(
      R"({"run_id":"r","resources":[{"type":"file","id":"file[/a]","changes":[{"id":"file[/x]","desired":"no"}],)"
      R"("desired":"d1","cookbooks":[{"name":"not-a-cookbook"}]},{"id":"file[/b]","desired":{"n":1}}],)"
      R"("cookbooks":[{"name":"web","version":"1.2.0","source":"git","resources":[{"id":"file[/y]"}]}],)"
      R"("id":"file[/top]","totals":{"total":2}})");
  CHECK(full.known);
  CHECK(full.desired == std::unordered_map<std::string, std::string>{{"file[/a]", "d1"}, {"file[/b]", ""}});
  REQUIRE(full.cookbooks.size() == 1);
  CHECK(full.cookbooks[0].name == "web");
  CHECK(full.cookbooks[0].version == "1.2.0");
  CHECK(full.cookbooks[0].source == "git");
  ResourceReport r;
  r.id = "file[/a]";
  r.desired = "d1";
  CHECK(cause_for(prev, r) == "");  // no change, no cause
  r.changes = one("mode", "0644", "0600");
  CHECK(cause_for(prev, r) == "drift");
  r.notified_by = {"file[/x]"};
  CHECK(cause_for(prev, r) == "");  // refreshed by a notification: that is the reason
}

}  // namespace roux::report

#include "report/progress.h"

namespace roux::report {
TEST_CASE("package_progress_percent: apt's Status-Fd lines") {
  CHECK(package_progress_percent("pmstatus:hello:45.4545:Unpacking hello (from hello_2.10.deb)") == 45);
  CHECK(package_progress_percent("dlstatus:1:12.5:Retrieving file 1 of 8") == 12);
  CHECK(package_progress_percent("pmstatus:dpkg-exec:100:Running dpkg") == 100);
  CHECK_FALSE(package_progress_percent("Unpacking hello").has_value());
  CHECK_FALSE(package_progress_percent("pmstatus:x:abc:y").has_value());
  CHECK_FALSE(package_progress_percent("pmstatus:x:1000:y").has_value());
  CHECK_FALSE(package_progress_percent("pmstatus:x").has_value());
}
}  // namespace roux::report
