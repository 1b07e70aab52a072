#pragma once
// Lays out the entries of a tree (an archive's, a commit's) below a folder through the host door,
// in two passes over the same entries: decide() compares each with the host and writes nothing;
// write() makes what decide() found missing or different. So a plan, which runs both against the
// planned host, lists exactly what the converge writes. Used by archive and git.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "host/host.h"
#include "sources/unpack.h"

namespace roux::resources {

class TreeLayout {
 public:
  /// `dest`: the folder; `uid`/`gid`: owner of every entry made (links excepted), or as made.
  TreeLayout(std::string dest, std::optional<uid_t> uid, std::optional<gid_t> gid, uint64_t max_bytes)
      : dest_(std::move(dest)), uid_(uid), gid_(gid), max_bytes_(max_bytes) {}

  /// Files this folder got from the previous layout, unchanged since: path -> SHA-256 of their
  /// content. Such a file is replaced without being a conflict (an older version, not an edit).
  void set_known(std::map<std::string, std::string> known) { known_ = std::move(known); }

  /// Pass 1: compares `e` (and each folder above it that the tree does not list) with the host.
  /// `dest_new`: the folder does not exist yet (everything is created, nothing is read).
  Status decide(const host::Host& host, const sources::ArchiveEntry& e, bool dest_new);
  /// Pass 2: makes `e` (and the folders above it) as decide() found it must be.
  Status write(host::Host& h, const sources::ArchiveEntry& e);
  /// After the last write(): folders get their mode, deepest first.
  Status finish(host::Host& h);

  /// Entries in the way (other content or type on the host, not known): "PATH (TYPE)".
  const std::vector<std::string>& conflicts() const { return conflicts_; }
  /// "N created, N replaced, N mode/owner, N unchanged".
  std::string summary() const;
  /// One line per entry to make ("+ a/b (file)"), the first 100, then a count of the rest.
  std::string detail() const;
  /// SHA-256 of the content of each file of the tree, by relative path (after decide()).
  const std::map<std::string, std::string>& file_digests() const { return file_sha_; }
  /// Adds a line to detail() for something the caller does itself (a removal).
  void note(std::string line) { add_line(std::move(line)); ++extra_; }
  std::string path_of(const std::string& rel) const { return dest_ + "/" + rel; }

 private:
  enum class Action { kSame, kCreate, kReplace, kAttrs };
  Status decide_one(const host::Host& host, const sources::ArchiveEntry& e, bool dest_new, bool implicit);
  Status write_one(host::Host& h, const sources::ArchiveEntry& e);
  Action attrs_of(const host::FileInfo& live, uint32_t perm) const;
  bool under_fresh(const std::string& rel) const;
  void add_line(std::string text);
  Status own(host::Host& h, const std::string& path) const;
  template <class F>
  Status each_parent(const std::string& rel, F&& f);

  std::string dest_;
  std::optional<uid_t> uid_;
  std::optional<gid_t> gid_;
  uint64_t max_bytes_;
  std::map<std::string, std::string> known_;
  std::map<std::string, Action> actions_;         // by relative path
  std::map<std::string, std::string> file_sha_;  // files of the tree: their content's digest
  std::set<std::string> fresh_;                   // folders created or replaced
  std::vector<std::string> lines_, conflicts_;
  size_t created_ = 0, replaced_ = 0, attrs_ = 0, same_ = 0, extra_ = 0;
  std::set<std::string> done_;                    // written by pass 2
  std::vector<std::pair<std::string, uint32_t>> dir_modes_;
};

/// The first folder of `rel` (relative to `dest`, "a" of "a/b/c") that is on the host but not a
/// folder (a link, a file): removing `rel` would go through it. "" when none.
Result<std::string> non_folder_above(const host::Host& host, const std::string& dest, const std::string& rel);

/// True when `rel`, an entry of a state-folder record of what was laid out in `dest`, is a path
/// inside it as a layout writes it ("a/b"). Anything else (empty, "..", ".", an empty component,
/// a leading '/', a control character) is no entry of this folder: false, with a warning naming
/// RECORD:LINE (an edited record naming "../../etc/x" must not make roux remove /etc/x).
bool recorded_entry_inside(const std::string& record, size_t line, const std::string& dest, const std::string& rel);

/// OK when the folder above `dest` exists (or is a link); else why not, naming it.
Status check_dest_parent(const host::Host& host, const std::string& dest);

}  // namespace roux::resources
