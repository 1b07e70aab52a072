#pragma once
// The planned host: what `roux plan` converges against. An in-memory overlay over the real host
// (files, folders, links, modes, owners; through them the account databases and the package
// database; service run states) that records every write instead of making it. Every read goes
// through the overlay first, so a resource planned after an earlier one sees the host as the
// earlier change would leave it: plan == apply by construction, with no per-type prediction.
//
// What the overlay cannot know it says, not guesses: a command run through run() is not executed;
// its known effect (the `model` a caller passes: useradd edits /etc/passwd, apt edits the dpkg
// database) is applied to the overlay, and the outcome is counted as *assumed* (predictions()).
// A guard run after the plan changed something may see a host the plan has not reached: also
// counted. The engine marks every change recorded while the count rose as "predicted".
//
// Never writes to the real host: it holds a `const Host&`. Not thread-safe.
#include <map>
#include <memory>
#include <string>

#include "host/host.h"

namespace roux::host {

class PlannedHost final : public Host {
 public:
  explicit PlannedHost(const Host& real);
  ~PlannedHost() override;

  const std::string& root() const override { return real_.root(); }

  Result<FileInfo> lstat(const std::string& path) const override;
  Result<std::string> read_file(const std::string& path, size_t max_bytes) const override;
  Result<FileInfo> lstat_compare(const std::string& path, const std::string* expected, bool* same) const override;
  Result<std::string> file_sha256(const std::string& path) const override;
  Result<std::string> readlink(const std::string& path) const override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::shared_ptr<const AccountDb>> accounts() const override;
  Result<SubprocessResult> run_check(SubprocessOptions opts) const override;
  std::optional<bool> service_running(const std::string& service) const override;
  std::optional<bool> service_enabled(const std::string& service) const override;
  uint64_t predictions() const override { return predictions_; }

  Status write_file(const std::string& path, std::string_view content, uint32_t mode, std::optional<uid_t> uid,
                    std::optional<gid_t> gid) override;
  Status mkdir(const std::string& path, uint32_t mode) override;
  Status chmod(const std::string& path, uint32_t mode) override;
  Status chown(const std::string& path, std::optional<uid_t> uid, std::optional<gid_t> gid) override;
  Status remove(const std::string& path) override;
  Status remove_tree(const std::string& path) override;
  Status symlink(const std::string& target, const std::string& path) override;
  Status append_file(const std::string& path, std::string_view data, uint32_t mode) override;
  Status write_in_place(const std::string& path, std::string_view data) override;
  Status copy_file(const std::string& src, const std::string& dest, uint32_t mode) override;
  Status set_mtime(const std::string& path, int64_t mtime_ns) override;
  Result<SubprocessResult> run(SubprocessOptions opts, const Model& model) override;
  void set_service_running(const std::string& service, bool running) override;
  void set_service_enabled(const std::string& service, bool enabled) override;
  void invalidate_accounts() override {}

  /// Paths the plan changed, sorted (for tests and the rehearsal's comparison).
  std::vector<std::string> changed_paths() const;

 private:
  struct Entry;
  struct Seen;
  /// `path` with every symbolic link in its folders resolved (overlay first, then the real
  /// host), kept inside root like RESOLVE_IN_ROOT; the last component is never followed.
  Result<std::string> resolve(const std::string& path) const;
  /// The effective state of a resolved path: the overlay's entry, or missing when an overlay
  /// ancestor hides it, or the real host's.
  Result<Seen> look(const std::string& canon) const;
  /// An overlay entry for `canon` copied from what is there now (copy on write), or an error.
  Result<Entry*> materialize(const std::string& canon, const std::string& shown);
  Status require_parent_dir(const std::string& canon, const std::string& shown) const;

  const Host& real_;
  std::map<std::string, Entry> entries_;       // by resolved path
  std::map<std::string, bool> running_;        // service -> planned run state
  std::map<std::string, bool> enabled_;        // service -> planned boot state
  mutable std::map<std::string, Seen> real_seen_;  // the real host does not change during a plan
  uint64_t predictions_ = 0;
  mutable uint64_t accounts_gen_ = ~uint64_t{0};
  uint64_t gen_ = 0;                           // bumped on every write
  mutable std::shared_ptr<const AccountDb> accounts_;
};

}  // namespace roux::host
