#include <dlfcn.h>
#include <doctest/doctest.h>

#include <string>

#include "libs/archive_api.h"
#include "libs/curl_api.h"
#include "libs/git2_api.h"
#include "libs/ssh2_api.h"

namespace roux::libs {

// This test binary links libcurl, libgit2 and libarchive normally; the roux binary opens them
// by soname. Each table must hold the very functions the linker bound here: that proves the
// soname (and so the package) roux opens is the one it was compiled against.
TEST_CASE("libs: the libraries opened at run time are the ones linked at build time") {
  auto c = curl();
  REQUIRE(c.is_ok());
  CHECK(reinterpret_cast<void*>((*c)->curl_easy_init) == reinterpret_cast<void*>(&::curl_easy_init));
  CHECK(reinterpret_cast<void*>((*c)->curl_url_get) == reinterpret_cast<void*>(&::curl_url_get));
  auto g = git2();
  REQUIRE(g.is_ok());
  CHECK(reinterpret_cast<void*>((*g)->git_remote_fetch) == reinterpret_cast<void*>(&::git_remote_fetch));
  auto a = archive();
  REQUIRE(a.is_ok());
  CHECK(reinterpret_cast<void*>((*a)->archive_read_new) == reinterpret_cast<void*>(&::archive_read_new));
  CHECK(&must(curl()) == *c);
}

TEST_CASE("libs: libssh2 (known_hosts checks) opens, and is the one libgit2 uses") {
  auto s = ssh2();
  REQUIRE(s.is_ok());
  CHECK(reinterpret_cast<void*>((*s)->libssh2_knownhost_checkp) != nullptr);
  // libgit2 already mapped libssh2.so.1: opening it again gives the same library, not a copy.
  Dl_info info{};
  REQUIRE(dladdr(reinterpret_cast<void*>((*s)->libssh2_knownhost_init), &info) != 0);
  CHECK(std::string(info.dli_fname).find("libssh2.so.1") != std::string::npos);
}

TEST_CASE("libs: a missing library is an error naming the Debian package") {
  int dummy = 0;
  void* slot = &dummy;
  Status s = load_library("libroux-no-such-library.so.9", "roux-no-such-package", {{"f", &slot}});
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.to_string().find("cannot load libroux-no-such-library.so.9") != std::string::npos);
  CHECK(s.to_string().find("install the Debian package roux-no-such-package") != std::string::npos);
  Status m = load_library("libcurl.so.4", "libcurl4", {{"curl_no_such_function", &slot}});
  REQUIRE_FALSE(m.is_ok());
  CHECK(m.to_string().find("has no function curl_no_such_function") != std::string::npos);
}

}  // namespace roux::libs
