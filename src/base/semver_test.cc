#include <doctest/doctest.h>

#include "base/semver.h"

namespace roux {
namespace {

Version v(const char* s) { return *Version::parse(s); }
bool m(const char* constraint, const char* version) {
  auto c = Constraint::parse(constraint);
  REQUIRE(c.is_ok());
  return c->matches(v(version));
}

TEST_CASE("semver: versions parse, print and order as semver 2.0") {
  CHECK(v("1.2").to_string() == "1.2.0");
  CHECK(v("1").to_string() == "1.0.0");
  CHECK(v("1.2.3-rc.1+build.5").to_string() == "1.2.3-rc.1");
  CHECK(v("1.2.3+build") == v("1.2.3"));
  CHECK(!Version::parse("1.2.3.4").is_ok());
  CHECK(!Version::parse("a.b").is_ok());
  CHECK(!Version::parse("1.0.0-").is_ok());
  CHECK(!Version::parse("").is_ok());
  CHECK(v("1.10.0") > v("1.9.0"));
  CHECK(v("2.0.0") > v("1.99.99"));
  // semver.org 11.4: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2
  //                  < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0
  const char* order[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0"};
  for (size_t i = 0; i + 1 < std::size(order); ++i) {
    CAPTURE(order[i]);
    CHECK(v(order[i]) < v(order[i + 1]));
  }
}

TEST_CASE("semver: pre-release and build identifiers follow semver 2.0 (items 9-10)") {
  for (const char* bad : {"1.0.0-rc..1", "1.0.0-rc.", "1.0.0-.rc", "1.0.0-rc.01", "1.0.0-00", "1.0.0-r c",
                          "1.0.0-rc_1", "1.0.0-rc/1", "1.0.0+", "1.0.0+a..b", "1.0.0+a_b", "1.0.0-\x01"}) {
    CAPTURE(bad);
    CHECK(!Version::parse(bad).is_ok());
    CHECK(!Constraint::parse(std::string(">= ") + bad).is_ok());
  }
  for (const char* good : {"1.0.0-0", "1.0.0-rc-1", "1.0.0-0a", "1.0.0-x.7.z.92", "1.0.0+001", "1.0.0-rc.1+exp.sha.5114f85"}) {
    CAPTURE(good);
    CHECK(Version::parse(good).is_ok());
  }
  // Numeric identifiers compare as numbers, even past 64 bits.
  CHECK(v("1.0.0-99999999999999999999") < v("1.0.0-100000000000000000000"));
  CHECK(v("1.0.0-2") < v("1.0.0-10"));
}

TEST_CASE("semver: pre-release and build identifiers are [0-9A-Za-z-] (fuzz finding: \"11-a\\x1c0= +a,0\")") {
  // Before: any byte was accepted in a pre-release, so a version did not print back to itself
  // (trailing space trimmed) and could carry "/" into a tarball's file name.
  for (const char* bad : {"11-a\x1c" "0= +a,0", "1.0.0-a b", "1.0.0-a/b", "1.0.0-a,b", "1.0.0-\xc3\xa9", "1.0.0+a/b",
                          "1.0.0-", "1.0.0-a..b", "1.0.0+"})
    CHECK_FALSE(Version::parse(bad).is_ok());
  for (const char* good : {"1.0.0-rc.1", "1.0.0-beta-2", "1.0.0-0A.z", "1.0.0+build.5", "1.0.0-rc1+sha-abc"}) {
    auto v = Version::parse(good);
    REQUIRE(v.is_ok());
    auto again = Version::parse(v->to_string());
    REQUIRE(again.is_ok());
    CHECK(*again == *v);
  }
}

TEST_CASE("semver: every operator") {
  CHECK(m("= 1.2.3", "1.2.3"));
  CHECK(!m("= 1.2.3", "1.2.4"));
  CHECK(m("1.2.3", "1.2.3"));  // bare version means =
  CHECK(m("!= 1.2.3", "1.2.4"));
  CHECK(!m("!= 1.2.3", "1.2.3"));
  CHECK(m("> 1.0", "1.0.1"));
  CHECK(!m("> 1.0", "1.0.0"));
  CHECK(m(">= 1.0", "1.0.0"));
  CHECK(!m(">= 1.0", "0.9.9"));
  CHECK(m("< 2.0", "1.9.9"));
  CHECK(!m("< 2.0", "2.0.0"));
  CHECK(m("<= 2.0", "2.0.0"));
  CHECK(!m("<= 2.0", "2.0.1"));
  CHECK(m(">=1.0", "1.5.0"));  // no space needed
  CHECK(m("", "9.9.9"));
  CHECK(m("*", "0.0.1"));
}

TEST_CASE("semver: ~> is pessimistic as Chef and Bundler mean it") {
  CHECK(m("~> 1.2", "1.2.0"));
  CHECK(m("~> 1.2", "1.9.7"));
  CHECK(!m("~> 1.2", "2.0.0"));
  CHECK(!m("~> 1.2", "1.1.9"));
  CHECK(m("~> 1.2.3", "1.2.9"));
  CHECK(!m("~> 1.2.3", "1.3.0"));
  CHECK(!m("~> 1.2.3", "1.2.2"));
  CHECK(m("~> 1", "1.9.0"));
  CHECK(!m("~> 1", "2.0.0"));
  CHECK(m("~> 0.2", "0.9.0"));
  CHECK(!m("~> 0.2", "1.0.0"));
  CHECK(!m("~> 1.2", "2.0.0-rc.1"));  // the next major's pre-releases are out too
  CHECK(Constraint::parse("~> 1.2")->to_string() == "~> 1.2");
  CHECK(Constraint::parse("~>1.2.3")->to_string() == "~> 1.2.3");
}

TEST_CASE("semver: combinations, and bad constraints are errors") {
  CHECK(m(">= 1.2, < 2", "1.5.0"));
  CHECK(!m(">= 1.2, < 2", "2.0.0"));
  CHECK(!m(">= 1.2, < 2", "1.1.0"));
  CHECK(m("~> 1.2, != 1.2.5", "1.2.6"));
  CHECK(!m("~> 1.2, != 1.2.5", "1.2.5"));
  CHECK(Constraint::parse(">= 1.2, < 2")->to_string() == ">= 1.2, < 2");
  CHECK(!Constraint::parse(">= 1.0 < 2.0").is_ok());
  CHECK(!Constraint::parse(">=").is_ok());
  CHECK(!Constraint::parse("~> x").is_ok());
  CHECK(!Constraint::parse(">= 1.0,").is_ok());
  CHECK(Constraint::parse("=> 1.0").status().message() == "invalid version constraint \"=> 1.0\"");
}

TEST_CASE("semver: pre-releases match only when a constraint names one") {
  CHECK(!m(">= 1.0", "2.0.0-rc.1"));
  CHECK(!m("", "2.0.0-rc.1"));
  CHECK(m(">= 2.0.0-rc.1", "2.0.0-rc.2"));
  CHECK(m(">= 2.0.0-rc.1", "2.0.0"));
  CHECK(!m(">= 2.0.0-rc.2", "2.0.0-rc.1"));
  CHECK(m("= 1.0.0-beta", "1.0.0-beta"));
  CHECK(!m("!= 1.0.0-rc.1", "1.0.0-rc.2"));  // != does not invite pre-releases
  CHECK(m("!= 1.0.0-rc.1", "1.0.0"));
}

}  // namespace
}  // namespace roux
