#include "base/semver.h"

#include <cstdlib>

#include "base/strings.h"

namespace roux {
namespace {

bool all_digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

// A pre-release or build identifier (semver 2.0): ASCII letters, digits and hyphens, not empty.
// Anything else (spaces, control bytes, "/", ",") would make a version that does not print back
// to itself, or a file name (tarball_name) that is not one name.
bool valid_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
  return true;
}

Result<std::pair<Version, int>> parse_counting(std::string_view s) {
  std::string text(trim(s));
  if (auto plus = text.find('+'); plus != std::string::npos) {
    for (const auto& id : split(std::string_view(text).substr(plus + 1), '.'))
      if (!valid_identifier(id)) return Status::invalid_input("invalid version \"" + std::string(s) + "\"");
    text.resize(plus);
  }
  Version v;
  std::string core = text;
  if (auto dash = text.find('-'); dash != std::string::npos) {
    core = text.substr(0, dash);
    v.pre = split(text.substr(dash + 1), '.');
    for (const auto& p : v.pre)
      if (!valid_identifier(p)) return Status::invalid_input("invalid version \"" + std::string(s) + "\"");
  }
  auto parts = split(core, '.');
  if (parts.empty() || parts.size() > 3) return Status::invalid_input("invalid version \"" + std::string(s) + "\"");
  int* fields[] = {&v.major, &v.minor, &v.patch};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!all_digits(parts[i]) || parts[i].size() > 9)
      return Status::invalid_input("invalid version \"" + std::string(s) + "\"");
    *fields[i] = std::atoi(parts[i].c_str());
  }
  return std::make_pair(v, static_cast<int>(parts.size()));
}

}  // namespace

Result<Version> Version::parse(std::string_view s) {
  ROUX_ASSIGN_OR_RETURN(auto vp, parse_counting(s));
  return vp.first;
}

std::string Version::to_string() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (!pre.empty()) s += "-" + join(pre, ".");
  return s;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  if (auto c = a.major <=> b.major; c != 0) return c;
  if (auto c = a.minor <=> b.minor; c != 0) return c;
  if (auto c = a.patch <=> b.patch; c != 0) return c;
  if (a.pre.empty() && b.pre.empty()) return std::strong_ordering::equal;
  if (a.pre.empty()) return std::strong_ordering::greater;  // 1.0.0 > 1.0.0-rc1
  if (b.pre.empty()) return std::strong_ordering::less;
  for (size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i) {
    const auto &x = a.pre[i], &y = b.pre[i];
    bool xn = all_digits(x), yn = all_digits(y);
    if (xn && yn) {
      if (auto c = std::atoll(x.c_str()) <=> std::atoll(y.c_str()); c != 0) return c;
    } else if (xn != yn) {
      return xn ? std::strong_ordering::less : std::strong_ordering::greater;  // numeric < alphanumeric
    } else if (auto c = x.compare(y) <=> 0; c != 0) {
      return c;
    }
  }
  return a.pre.size() <=> b.pre.size();
}

bool Comparison::matches(const Version& v) const {
  switch (op) {
    case Op::kEq: return v == version;
    case Op::kNe: return !(v == version);
    case Op::kGt: return v > version;
    case Op::kGe: return v >= version;
    case Op::kLt: return v < version;
    case Op::kLe: return v <= version;
    case Op::kPessimistic: {
      if (v < version) return false;
      Version upper;
      if (parts <= 2) upper.major = version.major + 1;  // ~> 1.2 -> < 2.0;  ~> 1 -> < 2
      else upper.major = version.major, upper.minor = version.minor + 1;  // ~> 1.2.3 -> < 1.3
      upper.pre = {"0"};  // exclude 2.0.0-pre as well
      return v < upper;
    }
  }
  return false;
}

std::string Comparison::to_string() const {
  static const char* names[] = {"=", "!=", ">", ">=", "<", "<=", "~>"};
  std::string v = std::to_string(version.major);
  if (parts >= 2) v += "." + std::to_string(version.minor);
  if (parts >= 3) v += "." + std::to_string(version.patch);
  if (!version.pre.empty()) v += "-" + join(version.pre, ".");
  return std::string(names[static_cast<int>(op)]) + " " + v;
}

Result<Constraint> Constraint::parse(std::string_view s) {
  Constraint c;
  std::string_view t = trim(s);
  if (t.empty() || t == "*") return c;
  for (const auto& raw : split(t, ',')) {
    std::string_view part = trim(raw);
    Comparison cmp;
    static const std::pair<const char*, Comparison::Op> ops[] = {
        {"~>", Comparison::Op::kPessimistic}, {">=", Comparison::Op::kGe}, {"<=", Comparison::Op::kLe},
        {"!=", Comparison::Op::kNe},          {"=", Comparison::Op::kEq},  {">", Comparison::Op::kGt},
        {"<", Comparison::Op::kLt}};
    cmp.op = Comparison::Op::kEq;
    for (const auto& [text, op] : ops) {
      if (starts_with(part, text)) {
        cmp.op = op;
        part.remove_prefix(std::string_view(text).size());
        break;
      }
    }
    auto vp = parse_counting(part);
    if (!vp.is_ok()) return Status::invalid_input("invalid version constraint \"" + std::string(s) + "\"");
    cmp.version = vp->first;
    cmp.parts = vp->second;
    c.all.push_back(cmp);
  }
  return c;
}

bool Constraint::matches(const Version& v) const {
  bool names_pre = false;
  for (const auto& c : all) {
    if (!c.matches(v)) return false;
    // "!= 1.0.0-rc1" excludes a pre-release; it does not invite the others in.
    if (!c.version.pre.empty() && c.op != Comparison::Op::kNe) names_pre = true;
  }
  return v.pre.empty() || names_pre;
}

std::string Constraint::to_string() const {
  if (all.empty()) return ">= 0.0.0";
  std::vector<std::string> parts;
  for (const auto& c : all) parts.push_back(c.to_string());
  return join(parts, ", ");
}

}  // namespace roux
