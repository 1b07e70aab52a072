#pragma once
// libcurl, loaded on first use (see libs/dynlib.h). Include this instead of <curl/curl.h>.
#define CURL_DISABLE_TYPECHECK  // the type-checking macros would shadow the table's members
#include <curl/curl.h>

#include "libs/dynlib.h"

namespace roux::libs {

#define ROUX_CURL_FUNCTIONS(X)                                                                      \
  X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo) \
  X(curl_easy_strerror) X(curl_slist_append) X(curl_slist_free_all) X(curl_url) X(curl_url_cleanup)    \
  X(curl_url_set) X(curl_url_get) X(curl_free) X(curl_global_init)

struct Curl {
  ROUX_CURL_FUNCTIONS(ROUX_LIBS_MEMBER)
};

/// libcurl (libcurl.so.4, package libcurl4), loaded and curl_global_init()ed once, thread-safely.
Result<const Curl*> curl();

}  // namespace roux::libs
