#include "sources/resolver.h"

#include <doctest/doctest.h>

namespace roux::sources {
namespace {

CookbookRef cb(const std::string& name, const std::string& version, std::map<std::string, std::string> deps = {},
               const std::string& source = "dir:/a") {
  return {name, *Version::parse(version), std::move(deps), source, "", ""};
}

std::string chosen(const ResolveResult& r) {
  std::string s;
  for (const auto& c : r.chosen) s += (s.empty() ? "" : " ") + c.name + "@" + c.version.to_string();
  return s;
}

TEST_CASE("resolver: newest versions satisfying every constraint") {
  ResolveRequest req;
  req.roots = {"web"};
  req.universe = {cb("web", "1.0.0", {{"base", ">= 1.0"}}), cb("web", "2.0.0", {{"base", "~> 1.4"}}),
                  cb("base", "1.3.0"), cb("base", "1.4.2"), cb("base", "1.6.0"), cb("base", "2.0.0")};
  auto r = resolve_versions(req);
  REQUIRE(r.ok());
  CHECK(chosen(r) == "web@2.0.0 base@1.6.0");
}

TEST_CASE("resolver: policy requirements and pins narrow the choice") {
  ResolveRequest req;
  req.roots = {"web"};
  req.requirements = {{"web", "< 2", "policy"}, {"base", "= 1.3.0", "lockfile"}};
  req.universe = {cb("web", "1.0.0", {{"base", ">= 1.0"}}), cb("web", "2.0.0"), cb("base", "1.3.0"),
                  cb("base", "1.6.0")};
  auto r = resolve_versions(req);
  REQUIRE(r.ok());
  CHECK(chosen(r) == "web@1.0.0 base@1.3.0");
}

TEST_CASE("resolver: backtracks to an older version when the newest leads to a conflict") {
  ResolveRequest req;
  req.roots = {"web", "monitoring"};
  req.universe = {cb("web", "2.1.0", {{"base", "~> 1.4"}}), cb("web", "2.0.0", {{"base", ">= 1.0, < 1.3"}}),
                  cb("monitoring", "1.0.0", {{"base", "< 1.3"}}), cb("base", "1.2.0"), cb("base", "1.4.0")};
  auto r = resolve_versions(req);
  REQUIRE(r.ok());
  CHECK(chosen(r) == "web@2.0.0 monitoring@1.0.0 base@1.2.0");
}

TEST_CASE("resolver: backtracks across two levels (a transitive dependency forces an older root)") {
  ResolveRequest req;
  req.roots = {"app"};
  req.requirements = {{"lib", "< 2", "policy"}};
  req.universe = {cb("app", "3.0.0", {{"mid", ">= 2"}}), cb("app", "2.0.0", {{"mid", "~> 1.0"}}),
                  cb("mid", "2.0.0", {{"lib", ">= 2"}}), cb("mid", "2.1.0", {{"lib", ">= 2.1"}}),
                  cb("mid", "1.0.0", {{"lib", ">= 1"}}), cb("lib", "1.5.0"), cb("lib", "2.1.0")};
  auto r = resolve_versions(req);
  REQUIRE(r.ok());
  CHECK(chosen(r) == "app@2.0.0 mid@1.0.0 lib@1.5.0");
}

TEST_CASE("resolver: the first source wins for the same version") {
  ResolveRequest req;
  req.roots = {"base"};
  req.universe = {cb("base", "1.0.0", {}, "git+file:///one.git"), cb("base", "1.0.0", {}, "dir:/two")};
  auto r = resolve_versions(req);
  REQUIRE(r.ok());
  CHECK(r.chosen.at(0).source == "git+file:///one.git");
}

TEST_CASE("resolver: pre-releases only when a constraint names one") {
  ResolveRequest req;
  req.roots = {"base"};
  req.universe = {cb("base", "1.0.0"), cb("base", "2.0.0-rc.1")};
  CHECK(chosen(resolve_versions(req)) == "base@1.0.0");
  req.requirements = {{"base", ">= 2.0.0-rc.1", "policy"}};
  CHECK(chosen(resolve_versions(req)) == "base@2.0.0-rc.1");
}

TEST_CASE("resolver: an unsatisfiable set names the conflicting chain") {
  ResolveRequest req;
  req.roots = {"web", "monitoring"};
  req.universe = {cb("web", "2.1.0", {{"base", "~> 1.4"}}), cb("monitoring", "1.0.0", {{"base", "< 1.3"}}),
                  cb("base", "1.2.0"), cb("base", "1.4.0")};
  auto r = resolve_versions(req);
  REQUIRE(!r.ok());
  CHECK(r.failed_cookbook == "base");
  CHECK(r.status.message() ==
        "no version of cookbook base satisfies: web 2.1.0 needs base ~> 1.4; monitoring 1.0.0 needs base < 1.3 "
        "(available: 1.2.0, 1.4.0)");
}

TEST_CASE("resolver: a policy constraint no version meets") {
  ResolveRequest req;
  req.roots = {"base"};
  req.requirements = {{"base", ">= 3", "policy"}};
  req.universe = {cb("base", "1.0.0"), cb("base", "2.0.0")};
  auto r = resolve_versions(req);
  REQUIRE(!r.ok());
  CHECK(r.status.message() == "no version of cookbook base satisfies: policy needs base >= 3 (available: 1.0.0, 2.0.0)");
}

TEST_CASE("resolver: a missing dependency names who needs it") {
  ResolveRequest req;
  req.roots = {"web"};
  req.universe = {cb("web", "1.0.0", {{"nginx", ">= 1"}})};
  auto r = resolve_versions(req);
  REQUIRE(!r.ok());
  CHECK(r.failed_cookbook == "nginx");
  CHECK(r.status.message() == "cookbook nginx not found in any source (needed by web 1.0.0)");
  req.roots = {"nothing"};
  CHECK(resolve_versions(req).status.message() == "cookbook nothing not found in any source");
}

TEST_CASE("resolver: a conflict with an already chosen version that another version would meet") {
  // base is chosen (root) as 2.0.0 before lib, whose only version needs base < 2; backtracking
  // picks base 1.0.0.
  ResolveRequest req;
  req.roots = {"base", "lib"};
  req.universe = {cb("base", "2.0.0"), cb("base", "1.0.0"), cb("lib", "1.0.0", {{"base", "< 2"}})};
  auto r = resolve_versions(req);
  REQUIRE(r.ok());
  CHECK(chosen(r) == "base@1.0.0 lib@1.0.0");
}

TEST_CASE("resolver: a bad constraint in metadata is an error naming the cookbook") {
  ResolveRequest req;
  req.roots = {"web"};
  req.universe = {cb("web", "1.0.0", {{"base", ">> 1"}}), cb("base", "1.0.0")};
  auto r = resolve_versions(req);
  REQUIRE(!r.ok());
  CHECK(r.status.message() == "web 1.0.0: depends: base: invalid version constraint \">> 1\"");
}

TEST_CASE("resolver: gives up cleanly on a pathological universe") {
  ResolveRequest req;
  req.max_steps = 50;
  for (int i = 0; i < 8; ++i) {
    std::string n = "c" + std::to_string(i);
    req.roots.push_back(n);
    for (int v = 1; v <= 9; ++v) req.universe.push_back(cb(n, std::to_string(v) + ".0.0", {{"z", "= 1"}}));
  }
  req.universe.push_back(cb("z", "2.0.0"));
  auto r = resolve_versions(req);
  REQUIRE(!r.ok());
  CHECK(r.status.message() ==
        "cannot resolve cookbook versions: gave up after 50 candidates (add tighter constraints to the policy)");
}

}  // namespace
}  // namespace roux::sources
