#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/source_location.h"
#include "base/status.h"
#include "engine/schema.h"

namespace roux::engine {

/// A property value as a recipe wrote it, with where it was written. The compiler builds these
/// from YAML (so resource types never see a YAML library); `sensitive` marks values that came
/// from a secret. Plain data; copyable.
struct Value {
  enum class Kind { kNull, kScalar, kList, kMap };
  struct Entry;

  Kind kind = Kind::kNull;
  std::string scalar;            // the text of a scalar (after attribute interpolation)
  bool quoted = false;           // written in quotes: "yes" stays a string
  std::vector<Value> list;
  std::vector<Entry> map;        // in the order written
  SourceLocation where;
  bool sensitive = false;

  const Value* find(std::string_view key) const;
  const char* kind_name() const;
};

struct Value::Entry {
  std::string key;
  SourceLocation key_where;
  Value value;
};

/// Reads a resource's properties from a map Value with typed getters. Type errors and unknown
/// keys are collected into an error list (compile reports every error, then stops), each pointing
/// at file:line:col. Every getter but text() and data() refuses a NUL byte anywhere in the value
/// (a scalar or a map key, after attribute interpolation): such a string would be cut short at
/// the NUL when it becomes a path, a name or a command ("/etc/passwd\0.bak" -> /etc/passwd).
/// Not thread-safe; one per resource.
class Props {
 public:
  /// `owner` is the resource id used in messages ("file[/etc/motd]").
  Props(const Value& map, std::string owner, std::vector<Status>* errors);

  bool has(std::string_view key) const;
  /// Marks a key known without reading it (the compiler's meta-properties).
  void mark_used(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  /// A string that may hold any byte, NUL included: only for what becomes file content.
  std::optional<std::string> text(std::string_view key);
  /// A string required to be present.
  std::string required_string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  /// An octal mode "0644" / "644" (a YAML integer 0644 is read as octal digits too).
  std::optional<uint32_t> mode(std::string_view key);
  /// One of `allowed`; an error lists them.
  std::optional<std::string> one_of(std::string_view key, const std::vector<std::string>& allowed);
  /// A list of strings; a single scalar is a list of one.
  std::optional<std::vector<std::string>> string_list(std::string_view key);
  std::optional<std::map<std::string, std::string>> string_map(std::string_view key);
  const Value* raw(std::string_view key);
  /// raw() that lets NUL bytes through: only for what becomes file content (template variables).
  const Value* data(std::string_view key);
  /// True when any value read so far came from a secret.
  bool saw_sensitive() const { return saw_sensitive_; }

  SourceLocation where(std::string_view key) const;
  const SourceLocation& where() const { return map_.where; }
  /// Records "file:line:col: owner: key: msg".
  void error(std::string_view key, std::string_view msg);
  /// Records an error at the resource itself.
  void error(std::string_view msg);
  /// Reports every key nobody read as "unknown property", and, once set_schema() gave the type's
  /// schema, every key the schema does not declare even when the factory read it: the schema
  /// (schemas/resources/TYPE.schema.json, embedded) is the gate, so editors and CI that validate
  /// with it never accept what the binary refuses, nor refuse what it accepts.
  void finish(std::string_view type);
  void set_schema(const TypeSchema* schema) { schema_ = schema; }
  /// Records every typed read from now on (even of an absent key) into `sink`, for the tests that
  /// compare what factories read with the schemas (TypeSchema::check).
  void record_reads(std::vector<PropRead>* sink) { reads_ = sink; }

 private:
  /// The value of `key` (marked used); unless `allow_nul`, a NUL byte in it is an error, and
  /// the value then reads as absent (nullptr).
  const Value* get(std::string_view key, bool allow_nul = false);
  bool check_no_nul(std::string_view key, const Value& v);
  void note(std::string_view key, PropRead::As as, int64_t min = 0, int64_t max = 0,
            const std::vector<std::string>* allowed = nullptr);
  /// Marks every entry named `key` read; returns the first one's value (nullptr: none).
  const Value* use(std::string_view key);
  bool used(size_t i) const { return i < 64 ? (used_bits_ >> i) & 1 : used_more_[i - 64]; }
  const Value& map_;
  std::string owner_;
  std::vector<Status>* errors_;
  // Which entries of map_ were read, by position: the first 64 in a word (no allocation for a
  // resource's handful of properties), the rest beside it.
  uint64_t used_bits_ = 0;
  std::vector<bool> used_more_;
  bool saw_sensitive_ = false;
  const TypeSchema* schema_ = nullptr;
  std::vector<PropRead>* reads_ = nullptr;
};

}  // namespace roux::engine
