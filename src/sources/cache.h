#pragma once
#include <string>

#include "base/status.h"

namespace roux::sources {

/// The canonical content digest of a cookbook folder (lower-case hex SHA-256), the same for the
/// same content whatever the source (git tree, tarball, folder). It hashes a manifest with one line
/// per entry, sorted bytewise by relative path ('/'-separated, no leading "./"):
///   "file <0644|0755> <sha256 of bytes> <path>\n"   (0755 when any execute bit is set)
///   "link <target> <path>\n"                         (symlinks are not followed)
/// Folders are implied by their entries (an empty folder does not count, as in git); owners,
/// mtimes and other mode bits are ignored. Anything else (a device, a FIFO, a socket) is an error.
/// Reads only; does not touch the managed host.
Result<std::string> content_digest(const std::string& dir);

/// The content-addressed cache of unpacked cookbooks, under STATE/cache (inside --root when given:
/// `roux fetch --root IMAGE` bakes an image's cache for offline runs). A cache entry is never
/// trusted on its word (its folder name): verified_path() re-hashes it, and a locked run checks it
/// against the lockfile. With a `confine_root` (the --root tree), every folder of the cache is
/// resolved inside that root (sources/local_file.h confined_dir), so a symlink planted in the tree
/// (ROOT/var -> ../elsewhere, cache -> /somewhere) never makes roux read or write outside it. Layout:
///   ROOT/cookbooks/<digest>/   one complete cookbook folder per content digest (never modified)
///   ROOT/tmp/                  work folders; anything here is incomplete and may be deleted
///   ROOT/git/                  bare git clones (the git source's own)
/// Contract: a folder under cookbooks/ is complete (it is renamed in only when whole), so a
/// killed run leaves at most junk in tmp/. Not thread-safe within a process; two processes are
/// safe (rename is atomic, and a loser of the race just deletes its copy).
class Cache {
 public:
  /// `root` is created on first write, not here. `confine_root` ("" = none): the --root tree that
  /// `root` is inside of (`root` then starts with it).
  explicit Cache(std::string root, std::string confine_root = "");
  const std::string& root() const { return root_; }

  /// The folder holding `digest`, or kNotFound ("cache has no cookbook with digest ...").
  /// Does not re-hash the content: callers that do not check it themselves use verified_path().
  /// An entry that is not a real folder (a symlink) is kUntrusted.
  Result<std::string> path_for(const std::string& digest) const;

  /// path_for(), then the content re-hashed: kUntrusted "cache entry ... does not match its
  /// digest" when it was altered or planted.
  Result<std::string> verified_path(const std::string& digest) const;

  /// A folder of the cache (ROOT/NAME, e.g. "git"), resolved inside the confine root and made
  /// when `create`.
  Result<std::string> subdir(const std::string& name, bool create) const;

  /// A new empty folder under ROOT/tmp (same filesystem as the cache, so insert_dir can rename).
  Result<std::string> make_temp_dir() const;

  /// Computes the digest of `tmp_dir` (made by make_temp_dir()), and renames it into
  /// ROOT/cookbooks/<digest>. When that digest is already present and its content matches,
  /// `tmp_dir` is removed and the existing one kept; an existing entry whose content does not match
  /// (altered, planted) is replaced. Returns the digest. On failure `tmp_dir` is removed too.
  Result<std::string> insert_dir(const std::string& tmp_dir);

  /// Re-hashes the stored folder: kUntrusted "cache content for ... does not match its digest
  /// (got ...)" when it was altered, kNotFound when absent.
  Status verify(const std::string& digest) const;

 private:
  std::string root_;
  std::string confine_root_;  // "" = none
  std::string in_root_;       // root_ as seen inside confine_root_
};

}  // namespace roux::sources
