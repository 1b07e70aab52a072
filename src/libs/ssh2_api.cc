#include "libs/ssh2_api.h"

namespace roux::libs {

Result<const Ssh2*> ssh2() {
  static const Result<const Ssh2*> loaded = []() -> Result<const Ssh2*> {
    static Ssh2 api;
    ROUX_TRY(load_library("libssh2.so.1", "libssh2-1", {ROUX_SSH2_FUNCTIONS(ROUX_LIBS_SYMBOL)}));
    return &api;
  }();
  return loaded;
}

}  // namespace roux::libs
