#include "engine/value.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "base/strings.h"

namespace roux::engine {

const Value* Value::find(std::string_view key) const {
  for (const auto& e : map)
    if (e.key == key) return &e.value;
  return nullptr;
}

const char* Value::kind_name() const {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kScalar: return "scalar";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
  }
  return "?";
}

Props::Props(const Value& map, std::string owner, std::vector<Status>* errors)
    : map_(map), owner_(std::move(owner)), errors_(errors) {
  if (map.map.size() > 64) used_more_.resize(map.map.size() - 64);
}

const Value* Props::use(std::string_view key) {
  const Value* first = nullptr;
  for (size_t i = 0; i < map_.map.size(); ++i) {
    if (map_.map[i].key != key) continue;
    if (!first) first = &map_.map[i].value;
    if (i < 64) used_bits_ |= uint64_t{1} << i;
    else used_more_[i - 64] = true;
  }
  return first;
}

bool Props::has(std::string_view key) const { return map_.find(key) != nullptr; }

void Props::mark_used(std::string_view key) { (void)use(key); }

void Props::note(std::string_view key, PropRead::As as, int64_t min, int64_t max,
                 const std::vector<std::string>* allowed) {
  if (!reads_) return;
  reads_->push_back({std::string(key), as, min, max, allowed ? *allowed : std::vector<std::string>{}});
}

const Value* Props::get(std::string_view key, bool allow_nul) {
  const Value* v = use(key);
  if (v) {
    if (v->sensitive) saw_sensitive_ = true;
    // Refused: reported here, and read as absent so that no second error follows from it.
    if (!allow_nul && !check_no_nul(key, *v)) return nullptr;
  }
  return v;
}

bool Props::check_no_nul(std::string_view key, const Value& v) {
  auto refuse = [&](const SourceLocation& where) {
    errors_->push_back(Status::invalid_input(
        owner_ + ": " + std::string(key) + ": must not contain a NUL byte (\\0)", where.empty() ? this->where(key) : where));
    return false;
  };
  switch (v.kind) {
    case Value::Kind::kScalar:
      if (v.scalar.find('\0') != std::string::npos) return refuse(v.where);
      break;
    case Value::Kind::kList:
      for (const auto& item : v.list)
        if (!check_no_nul(key, item)) return false;
      break;
    case Value::Kind::kMap:
      for (const auto& e : v.map) {
        if (e.key.find('\0') != std::string::npos) return refuse(e.key_where);
        if (!check_no_nul(key, e.value)) return false;
      }
      break;
    case Value::Kind::kNull:
      break;
  }
  return true;
}

SourceLocation Props::where(std::string_view key) const {
  for (const auto& e : map_.map)
    if (e.key == key) return e.value.where.empty() ? e.key_where : e.value.where;
  return map_.where;
}

void Props::error(std::string_view key, std::string_view msg) {
  errors_->push_back(Status::invalid_input(owner_ + ": " + std::string(key) + ": " + std::string(msg), where(key)));
}

void Props::error(std::string_view msg) {
  errors_->push_back(Status::invalid_input(owner_ + ": " + std::string(msg), map_.where));
}

std::optional<std::string> Props::string(std::string_view key) {
  note(key, PropRead::As::kString);
  const Value* v = get(key);
  if (!v || v->kind == Value::Kind::kNull) return std::nullopt;
  if (v->kind != Value::Kind::kScalar) {
    error(key, std::string("expected a string, got a ") + v->kind_name());
    return std::nullopt;
  }
  return v->scalar;
}

std::optional<std::string> Props::text(std::string_view key) {
  note(key, PropRead::As::kText);
  const Value* v = get(key, true);
  if (!v || v->kind == Value::Kind::kNull) return std::nullopt;
  if (v->kind != Value::Kind::kScalar) {
    error(key, std::string("expected a string, got a ") + v->kind_name());
    return std::nullopt;
  }
  return v->scalar;
}

std::string Props::required_string(std::string_view key) {
  if (!has(key)) {
    error("missing required property \"" + std::string(key) + "\"");
    return {};
  }
  return string(key).value_or("");
}

std::optional<bool> Props::boolean(std::string_view key) {
  note(key, PropRead::As::kBoolean);
  const Value* v = get(key);
  if (!v || v->kind == Value::Kind::kNull) return std::nullopt;
  if (v->kind == Value::Kind::kScalar && !v->quoted) {
    if (v->scalar == "true" || v->scalar == "yes") return true;
    if (v->scalar == "false" || v->scalar == "no") return false;
  }
  error(key, "expected true or false, got \"" + one_line(v->scalar) + "\"");
  return std::nullopt;
}

std::optional<int64_t> Props::integer(std::string_view key, int64_t min, int64_t max) {
  note(key, PropRead::As::kInteger, min, max);
  const Value* v = get(key);
  if (!v || v->kind == Value::Kind::kNull) return std::nullopt;
  // Digits with an optional '-', nothing else (strtoll alone would take " 5" and "+5"); a value
  // past int64 saturates with ERANGE and is then out of [min, max] like any other.
  const std::string& s = v->scalar;
  size_t digits = !s.empty() && s[0] == '-' ? 1 : 0;
  if (v->kind == Value::Kind::kScalar && s.size() > digits &&
      s.find_first_not_of("0123456789", digits) == std::string::npos) {
    errno = 0;
    long long n = std::strtoll(s.c_str(), nullptr, 10);
    {
      if (errno == ERANGE || n < min || n > max) {
        error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + v->scalar);
        return std::nullopt;
      }
      return n;
    }
  }
  error(key, "expected an integer, got \"" + one_line(v->scalar) + "\"");
  return std::nullopt;
}

std::optional<uint32_t> Props::mode(std::string_view key) {
  note(key, PropRead::As::kMode);
  const Value* v = get(key);
  if (!v || v->kind == Value::Kind::kNull) return std::nullopt;
  const std::string& s = v->scalar;
  bool ok = v->kind == Value::Kind::kScalar && !s.empty() && s.size() <= 5 &&
            std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '7'; });
  if (!ok) {
    error(key, "expected an octal mode such as \"0644\", got \"" + one_line(s) + "\"");
    return std::nullopt;
  }
  uint32_t m = static_cast<uint32_t>(std::strtoul(s.c_str(), nullptr, 8));
  if (m > 07777) {
    error(key, "mode out of range: \"" + s + "\"");
    return std::nullopt;
  }
  return m;
}

std::optional<std::string> Props::one_of(std::string_view key, const std::vector<std::string>& allowed) {
  note(key, PropRead::As::kOneOf, 0, 0, &allowed);
  auto s = string(key);
  if (!s) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
    error(key, "must be one of " + join(allowed, ", ") + ", got \"" + one_line(*s) + "\"");
    return std::nullopt;
  }
  return s;
}

std::optional<std::vector<std::string>> Props::string_list(std::string_view key) {
  note(key, PropRead::As::kStringList);
  const Value* v = get(key);
  if (!v || v->kind == Value::Kind::kNull) return std::nullopt;
  if (v->kind == Value::Kind::kScalar) return std::vector<std::string>{v->scalar};
  if (v->kind != Value::Kind::kList) {
    error(key, std::string("expected a list of strings, got a ") + v->kind_name());
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : v->list) {
    if (item.kind != Value::Kind::kScalar) {
      errors_->push_back(Status::invalid_input(
          owner_ + ": " + std::string(key) + ": expected a string, got a " + item.kind_name(), item.where));
      return std::nullopt;
    }
    if (item.sensitive) saw_sensitive_ = true;
    out.push_back(item.scalar);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> Props::string_map(std::string_view key) {
  note(key, PropRead::As::kStringMap);
  const Value* v = get(key);
  if (!v || v->kind == Value::Kind::kNull) return std::nullopt;
  if (v->kind != Value::Kind::kMap) {
    error(key, std::string("expected a map of strings, got a ") + v->kind_name());
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  for (const auto& e : v->map) {
    if (e.value.kind != Value::Kind::kScalar) {
      errors_->push_back(Status::invalid_input(
          owner_ + ": " + std::string(key) + "." + e.key + ": expected a string, got a " + e.value.kind_name(),
          e.value.where));
      continue;
    }
    if (e.value.sensitive) saw_sensitive_ = true;
    out[e.key] = e.value.scalar;
  }
  return out;
}

const Value* Props::raw(std::string_view key) {
  note(key, PropRead::As::kRaw);
  return get(key);
}

const Value* Props::data(std::string_view key) {
  note(key, PropRead::As::kRaw);
  return get(key, true);
}

void Props::finish(std::string_view type) {
  for (size_t i = 0; i < map_.map.size(); ++i) {
    const Value::Entry& e = map_.map[i];
    bool declared = !schema_ || schema_->has(e.key);
    if (declared && used(i)) continue;
    errors_->push_back(Status::invalid_input(
        owner_ + ": unknown property \"" + e.key + "\" for " + std::string(type), e.key_where));
  }
}

}  // namespace roux::engine
