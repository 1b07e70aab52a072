#include "base/status.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_set>

namespace roux {

FileName::FileName(std::string_view name) {
  if (name.empty()) return;
  static std::mutex mu;
  static auto* names = new std::unordered_set<std::string>();  // never freed: names outlive everything
  std::lock_guard<std::mutex> lock(mu);
  std::string key(name);
  auto it = names->find(key);
  if (it == names->end()) it = names->insert(std::move(key)).first;
  p_ = &*it;
}

const std::string& FileName::str() const {
  static const std::string kEmpty;
  return p_ ? *p_ : kEmpty;
}

std::string SourceLocation::to_string() const {
  if (line <= 0) return file.str();
  return file.str() + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Status Status::io(std::string_view what, int err_no) {
  return Status(Code::kIo, std::string(what) + ": " + std::strerror(err_no));
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

Status Status::with_context(std::string_view what) const {
  if (is_ok()) return *this;
  return Status(rep_->code, std::string(what) + ": " + rep_->message, rep_->where);
}

Status Status::at(const SourceLocation& where) const {
  if (is_ok() || !rep_->where.empty()) return *this;
  return Status(rep_->code, rep_->message, where);
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  if (rep_->where.empty()) return rep_->message;
  return rep_->where.to_string() + ": " + rep_->message;
}

void check_failed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "roux: internal error: check failed: %s at %s:%d\n", cond, file, line);
  std::abort();
}

}  // namespace roux
