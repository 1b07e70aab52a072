#include "libs/archive_api.h"

namespace roux::libs {

Result<const Archive*> archive() {
  static const Result<const Archive*> loaded = []() -> Result<const Archive*> {
    static Archive api;
    ROUX_TRY(load_library("libarchive.so.13", "libarchive13", {ROUX_ARCHIVE_FUNCTIONS(ROUX_LIBS_SYMBOL)}));
    return &api;
  }();
  return loaded;
}

}  // namespace roux::libs
