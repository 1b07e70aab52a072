#pragma once
// Shared libraries loaded on first use. roux runs daily on every host, and most runs read
// cookbooks from a folder or the cache: they need neither libgit2, libcurl nor libarchive. Linked
// normally, those three pull ~40 libraries (gnutls, krb5, ldap, icu, ...) into every process,
// measured at 7 MB of RSS and 7 ms of start-up. So the binary does not link them: each is opened
// by its soname the first time a git source, an HTTP fetch, a webhook, an HTTP check or a tarball
// needs it, and its functions are called through a table typed from the library's own header
// (decltype), so a signature can never drift from the header roux was compiled against.
#include <initializer_list>
#include <utility>

#include "base/status.h"

namespace roux::libs {

/// dlopen(soname) and dlsym every (name, slot) into *slot. An error names the library and the
/// Debian package that provides it. Each library is loaded once, by its accessor.
Status load_library(const char* soname, const char* package,
                    std::initializer_list<std::pair<const char*, void**>> symbols);

/// The table of an accessor that already succeeded, for code that only runs after the entry
/// point checked it (a failure here is a bug, and aborts).
template <class Api>
const Api& must(const Result<const Api*>& loaded) {
  ROUX_CHECK(loaded.is_ok());
  return **loaded;
}

}  // namespace roux::libs

// Declares one function-pointer member per function of a library's X-list, typed from its header.
#define ROUX_LIBS_MEMBER(f) decltype(&::f) f = nullptr;
// One (name, slot) pair for load_library, the slot being that member of a table named `api`.
#define ROUX_LIBS_SYMBOL(f) {#f, reinterpret_cast<void**>(&api.f)},
