#include "libs/git2_api.h"

namespace roux::libs {

Result<const Git2*> git2() {
  static const Result<const Git2*> loaded = []() -> Result<const Git2*> {
    static Git2 api;
    ROUX_TRY(load_library("libgit2.so." LIBGIT2_SOVERSION, "libgit2-" LIBGIT2_SOVERSION,
                          {ROUX_GIT2_FUNCTIONS(ROUX_LIBS_SYMBOL)}));
    if (int rc = api.git_libgit2_init(); rc < 0) return Status::internal("git_libgit2_init failed: " + std::to_string(rc));
    return &api;
  }();
  return loaded;
}

}  // namespace roux::libs
