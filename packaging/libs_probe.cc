// roux_libs_probe: not installed. roux opens libcurl, libgit2, libarchive (and libssh2, for
// known_hosts checks of git over ssh) on first use
// (src/libs/dynlib.h), so its binary does not name them and dpkg-shlibdeps cannot find them. This
// program links them for real and takes the address of every function roux looks up (the
// same X-lists the lookup tables are made from), so `dpkg-shlibdeps` on it yields the packages and
// the minimum versions those functions need (debian/rules adds it to dh_shlibdeps).
#include <cstdio>

#include "libs/archive_api.h"
#include "libs/curl_api.h"
#include "libs/git2_api.h"
#include "libs/ssh2_api.h"

#define ROUX_PROBE_ADDRESS(f) reinterpret_cast<const void*>(&::f),

int main() {
  const void* used[] = {ROUX_CURL_FUNCTIONS(ROUX_PROBE_ADDRESS) ROUX_GIT2_FUNCTIONS(ROUX_PROBE_ADDRESS)
                            ROUX_ARCHIVE_FUNCTIONS(ROUX_PROBE_ADDRESS) ROUX_SSH2_FUNCTIONS(ROUX_PROBE_ADDRESS)};
  size_t linked = 0;
  for (const void* p : used) linked += p != nullptr;
  std::printf("%zu functions linked\n", linked);
  return linked == sizeof(used) / sizeof(used[0]) ? 0 : 1;
}
