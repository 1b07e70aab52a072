#pragma once
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace roux::engine {

/// One file of schemas/ (path relative to it: "resources/file.schema.json"), embedded in the
/// binary at build time by cmake/embed_schemas.cmake: the schemas editors and CI validate recipes
/// with are the ones the compiler gates properties with, so they cannot drift.
struct EmbeddedSchema {
  std::string_view path;
  std::string_view text;
};
std::span<const EmbeddedSchema> embedded_schemas();

/// How a resource factory asked Props for a property (recorded when a test asks Props to).
struct PropRead {
  enum class As { kString, kText, kBoolean, kInteger, kMode, kOneOf, kStringList, kStringMap, kRaw };
  std::string key;
  As as = As::kRaw;
  int64_t min = 0, max = 0;           // kInteger
  std::vector<std::string> allowed;   // kOneOf
};
const char* as_name(PropRead::As as);

/// The properties schemas/resources/TYPE.schema.json declares: its own and those of the schemas
/// it includes (allOf / $ref), but not meta.schema.json's (the compiler reads those itself).
/// For meta_schema(): meta.schema.json's properties.
class TypeSchema {
 public:
  struct Property {
    std::string file;             // the schema file that declares it ("resources/file.schema.json")
    const nlohmann::json* json;   // its schema
  };
  bool has(std::string_view key) const { return props_.find(key) != props_.end(); }
  std::vector<std::string> names() const;
  /// "" when `read` (what the factory asked for) agrees with the property's schema: a string the
  /// schema allows as a string, a boolean declared boolean and nothing else, an integer with the
  /// same minimum and maximum, a mode as meta.schema.json's mode, one_of() with the schema's
  /// enum, a list that may be one string, a map; otherwise what differs.
  std::string check(const PropRead& read) const;
  /// A value of the type the schema declares for `key` (the first enum value, "0644" for a mode,
  /// a path for a string that must start with /, ...), for tests that feed every property to
  /// a factory; not necessarily valid in every respect.
  nlohmann::json example(std::string_view key) const;

 private:
  friend struct SchemaStore;
  std::map<std::string, Property, std::less<>> props_;
};

/// The schema of resource type `type`, or nullptr when schemas/resources/ has none. Parsed once.
const TypeSchema* resource_schema(std::string_view type);
/// meta.schema.json: the meta-properties every resource accepts.
const TypeSchema& meta_schema();
/// The type names schemas/resources/ has a schema for: files whose top-level `required` names
/// the file's own type ("file.schema.json" requires "file"); helper files are not types.
std::vector<std::string> schema_type_names();
/// The properties of the object schema at JSON `pointer` in embedded schema `path`
/// ("client.schema.json", "/$defs/handler"), or nullptr. Built once per (path, pointer).
const TypeSchema* embedded_object_schema(std::string_view path, std::string_view pointer);
/// The parsed embedded schema at `path` ("recipe.schema.json"), or nullptr.
const nlohmann::json* embedded_schema_json(std::string_view path);

}  // namespace roux::engine
