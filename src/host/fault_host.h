#pragma once
// A Host that forwards every call to a wrapped host and fails a chosen write on purpose, like
// leveldb's fault-injecting Env: the Nth call of an operation returns an errno without being
// performed. For tests that prove a failed write leaves the old state or the new one, never a
// half-done one, and is reported as a failure (docs/testing.md, "Fault injection").
#include <array>

#include "host/host.h"

namespace roux::host {

class FaultHost : public Host {
 public:
  /// The write operations that can be failed. kAny counts every write of any kind in call order.
  enum class Op { kWriteFile, kMkdir, kChmod, kChown, kRemove, kRemoveTree, kSymlink, kAppendFile, kCopyFile, kRun, kWriteInPlace, kAny };
  static const char* op_name(Op op);

  /// `inner` must outlive this host.
  explicit FaultHost(Host& inner) : inner_(inner) {}

  /// Fails the `n`th (1-based, counted from construction) call of `op` with `err`, without
  /// performing it: Status::io("OP PATH", err). One fault at a time; a later call replaces it.
  void fail_nth(Op op, int n, int err);
  /// Calls of `op` so far (kAny: every write call), failed ones included.
  int calls(Op op) const { return calls_[static_cast<size_t>(op)]; }
  /// Whether the chosen fault has been injected.
  bool fired() const { return fired_; }

  const std::string& root() const override { return inner_.root(); }
  Result<FileInfo> lstat(const std::string& path) const override { return inner_.lstat(path); }
  Result<std::string> read_file(const std::string& path, size_t max_bytes = 64 << 20) const override {
    return inner_.read_file(path, max_bytes);
  }
  Result<FileInfo> lstat_compare(const std::string& path, const std::string* expected, bool* same) const override {
    return inner_.lstat_compare(path, expected, same);
  }
  Result<std::string> file_sha256(const std::string& path) const override { return inner_.file_sha256(path); }
  Result<std::string> readlink(const std::string& path) const override { return inner_.readlink(path); }
  Result<std::vector<std::string>> list_dir(const std::string& path) const override { return inner_.list_dir(path); }
  Result<std::shared_ptr<const AccountDb>> accounts() const override { return inner_.accounts(); }
  Result<SubprocessResult> run_check(SubprocessOptions opts) const override { return inner_.run_check(std::move(opts)); }
  std::optional<bool> service_running(const std::string& s) const override { return inner_.service_running(s); }
  std::optional<bool> service_enabled(const std::string& s) const override { return inner_.service_enabled(s); }
  uint64_t predictions() const override { return inner_.predictions(); }
  std::string real_path(const std::string& path) const override { return inner_.real_path(path); }

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
  Status set_mtime(const std::string& path, int64_t mtime_ns) override { return inner_.set_mtime(path, mtime_ns); }
  using Host::run;
  Result<SubprocessResult> run(SubprocessOptions opts, const Model& model) override;
  void set_service_running(const std::string& s, bool running) override { inner_.set_service_running(s, running); }
  void set_service_enabled(const std::string& s, bool enabled) override { inner_.set_service_enabled(s, enabled); }
  void invalidate_accounts() override { inner_.invalidate_accounts(); }
  Result<std::shared_ptr<void>> lock_account_files(int wait_ms) override { return inner_.lock_account_files(wait_ms); }
  Status sync_changed_dirs() override { return inner_.sync_changed_dirs(); }
  void set_write_tag(uint64_t tag) override { inner_.set_write_tag(tag); }
  std::vector<FailedWrite> take_failed_writes() override { return inner_.take_failed_writes(); }

 private:
  /// Counts a call of `op` on `path`; the injected failure when it is the chosen one, else OK.
  Status enter(Op op, const std::string& path);

  Host& inner_;
  std::array<int, static_cast<size_t>(Op::kAny) + 1> calls_{};
  Op fault_op_ = Op::kAny;
  int fault_n_ = 0;  // 0: no fault chosen
  int fault_err_ = 0;
  bool fired_ = false;
};

}  // namespace roux::host
