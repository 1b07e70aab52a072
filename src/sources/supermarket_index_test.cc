#include <doctest/doctest.h>

#include "sources/http.h"
#include "sources/supermarket.h"

namespace roux::sources {
namespace {

const std::string kSha(64, 'a'), kContent(64, 'b');

TEST_CASE("supermarket index: parse, canonical JSON round trip, Chef extras tolerated") {
  std::string text = R"({"web": {"2.0.0": {"download_url": "web-2.0.0.tar.gz", "dependencies": {"base": "~> 1.0"},
      "sha256": ")" + kSha + R"(", "content_sha256": ")" + kContent + R"(", "location_type": "opscode"}}})";
  auto idx = parse_index(text, "u");
  REQUIRE(idx.is_ok());
  const IndexEntry* e = idx->find("web", *Version::parse("2.0.0"));
  REQUIRE(e != nullptr);
  CHECK(e->dependencies.at("base") == "~> 1.0");
  CHECK(idx->find("web", *Version::parse("2.0.1")) == nullptr);
  std::string canon = index_to_json(*idx);
  auto again = parse_index(canon, "u");
  REQUIRE(again.is_ok());
  CHECK(index_to_json(*again) == canon);
}

TEST_CASE("supermarket index: every malformed entry is refused with its place") {
  auto bad = [](const std::string& text) { return parse_index(text, "u").status().message(); };
  CHECK(bad("[]").find("index must be an object") != std::string::npos);
  CHECK(bad("{").find("not valid JSON") != std::string::npos);
  CHECK(bad(R"({"Web": {}})").find("not a valid cookbook name") != std::string::npos);
  CHECK(bad(R"({"web": {"x.y": {}}})").find("u: web x.y: ") != std::string::npos);
  CHECK(bad(R"({"web": {"1.0.0": {"sha256": ")" + kSha + R"(", "content_sha256": ")" + kContent + R"("}}})")
            .find("missing \"download_url\"") != std::string::npos);
  CHECK(bad(R"({"web": {"1.0.0": {"download_url": "w", "sha256": "abc", "content_sha256": ")" + kContent + R"("}}})")
            .find("sha256 must be 64 lower-case hex digits") != std::string::npos);
}

TEST_CASE("supermarket index: _index carries a serial and an expiry, both or neither") {
  std::string entry = R"({"1.0.0": {"download_url": "w", "sha256": ")" + kSha + R"(", "content_sha256": ")" + kContent + R"("}})";
  auto idx = parse_index(R"({"_index": {"serial": 7, "expires": "2030-01-02T03:04:05Z"}, "web": )" + entry + "}", "u");
  REQUIRE(idx.is_ok());
  CHECK(idx->serial == 7);
  CHECK(idx->expires == "2030-01-02T03:04:05Z");
  CHECK(idx->cookbooks.count("_index") == 0);
  auto again = parse_index(index_to_json(*idx), "u");
  REQUIRE(again.is_ok());
  CHECK(again->serial == 7);
  CHECK(again->expires == idx->expires);
  auto legacy = parse_index(R"({"web": )" + entry + "}", "u");
  REQUIRE(legacy.is_ok());
  CHECK(legacy->serial == 0);
  CHECK(index_to_json(*legacy).find("_index") == std::string::npos);

  auto bad = [](const std::string& meta) { return parse_index(R"({"_index": )" + meta + "}", "u").status().message(); };
  CHECK(bad(R"({"expires": "2030-01-02T03:04:05Z"})").find("\"serial\" must be an integer >= 1") != std::string::npos);
  CHECK(bad(R"({"serial": 0, "expires": "2030-01-02T03:04:05Z"})").find("serial") != std::string::npos);
  CHECK(bad(R"({"serial": 1})").find("\"expires\" must be a UTC time") != std::string::npos);
  CHECK(bad(R"({"serial": 1, "expires": "tomorrow"})").find("not a UTC time") != std::string::npos);
  CHECK(bad(R"({"serial": 1, "expires": "2030-01-02T03:04:05Z", "x": 1})").find("unknown key \"x\"") != std::string::npos);
}

TEST_CASE("parse_utc / format_utc round trip; anything but YYYY-MM-DDTHH:MM:SSZ is refused") {
  auto t = parse_utc("2026-11-30T12:00:00Z");
  REQUIRE(t.is_ok());
  CHECK(*t == 1796040000);
  CHECK(format_utc(*t) == "2026-11-30T12:00:00Z");
  CHECK(!parse_utc("2026-11-30 12:00:00Z").is_ok());
  CHECK(!parse_utc("2026-11-30T12:00:00+01:00").is_ok());
  CHECK(!parse_utc("2026-13-30T12:00:00Z").is_ok());
  // A sign or a blank where a digit belongs (sscanf's %d takes them): refused, never read.
  for (const char* bad : {"2026-11-30T-1:00:00Z", "2026-11-30T12:-5:00Z", "2026-11-30T12:00:-1Z", "+026-11-30T12:00:00Z",
                          "2026-+1-30T12:00:00Z", "2026-11- 1T12:00:00Z", "2026-11-30T 1:00:00Z"}) {
    CAPTURE(bad);
    CHECK(!parse_utc(bad).is_ok());
  }
}

TEST_CASE("resolve_url: relative names join the supermarket URL, absolute ones stay") {
  CHECK(resolve_url("http://h:1/m/", "a-1.0.0.tar.gz") == "http://h:1/m/a-1.0.0.tar.gz");
  CHECK(resolve_url("file:///srv/m", "a.tar.gz") == "file:///srv/m/a.tar.gz");
  CHECK(resolve_url("http://h/m", "https://cdn/a.tar.gz") == "https://cdn/a.tar.gz");
}

TEST_CASE("fetch_url: file:// reads, a missing file is not found, other schemes unsupported") {
  CHECK(fetch_url({"file:///nonexistent/roux/x"}).status().code() == Code::kNotFound);
  CHECK(fetch_url({"ftp://h/x"}).status().code() == Code::kUnsupported);
  auto r = fetch_url({"file:///proc/self/comm"});
  REQUIRE(r.is_ok());
  CHECK(r->status == 200);
}

}  // namespace
}  // namespace roux::sources

namespace roux::sources {
namespace {

TEST_CASE("supermarket index: _policies round trip; groups must name a revision") {
  const std::string sha(64, 'c'), content(64, 'd');
  std::string rev = R"({"download_url": "policies/web-1.tar.gz", "sha256": ")" + sha + R"(", "content_sha256": ")" +
                    content + R"("})";
  std::string text = R"({"_policies": {"web": {"revisions": {"1": )" + rev + R"(, "2": )" + rev +
                     R"(}, "groups": {"default": 1, "staging": 2}}}})";
  auto idx = parse_index(text, "u");
  REQUIRE(idx.is_ok());
  REQUIRE(idx->policies.count("web"));
  CHECK(idx->policies.at("web").groups.at("staging") == 2);
  CHECK(idx->policies.at("web").revisions.at(1).download_url == "policies/web-1.tar.gz");
  CHECK(idx->cookbooks.empty());  // "_policies" is not a cookbook
  std::string canon = index_to_json(*idx);
  auto again = parse_index(canon, "u");
  REQUIRE(again.is_ok());
  CHECK(index_to_json(*again) == canon);

  auto bad = [&](const std::string& t) { return parse_index(t, "u").status().message(); };
  CHECK(bad(R"({"_policies": {"web": {"revisions": {"1": )" + rev + R"(}, "groups": {"prod": 3}}}})")
            .find("u: _policies: web: group prod must name one of the revisions") != std::string::npos);
  CHECK(bad(R"({"_policies": {"web": {"revisions": {"01": )" + rev + R"(}, "groups": {}}}})")
            .find("revision 01: a revision is a whole number >= 1") != std::string::npos);
  CHECK(bad(R"({"_policies": {"../x": {"revisions": {}, "groups": {}}}})").find("not a valid policy name") !=
        std::string::npos);
  CHECK(bad(R"({"_policies": []})").find("expected an object of policy names") != std::string::npos);
}

}  // namespace
}  // namespace roux::sources

namespace roux::sources {
namespace {

TEST_CASE("supermarket index: group_locks round trip; each names its group's revision and lock") {
  const std::string sha(64, 'c'), content(64, 'd'), lock(64, 'e'), other(64, 'f');
  std::string rev = R"({"download_url": "policies/web-1.tar.gz", "sha256": ")" + sha + R"(", "content_sha256": ")" +
                    content + R"(", "lock_sha256": ")" + lock + R"("})";
  auto policy = [&](const std::string& locks) {
    return R"({"_policies": {"web": {"revisions": {"1": )" + rev + R"(}, "groups": {"prod": 1}, "group_locks": )" + locks +
           "}}}";
  };
  auto idx = parse_index(policy(R"({"prod": {"revision": 1, "lock_sha256": ")" + lock +
                                R"(", "since": "2026-11-30T09:00:00Z", "key_id": "k", "via": "promote from staging"}})"),
                         "u");
  REQUIRE(idx.is_ok());
  const GroupLock& gl = idx->policies.at("web").group_locks.at("prod");
  CHECK(gl.lock_sha256 == lock);
  CHECK(gl.via == "promote from staging");
  CHECK(idx->policies.at("web").revisions.at(1).lock_sha256 == lock);
  CHECK(group_lock_of(idx->policies.at("web"), "prod") == lock);
  std::string canon = index_to_json(*idx);
  auto again = parse_index(canon, "u");
  REQUIRE(again.is_ok());
  CHECK(index_to_json(*again) == canon);

  auto bad = [&](const std::string& locks) { return parse_index(policy(locks), "u").status().message(); };
  CHECK(bad(R"({"staging": {"revision": 1, "lock_sha256": ")" + lock + R"("}})")
            .find("u: _policies: web: group_locks: staging: not a group of the policy") != std::string::npos);
  CHECK(bad(R"({"prod": {"revision": 2, "lock_sha256": ")" + lock + R"("}})")
            .find("group_locks: prod: \"revision\" must be the group's revision 1") != std::string::npos);
  CHECK(bad(R"({"prod": {"revision": 1, "lock_sha256": ")" + other + R"("}})")
            .find("group_locks: prod: lock_sha256 differs from revision 1's lock_sha256") != std::string::npos);
  CHECK(bad(R"({"prod": {"revision": 1, "lock_sha256": "xyz"}})").find("must be 64 lower-case hex digits") !=
        std::string::npos);
}

}  // namespace
}  // namespace roux::sources
