#include "sources/source_kinds.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/temp_dir.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

TEST_CASE("source kinds: one table, the supported list built from it") {
  std::vector<std::string> names;
  for (const auto& k : source_kinds()) {
    names.push_back(k.name);
    CHECK(static_cast<bool>(k.open));
    CHECK((k.matches != nullptr || !k.prefixes.empty()));
    CHECK_FALSE(k.help.empty());
  }
  CHECK(names == std::vector<std::string>{"dir", "git", "supermarket"});
  // scp-style git URLs have no fixed prefix: the git row matches them by its function.
  CHECK(source_kinds()[1].matches("git@example.com:team/cookbooks.git"));
  CHECK(source_kinds()[1].matches("git://127.0.0.1/x.git"));
  CHECK_FALSE(source_kinds()[1].matches("cookbooks"));
  CHECK(supported_source_schemes() ==
        "dir:PATH, a folder path, git+file://, git+https://, git+ssh://, git://, USER@HOST:PATH, http://, https://, "
        "file://");
}

TEST_CASE("source kinds: an unknown scheme names every supported one, without the URL's credentials") {
  SourceContext ctx;
  auto s = open_source("s3://user:secret@bucket/cookbooks", ctx);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.status().code() == Code::kUnsupported);
  CHECK(s.status().message() ==
        "source s3://bucket/cookbooks: unsupported scheme (supported: dir:PATH, a folder path, git+file://, "
        "git+https://, git+ssh://, git://, USER@HOST:PATH, http://, https://, file://)");
}

TEST_CASE("source kinds: dir:PATH and a plain path are folders, relative to the policy's folder") {
  testing::TempDir tmp;
  fs::create_directories(tmp.path + "/cookbooks/base/recipes");
  std::ofstream(tmp.path + "/cookbooks/base/metadata.yaml") << "name: base\nversion: 1.0.0\n";
  SourceContext ctx;
  ctx.base_dir = tmp.path;
  for (const std::string& url : std::vector<std::string>{"cookbooks", "dir:cookbooks", "dir:" + tmp.path + "/cookbooks"}) {
    auto s = open_source(url, ctx);
    REQUIRE_MESSAGE(s.is_ok(), url);
    CHECK((*s)->url() == "dir:" + fs::weakly_canonical(tmp.path + "/cookbooks").string());
    auto u = (*s)->universe();
    REQUIRE(u.is_ok());
    REQUIRE(u->size() == 1);
    CHECK(u->front().name == "base");
  }
  auto missing = open_source("dir:nowhere", ctx);
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().message() == "source folder " + tmp.path + "/nowhere does not exist");
}

}  // namespace
}  // namespace roux::sources
