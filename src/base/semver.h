#pragma once
#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace roux {

/// A semantic version MAJOR.MINOR.PATCH[-PRERELEASE] (build metadata "+..." is ignored).
/// "1.2" parses as 1.2.0. Ordering follows semver 2.0 (a pre-release sorts before its release).
struct Version {
  int major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre;  // dot-separated pre-release identifiers

  static Result<Version> parse(std::string_view s);
  std::string to_string() const;
  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return (a <=> b) == 0; }
};

/// One comparison: "= 1.2.3", ">= 1.0", "> 1", "< 2.0", "<= 2", "~> 1.2" (pessimistic: >= 1.2, < 2.0;
/// "~> 1.2.3" means >= 1.2.3, < 1.3.0).
struct Comparison {
  enum class Op { kEq, kNe, kGt, kGe, kLt, kLe, kPessimistic };
  Op op = Op::kGe;
  Version version;
  int parts = 3;  // how many numeric parts were written (matters for ~>)
  bool matches(const Version& v) const;
  std::string to_string() const;
};

/// A conjunction of comparisons: ">= 1.2, < 2". Empty text or "*" matches everything.
/// Pre-release versions match only when a comparison names a pre-release (as Bundler does).
struct Constraint {
  std::vector<Comparison> all;
  static Result<Constraint> parse(std::string_view s);
  bool matches(const Version& v) const;
  std::string to_string() const;
};

}  // namespace roux
