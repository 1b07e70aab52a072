#include "libs/git2_write_api.h"

namespace roux::libs {

Result<const Git2Write*> git2_write() {
  static const Result<const Git2Write*> loaded = []() -> Result<const Git2Write*> {
    ROUX_TRY(git2().status());
    static Git2Write api;
    ROUX_TRY(load_library("libgit2.so." LIBGIT2_SOVERSION, "libgit2-" LIBGIT2_SOVERSION,
                          {ROUX_GIT2_WRITE_FUNCTIONS(ROUX_LIBS_SYMBOL)}));
    return &api;
  }();
  return loaded;
}

}  // namespace roux::libs
