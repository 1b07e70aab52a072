#pragma once
// The libgit2 functions that write a repository (a commit on a branch), in a table of their own:
// only the publisher's `roux promote` / `publish-policy --to git+...` needs them (and pushes them
// to a remote policy repository), never a host.
// Loaded from the same library as libs/git2_api.h.
#include "libs/git2_api.h"

namespace roux::libs {

#define ROUX_GIT2_WRITE_FUNCTIONS(X)                                                                     \
  X(git_repository_open) X(git_reference_name_to_id) X(git_index_new) X(git_index_read_tree)              \
  X(git_index_add) X(git_index_write_tree_to) X(git_index_free) X(git_blob_create_from_buffer)           \
  X(git_signature_now) X(git_signature_free) X(git_commit_create) X(git_remote_push)

struct Git2Write {
  ROUX_GIT2_WRITE_FUNCTIONS(ROUX_LIBS_MEMBER)
};

/// The write functions of libgit2, loaded once (after git2(), which initialises the library).
Result<const Git2Write*> git2_write();

}  // namespace roux::libs
