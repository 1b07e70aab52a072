#include "libs/curl_api.h"

namespace roux::libs {

Result<const Curl*> curl() {
  static const Result<const Curl*> loaded = []() -> Result<const Curl*> {
    static Curl api;
    ROUX_TRY(load_library("libcurl.so.4", "libcurl4", {ROUX_CURL_FUNCTIONS(ROUX_LIBS_SYMBOL)}));
    if (CURLcode rc = api.curl_global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
      return Status::internal(std::string("curl_global_init: ") + api.curl_easy_strerror(rc));
    return &api;
  }();
  return loaded;
}

}  // namespace roux::libs
