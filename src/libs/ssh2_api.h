#pragma once
// libssh2, loaded on first use (see libs/dynlib.h). Include this instead of <libssh2.h>.
// libgit2 speaks ssh through libssh2 (so the library is already in memory when a git source uses
// ssh); roux uses it only to read a known_hosts file and check a host key against it.
#include <libssh2.h>

#include "libs/dynlib.h"

namespace roux::libs {

#define ROUX_SSH2_FUNCTIONS(X)                                                                      \
  X(libssh2_session_init_ex) X(libssh2_session_free) X(libssh2_knownhost_init)                      \
  X(libssh2_knownhost_readfile) X(libssh2_knownhost_checkp) X(libssh2_knownhost_free)

struct Ssh2 {
  ROUX_SSH2_FUNCTIONS(ROUX_LIBS_MEMBER)
};

/// libssh2 (libssh2.so.1, package libssh2-1), loaded once, thread-safely.
Result<const Ssh2*> ssh2();

}  // namespace roux::libs
