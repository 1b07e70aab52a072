#include "sources/cookbook_set.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "sources/cache.h"
#include "tests/unit/temp_dir.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;  // tests/unit/temp_dir.h

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::trunc) << text;
}

/// DIR/NAME-VERSION/ a cookbook; `extra` changes its content.
std::string cookbook(const std::string& dir, const std::string& name, const std::string& version,
                     const std::string& depends = "", const std::string& extra = "") {
  std::string cb = dir + "/" + name + "-" + version;
  write(cb + "/metadata.yaml", "name: " + name + "\nversion: " + version + "\n" +
                                   (depends.empty() ? "" : "depends:\n  " + depends + "\n"));
  write(cb + "/recipes/default.yaml", "resources: []\n" + extra);
  return cb;
}

SourceContext context(const TempDir& cache) {
  SourceContext ctx;
  ctx.cache_dir = cache.path + "/cache";
  ctx.base_dir = cache.path;
  return ctx;
}

PinnedCookbook pin(const std::string& name, const std::string& version, const std::string& source,
                   const std::string& sha256) {
  return {name, *Version::parse(version), source, sha256, "", {}};
}

TEST_CASE("cookbook set: resolve chooses versions across the search list, fetches each, says where from") {
  TempDir a, b, cache;
  cookbook(a.path, "web", "1.0.0", "base: \">= 1.0\"");
  cookbook(a.path, "web", "2.0.0", "base: \"~> 1.4\"");
  cookbook(b.path, "base", "1.4.2");
  std::string base16 = cookbook(b.path, "base", "1.6.0");
  SourceSet sources(context(cache));
  REQUIRE(sources.open({a.path, "dir:" + b.path}).empty());
  CookbookSet set = sources.resolve({"web"}, {{"base", "< 1.6", "policy"}});
  REQUIRE(set.ok());
  REQUIRE(set.cookbooks.size() == 2);
  CHECK(set.cookbooks[0].ref.name == "web");  // roots first: the order attributes merge in
  CHECK(set.cookbooks[0].ref.version.to_string() == "2.0.0");
  CHECK(set.cookbooks[0].from == "dir:" + a.path);
  CHECK(set.cookbooks[0].sha256.empty());  // not asked
  const ResolvedCookbook* base = set.find("base");
  REQUIRE(base);
  CHECK(base->ref.version.to_string() == "1.4.2");
  CHECK(base->from == "dir:" + b.path);
  CHECK(base->path == b.path + "/base-1.4.2");
  CHECK(set.find("nginx") == nullptr);

  CookbookSet digested = sources.resolve({"web"}, {}, true);  // roux lock: each content digest
  REQUIRE(digested.ok());
  CHECK(digested.find("base")->path == base16);
  CHECK(digested.find("base")->sha256 == *content_digest(base16));
}

TEST_CASE("cookbook set: what cannot be resolved names the cookbook and the sources searched") {
  TempDir a, cache;
  cookbook(a.path, "web", "1.0.0", "nginx: \">= 1.0\"");
  SourceSet sources(context(cache));
  REQUIRE(sources.open({a.path}).empty());
  CookbookSet set = sources.resolve({"web"}, {});
  REQUIRE_FALSE(set.ok());
  CHECK(set.unresolvable);
  CHECK(set.failed_cookbook == "nginx");
  CHECK(set.errors.back().code() == Code::kNotFound);
  CHECK(set.errors.back().message().find("(searched dir:" + a.path + ")") != std::string::npos);

  CookbookSet conflict = sources.resolve({"web"}, {{"web", ">= 2", "policy"}});
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.unresolvable);
  CHECK(conflict.failed_cookbook == "web");
}

TEST_CASE("cookbook set: open reports every URL it cannot open, an unknown scheme with the supported ones") {
  TempDir cache;
  SourceSet sources(context(cache));
  auto errors = sources.open({"s3://bucket/cookbooks", cache.path + "/missing"});
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].code() == Code::kUnsupported);
  CHECK(errors[0].message().find("supported: dir:PATH") != std::string::npos);
}

TEST_CASE("cookbook set: locked pins come by content, from their source, a mirror or the cache") {
  TempDir origin, mirror, cache;
  std::string web = cookbook(origin.path, "web", "1.0.0");
  cookbook(mirror.path, "web", "1.0.0");  // same content
  std::string digest = *content_digest(web);
  SourceContext ctx = context(cache);

  SUBCASE("from the pin's own source") {
    SourceSet sources(ctx);
    REQUIRE(sources.open({}).empty());
    CookbookSet set = sources.fetch_locked({pin("web", "1.0.0", "dir:" + origin.path, digest)});
    REQUIRE(set.ok());
    CHECK(set.cookbooks[0].path == web);
    CHECK(set.cookbooks[0].from == "dir:" + origin.path);
    CHECK(set.cookbooks[0].sha256 == digest);
  }
  SUBCASE("the pin's source is gone: a search-list source with the same content serves it") {
    fs::remove_all(origin.path + "/web-1.0.0");
    SourceSet sources(ctx);
    REQUIRE(sources.open({mirror.path}).empty());
    CookbookSet set = sources.fetch_locked({pin("web", "1.0.0", "dir:" + origin.path, digest)});
    REQUIRE(set.ok());
    CHECK(set.cookbooks[0].from == "dir:" + mirror.path);
    CHECK(set.cookbooks[0].ref.source == "dir:" + origin.path);  // the lock is not rewritten
  }
  SUBCASE("other content under the same version is never used") {
    fs::remove_all(origin.path + "/web-1.0.0");
    fs::remove_all(mirror.path + "/web-1.0.0");
    cookbook(mirror.path, "web", "1.0.0", "", "# changed\n");
    SourceSet sources(ctx);
    REQUIRE(sources.open({mirror.path}).empty());
    CookbookSet set = sources.fetch_locked({pin("web", "1.0.0", "dir:" + origin.path, digest)});
    REQUIRE(set.errors.size() == 1);
    CHECK(set.errors[0].code() == Code::kNotFound);
    CHECK(set.errors[0].message().find("has other content") != std::string::npos);
    CHECK(set.cookbooks.empty());
  }
  SUBCASE("a source whose content does not match the pin is refused") {
    SourceSet sources(ctx);
    CookbookSet set = sources.fetch_locked({pin("web", "1.0.0", "dir:" + origin.path, std::string(64, 'a'))});
    REQUIRE(set.errors.size() == 1);
    CHECK(set.errors[0].code() == Code::kUntrusted);
    CHECK(set.errors[0].message().find("does not match the lockfile's") != std::string::npos);
  }
  SUBCASE("from the cache, with no source at all") {
    Cache store(ctx.cache_dir, "");
    auto tmp = store.make_temp_dir();
    REQUIRE(tmp.is_ok());
    fs::copy(web, *tmp, fs::copy_options::recursive);
    REQUIRE(*store.insert_dir(*tmp) == digest);
    fs::remove_all(origin.path);
    SourceSet sources(ctx);
    CookbookSet set = sources.fetch_locked({pin("web", "1.0.0", "dir:" + origin.path, digest)});
    REQUIRE(set.ok());
    CHECK(set.cookbooks[0].from == "cache");
    CHECK(set.cookbooks[0].sha256 == digest);
  }
}

}  // namespace
}  // namespace roux::sources
