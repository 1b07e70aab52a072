#pragma once
// libarchive, loaded on first use (see libs/dynlib.h). Include this instead of <archive.h>.
#include <archive.h>
#include <archive_entry.h>

#include <string>

#include "libs/dynlib.h"

namespace roux::libs {

#define ROUX_ARCHIVE_FUNCTIONS(X)                                                                          \
  X(archive_error_string) X(archive_read_new) X(archive_read_free) X(archive_read_support_filter_gzip)    \
  X(archive_read_support_filter_none) X(archive_read_support_format_tar) X(archive_read_open_memory)      \
  X(archive_read_next_header) X(archive_read_data) X(archive_write_new) X(archive_write_free)             \
  X(archive_write_add_filter_gzip) X(archive_write_set_format_pax_restricted) X(archive_write_set_options) \
  X(archive_write_open) X(archive_write_header) X(archive_write_data) X(archive_write_close)               \
  X(archive_entry_new) X(archive_entry_free) X(archive_entry_filetype) X(archive_entry_hardlink)          \
  X(archive_entry_pathname) X(archive_entry_perm) X(archive_entry_size) X(archive_entry_symlink)          \
  X(archive_entry_set_filetype) X(archive_entry_set_gid) X(archive_entry_set_gname)                       \
  X(archive_entry_set_mtime) X(archive_entry_set_pathname) X(archive_entry_set_perm)                      \
  X(archive_entry_set_size) X(archive_entry_set_symlink) X(archive_entry_set_uid) X(archive_entry_set_uname)    \
  X(archive_read_support_filter_xz) X(archive_read_support_filter_zstd) X(archive_read_support_filter_bzip2)  \
  X(archive_read_support_format_zip) X(archive_entry_size_is_set)

struct Archive {
  ROUX_ARCHIVE_FUNCTIONS(ROUX_LIBS_MEMBER)
};

/// libarchive (libarchive.so.13, package libarchive13), loaded once, thread-safely.
Result<const Archive*> archive();

/// archive_error_string(a) as text, or `none` when libarchive set no message: it returns NULL
/// then (a gzip stream cut inside its trailer does this), and a NULL char* must never reach a
/// std::string. Use this, never the raw call.
inline std::string archive_error(const Archive& lib, struct archive* a,
                                 const char* none = "corrupt or truncated data (libarchive gave no detail)") {
  const char* msg = lib.archive_error_string(a);
  return msg && *msg ? std::string(msg) : std::string(none);
}

}  // namespace roux::libs
