#include "host/fault_host.h"

namespace roux::host {

const char* FaultHost::op_name(Op op) {
  switch (op) {
    case Op::kWriteFile: return "write_file";
    case Op::kMkdir: return "mkdir";
    case Op::kChmod: return "chmod";
    case Op::kChown: return "chown";
    case Op::kRemove: return "remove";
    case Op::kRemoveTree: return "remove_tree";
    case Op::kSymlink: return "symlink";
    case Op::kAppendFile: return "append_file";
    case Op::kCopyFile: return "copy_file";
    case Op::kRun: return "run";
    case Op::kWriteInPlace: return "write_in_place";
    case Op::kAny: return "any";
  }
  return "?";
}

void FaultHost::fail_nth(Op op, int n, int err) {
  fault_op_ = op;
  fault_n_ = n;
  fault_err_ = err;
  fired_ = false;
}

Status FaultHost::enter(Op op, const std::string& path) {
  int n = ++calls_[static_cast<size_t>(op)];
  int any = ++calls_[static_cast<size_t>(Op::kAny)];
  if (fault_n_ <= 0) return Status::ok();
  if ((fault_op_ == op && n == fault_n_) || (fault_op_ == Op::kAny && any == fault_n_)) {
    fired_ = true;
    return Status::io(std::string(op_name(op)) + " " + path, fault_err_);
  }
  return Status::ok();
}

Status FaultHost::write_file(const std::string& path, std::string_view content, uint32_t mode,
                             std::optional<uid_t> uid, std::optional<gid_t> gid) {
  ROUX_TRY(enter(Op::kWriteFile, path));
  return inner_.write_file(path, content, mode, uid, gid);
}

Status FaultHost::mkdir(const std::string& path, uint32_t mode) {
  ROUX_TRY(enter(Op::kMkdir, path));
  return inner_.mkdir(path, mode);
}

Status FaultHost::chmod(const std::string& path, uint32_t mode) {
  ROUX_TRY(enter(Op::kChmod, path));
  return inner_.chmod(path, mode);
}

Status FaultHost::chown(const std::string& path, std::optional<uid_t> uid, std::optional<gid_t> gid) {
  ROUX_TRY(enter(Op::kChown, path));
  return inner_.chown(path, uid, gid);
}

Status FaultHost::remove(const std::string& path) {
  ROUX_TRY(enter(Op::kRemove, path));
  return inner_.remove(path);
}

Status FaultHost::remove_tree(const std::string& path) {
  ROUX_TRY(enter(Op::kRemoveTree, path));
  return inner_.remove_tree(path);
}

Status FaultHost::symlink(const std::string& target, const std::string& path) {
  ROUX_TRY(enter(Op::kSymlink, path));
  return inner_.symlink(target, path);
}

Status FaultHost::append_file(const std::string& path, std::string_view data, uint32_t mode) {
  ROUX_TRY(enter(Op::kAppendFile, path));
  return inner_.append_file(path, data, mode);
}

Status FaultHost::write_in_place(const std::string& path, std::string_view data) {
  ROUX_TRY(enter(Op::kWriteInPlace, path));
  return inner_.write_in_place(path, data);
}

Status FaultHost::copy_file(const std::string& src, const std::string& dest, uint32_t mode) {
  ROUX_TRY(enter(Op::kCopyFile, dest));
  return inner_.copy_file(src, dest, mode);
}

Result<SubprocessResult> FaultHost::run(SubprocessOptions opts, const Model& model) {
  Status st = enter(Op::kRun, opts.argv.empty() ? std::string() : opts.argv[0]);
  if (!st.is_ok()) return st;
  return inner_.run(std::move(opts), model);
}

}  // namespace roux::host
