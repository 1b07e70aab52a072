#pragma once
// libgit2, loaded on first use (see libs/dynlib.h). Include this instead of <git2.h>.
#include <git2.h>

#include "libs/dynlib.h"

namespace roux::libs {

#define ROUX_GIT2_FUNCTIONS(X)                                                                             \
  X(git_libgit2_init) X(git_error_last) X(git_credential_ssh_key_from_agent) X(git_oid_fromstr)            \
  X(git_oid_tostr) X(git_repository_init) X(git_repository_open_bare) X(git_repository_free)              \
  X(git_remote_create_anonymous) X(git_remote_fetch) X(git_remote_stats) X(git_remote_free)               \
  X(git_commit_lookup) X(git_commit_tree) X(git_commit_id) X(git_commit_free) X(git_tree_lookup)           \
  X(git_tree_free) X(git_tree_entry_bypath) X(git_tree_entry_byindex) X(git_tree_entrycount)              \
  X(git_tree_entry_type) X(git_tree_entry_id) X(git_tree_entry_name) X(git_tree_entry_filemode)           \
  X(git_tree_entry_free) X(git_blob_lookup) X(git_blob_rawcontent) X(git_blob_rawsize) X(git_blob_free)   \
  X(git_tag_list) X(git_strarray_dispose) X(git_revparse_single) X(git_object_peel) X(git_object_id)      \
  X(git_object_free) X(git_reference_free) X(git_patch_from_buffers) X(git_patch_num_hunks)                \
  X(git_patch_get_hunk) X(git_patch_get_line_in_hunk) X(git_patch_free)                                  \
  X(git_credential_userpass_plaintext_new) X(git_credential_ssh_key_new) X(git_credential_username_new)   \
  X(git_libgit2_opts) X(git_config_open_ondisk) X(git_config_foreach_match) X(git_config_free)

struct Git2 {
  ROUX_GIT2_FUNCTIONS(ROUX_LIBS_MEMBER)
};

/// libgit2 (libgit2.so.LIBGIT2_SOVERSION, package libgit2-LIBGIT2_SOVERSION), loaded and
/// git_libgit2_init()ed once, thread-safely.
Result<const Git2*> git2();

/// RAII for a libgit2 object: `Free` is the Git2 member that frees a T (git_repository_free).
/// Only for code that has loaded libgit2 (git2() succeeded).
template <class T, auto Free>
struct Git2Owned {
  T* p = nullptr;
  Git2Owned() = default;
  Git2Owned(const Git2Owned&) = delete;
  Git2Owned& operator=(const Git2Owned&) = delete;
  ~Git2Owned() {
    if (p) (must(git2()).*Free)(p);
  }
};

}  // namespace roux::libs
