#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/source_location.h"

namespace roux {

enum class Code {
  kOk,
  kInvalidInput,
  kNotFound,
  kConflict,
  kIo,
  kCommandFailed,
  kUntrusted,
  kUnsupported,
  kTimeout,
  kInternal
};

/// Outcome of a fallible call. OK is a null pointer, so success costs nothing (leveldb).
/// Errors carry a code, a message, an optional recipe location, and context added per layer.
/// Immutable and cheap to copy; thread-safe to share.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return {}; }
  static Status invalid_input(std::string msg, SourceLocation where = {}) {
    return Status(Code::kInvalidInput, std::move(msg), std::move(where));
  }
  static Status not_found(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  /// "open /etc/x: Permission denied" from `what` and errno.
  static Status io(std::string_view what, int err_no);
  static Status io_msg(std::string msg) { return Status(Code::kIo, std::move(msg)); }
  static Status command_failed(std::string msg) {
    return Status(Code::kCommandFailed, std::move(msg));
  }
  static Status untrusted(std::string msg) { return Status(Code::kUntrusted, std::move(msg)); }
  static Status unsupported(std::string msg) { return Status(Code::kUnsupported, std::move(msg)); }
  static Status timeout(std::string msg) { return Status(Code::kTimeout, std::move(msg)); }
  static Status internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool is_ok() const { return rep_ == nullptr; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  /// The message without location or context.
  const std::string& message() const;
  /// file:line:col in a recipe, or nullptr.
  const SourceLocation* where() const { return rep_ && !rep_->where.empty() ? &rep_->where : nullptr; }
  /// A copy whose message is prefixed "what: ".
  Status with_context(std::string_view what) const;
  /// A copy that points at `where`, unless it already points somewhere.
  Status at(const SourceLocation& where) const;
  /// "file:line:col: message", or "message".
  std::string to_string() const;

 private:
  struct Rep {
    Code code;
    std::string message;
    SourceLocation where;
  };
  Status(Code code, std::string msg, SourceLocation where = {})
      : rep_(std::make_shared<const Rep>(Rep{code, std::move(msg), std::move(where)})) {}
  std::shared_ptr<const Rep> rep_;
};

/// A T or a non-OK Status (std::expected is C++23).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  Status status() const { return is_ok() ? Status::ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace roux

#define ROUX_CONCAT_INNER(a, b) a##b
#define ROUX_CONCAT(a, b) ROUX_CONCAT_INNER(a, b)

/// Returns the Status of `expr` from the enclosing function if it is not OK.
#define ROUX_TRY(expr)                                  \
  do {                                                  \
    ::roux::Status roux_try_status_ = (expr);           \
    if (!roux_try_status_.is_ok()) return roux_try_status_; \
  } while (0)

#define ROUX_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.is_ok()) return tmp.status();           \
  lhs = std::move(tmp).value()

/// Unwraps a Result into `lhs`, or returns its Status from the enclosing function.
#define ROUX_ASSIGN_OR_RETURN(lhs, expr) \
  ROUX_ASSIGN_OR_RETURN_IMPL(ROUX_CONCAT(roux_result_, __LINE__), lhs, expr)

/// A broken invariant is a bug: abort with a message.
#define ROUX_CHECK(cond)                                                           \
  do {                                                                             \
    if (!(cond)) ::roux::check_failed(#cond, __FILE__, __LINE__);                  \
  } while (0)

namespace roux {
[[noreturn]] void check_failed(const char* cond, const char* file, int line);
}
