#include "engine/schema.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace roux::engine {

using nlohmann::json;

const char* as_name(PropRead::As as) {
  switch (as) {
    case PropRead::As::kString: return "string";
    case PropRead::As::kText: return "text";
    case PropRead::As::kBoolean: return "boolean";
    case PropRead::As::kInteger: return "integer";
    case PropRead::As::kMode: return "mode";
    case PropRead::As::kOneOf: return "one_of";
    case PropRead::As::kStringList: return "string_list";
    case PropRead::As::kStringMap: return "string_map";
    case PropRead::As::kRaw: return "raw";
  }
  return "?";
}

/// Every embedded schema, each parsed on first use, with the type schemas built from them on
/// first use: a run parses the schemas of the types its policy uses (and what they $ref), not all
/// of them (parsing every file cost a no-op of 1,000 files 3-4 % of its CPU).
struct SchemaStore {
  std::map<std::string, std::string_view, std::less<>> texts;  // path -> embedded text
  TypeSchema meta;

  static const SchemaStore& get() {
    static const SchemaStore store;
    return store;
  }

  SchemaStore() {
    for (const auto& f : embedded_schemas()) texts.emplace(std::string(f.path), f.text);
    if (const json* m = file(kMeta)) add_properties(std::string(kMeta), *m, &meta);
  }

  /// The parsed schema at `path`, or nullptr when none is embedded there or it does not parse.
  /// Schemas are ours and checked by the tests; a broken one is a build defect: left out (its
  /// type then has no gate) rather than stop every run. The pointer stays valid.
  const json* file(std::string_view path) const {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) {
      auto t = texts.find(path);
      if (t == texts.end()) return nullptr;
      it = files_.emplace(std::string(path), json::parse(t->second, nullptr, false)).first;
    }
    return it->second.is_discarded() ? nullptr : &it->second;
  }

  /// The schema of resource type `name` (schemas/resources/NAME.schema.json whose top-level
  /// `required` names NAME), or nullptr. Built once; the pointer stays valid.
  const TypeSchema* type(std::string_view name) const {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (auto it = types_.find(name); it != types_.end()) return it->second ? &*it->second : nullptr;
    std::string path = "resources/" + std::string(name) + ".schema.json";
    if (!texts.count(path)) return nullptr;
    std::optional<TypeSchema> t;
    const json* j = file(path);
    if (j && type_of(path, *j) == name) {
      t.emplace();
      collect(path, *j, &*t);
    }
    auto it = types_.emplace(std::string(name), std::move(t)).first;
    return it->second ? &*it->second : nullptr;
  }

  static constexpr std::string_view kMeta = "resources/meta.schema.json";

  /// "file" for resources/file.schema.json when its top-level `required` names "file"; else "".
  static std::string type_of(const std::string& path, const json& j) {
    const std::string prefix = "resources/", suffix = ".schema.json";
    if (path.rfind(prefix, 0) != 0 || path.size() <= prefix.size() + suffix.size() ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
      return "";
    std::string name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (name.find('/') != std::string::npos || !j.is_object() || !j.contains("required") || !j["required"].is_array())
      return "";
    for (const auto& r : j["required"])
      if (r.is_string() && r.get<std::string>() == name) return name;
    return "";
  }

  /// Follows `$ref` from `node` (in `file`): "other.schema.json#/$defs/x", "#/$defs/x". Returns
  /// false when the target is not embedded.
  bool resolve(std::string* file, const json** node) const {
    for (int hops = 0; hops < 16 && (*node)->is_object() && (*node)->contains("$ref"); ++hops) {
      const json& ref = (**node)["$ref"];
      if (!ref.is_string()) return false;
      std::string r = ref.get<std::string>();
      std::string target_file = *file, pointer;
      size_t hash = r.find('#');
      std::string rel = r.substr(0, hash);
      if (hash != std::string::npos) pointer = r.substr(hash + 1);
      if (!rel.empty()) {
        size_t slash = file->rfind('/');
        target_file = (slash == std::string::npos ? "" : file->substr(0, slash + 1)) + rel;
      }
      const json* target = this->file(target_file);
      if (!target) return false;
      if (!pointer.empty()) {
        json::json_pointer p(pointer);
        if (!target->contains(p)) return false;
        target = &(*target)[p];
      }
      *file = target_file;
      *node = target;
    }
    return true;
  }

  static void add_properties(const std::string& file, const json& j, TypeSchema* t) {
    if (!j.is_object() || !j.contains("properties") || !j["properties"].is_object()) return;
    for (const auto& [k, v] : j["properties"].items()) t->props_.emplace(k, TypeSchema::Property{file, &v});
  }

  /// The properties `j` declares, and those of what it includes by $ref / allOf (meta's aside).
  void collect(const std::string& file, const json& j, TypeSchema* t, int depth = 0) const {
    if (depth > 8 || !j.is_object()) return;
    add_properties(file, j, t);
    auto include = [&](const json& sub) {
      std::string f = file;
      const json* n = &sub;
      if (!resolve(&f, &n) || f == kMeta) return;
      collect(f, *n, t, depth + 1);
    };
    if (j.contains("$ref")) {
      json without = j;
      without.erase("properties");
      include(without);
    }
    if (j.contains("allOf") && j["allOf"].is_array())
      for (const auto& sub : j["allOf"]) include(sub);
  }

  /// The JSON types `node` admits: its type, its enum/const values' types, and those of every
  /// oneOf/anyOf branch.
  void types_of(std::string file, const json* node, std::set<std::string>* out, int depth = 0) const {
    if (depth > 8 || !resolve(&file, &node) || !node->is_object()) return;
    auto value_type = [](const json& v) -> std::string {
      if (v.is_string()) return "string";
      if (v.is_boolean()) return "boolean";
      if (v.is_number_integer()) return "integer";
      if (v.is_number()) return "number";
      if (v.is_array()) return "array";
      if (v.is_object()) return "object";
      return "null";
    };
    if (node->contains("type")) {
      const json& t = (*node)["type"];
      if (t.is_string()) out->insert(t.get<std::string>());
      else if (t.is_array())
        for (const auto& x : t)
          if (x.is_string()) out->insert(x.get<std::string>());
    }
    if (node->contains("enum") && (*node)["enum"].is_array())
      for (const auto& v : (*node)["enum"]) out->insert(value_type(v));
    if (node->contains("const")) out->insert(value_type((*node)["const"]));
    for (const char* k : {"oneOf", "anyOf"})
      if (node->contains(k) && (*node)[k].is_array())
        for (const auto& b : (*node)[k]) types_of(file, &b, out, depth + 1);
  }

  /// Every branch of `node` (itself, or its oneOf/anyOf branches, $refs followed).
  void branches(std::string file, const json* node, std::vector<std::pair<std::string, const json*>>* out,
                int depth = 0) const {
    if (depth > 8 || !resolve(&file, &node) || !node->is_object()) return;
    bool split = false;
    for (const char* k : {"oneOf", "anyOf"})
      if (node->contains(k) && (*node)[k].is_array()) {
        split = true;
        for (const auto& b : (*node)[k]) branches(file, &b, out, depth + 1);
      }
    if (!split) out->emplace_back(file, node);
  }
 private:
  mutable std::recursive_mutex mu_;
  mutable std::map<std::string, json, std::less<>> files_;
  mutable std::map<std::string, std::optional<TypeSchema>, std::less<>> types_;
};

std::vector<std::string> TypeSchema::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : props_) out.push_back(k);
  return out;
}

std::string TypeSchema::check(const PropRead& read) const {
  auto it = props_.find(read.key);
  if (it == props_.end()) return "read as " + std::string(as_name(read.as)) + " but not in the schema";
  const SchemaStore& store = SchemaStore::get();
  std::set<std::string> types;
  store.types_of(it->second.file, it->second.json, &types);
  std::vector<std::pair<std::string, const json*>> branches;
  store.branches(it->second.file, it->second.json, &branches);
  auto said = [&] { return "schema types {" + join(std::vector<std::string>(types.begin(), types.end()), ", ") + "}"; };
  switch (read.as) {
    case PropRead::As::kString:
    case PropRead::As::kText:
      if (!types.count("string")) return "read as a string, " + said();
      return "";
    case PropRead::As::kBoolean:
      if (types != std::set<std::string>{"boolean"}) return "read as a boolean (true/false only), " + said();
      return "";
    case PropRead::As::kInteger: {
      std::string seen;
      for (const auto& [f, b] : branches) {
        std::set<std::string> bt;
        store.types_of(f, b, &bt);
        if (!bt.count("integer")) continue;
        const auto* node = b;  // clang before 16 cannot capture a structured binding
        auto bound = [&](const char* k) -> std::string {
          return node->contains(k) && (*node)[k].is_number_integer() ? std::to_string((*node)[k].get<int64_t>()) : "none";
        };
        if (bound("minimum") == std::to_string(read.min) && bound("maximum") == std::to_string(read.max)) return "";
        seen += (seen.empty() ? "" : ", ") + ("[" + bound("minimum") + ", " + bound("maximum") + "]");
      }
      return "read as an integer in [" + std::to_string(read.min) + ", " + std::to_string(read.max) + "], " +
             (seen.empty() ? said() : "schema integer range " + seen);
    }
    case PropRead::As::kMode: {
      const json* meta = store.file(SchemaStore::kMeta);
      std::string f = it->second.file;
      const json* n = it->second.json;
      if (!meta || !store.resolve(&f, &n) || f != SchemaStore::kMeta || !meta->contains("$defs") ||
          !(*meta)["$defs"].contains("mode") || n != &(*meta)["$defs"]["mode"])
        return "read as a mode: the schema must be {\"$ref\": \"meta.schema.json#/$defs/mode\"}";
      return "";
    }
    case PropRead::As::kOneOf: {
      std::set<std::string> want(read.allowed.begin(), read.allowed.end()), have;
      bool other = false;
      for (const auto& [f, b] : branches) {
        if (b->contains("enum") && (*b)["enum"].is_array()) {
          for (const auto& v : (*b)["enum"]) v.is_string() ? void(have.insert(v.get<std::string>())) : void(other = true);
        } else if (b->contains("const") && (*b)["const"].is_string()) {
          have.insert((*b)["const"].get<std::string>());
        } else {
          other = true;
        }
      }
      for (const auto& [f, b] : branches) {
        if (!b->contains("enum") || !(*b)["enum"].is_array()) continue;
        std::set<std::string> one;
        for (const auto& v : (*b)["enum"])
          if (v.is_string()) one.insert(v.get<std::string>());
        if (one == want) return "";  // a branch that is exactly this read's list (values depend on another key)
      }
      if (other || have != want)
        return "read as one of {" + join(std::vector<std::string>(want.begin(), want.end()), ", ") +
               "}, schema enum {" + join(std::vector<std::string>(have.begin(), have.end()), ", ") + "}" +
               (other ? " and other values" : "");
      return "";
    }
    case PropRead::As::kStringList:
      if (!types.count("string") || !types.count("array"))
        return "read as a list of strings or one string, " + said();
      return "";
    case PropRead::As::kStringMap:
      if (!types.count("object")) return "read as a map, " + said();
      return "";
    case PropRead::As::kRaw:
      return "";
  }
  return "";
}

nlohmann::json TypeSchema::example(std::string_view key) const {
  auto it = props_.find(key);
  if (it == props_.end()) return nullptr;
  const SchemaStore& store = SchemaStore::get();
  std::function<json(std::string, const json*, int)> make = [&](std::string file, const json* node, int depth) -> json {
    std::vector<std::pair<std::string, const json*>> branches;
    store.branches(file, node, &branches);
    if (branches.empty() || depth > 4) return "x";
    auto [f, b] = branches.front();
    if (b->contains("const")) return (*b)["const"];
    if (b->contains("enum") && (*b)["enum"].is_array() && !(*b)["enum"].empty()) return (*b)["enum"][0];
    std::set<std::string> types;
    store.types_of(f, b, &types);
    if (types.count("string")) {
      std::string pattern = b->contains("pattern") && (*b)["pattern"].is_string() ? (*b)["pattern"].get<std::string>() : "";
      if (pattern == "^[0-7]{3,4}$") return "0644";
      if (pattern.rfind("^/", 0) == 0) return "/tmp/roux-sample";
      if (pattern.rfind("^(https?|file)://", 0) == 0) return "https://127.0.0.1/sample";
      return "sample";
    }
    if (types.count("boolean")) return true;
    if (types.count("integer") || types.count("number"))
      return b->contains("minimum") && (*b)["minimum"].is_number_integer() ? (*b)["minimum"].get<int64_t>() : 1;
    if (types.count("array"))
      return json::array({b->contains("items") ? make(f, &(*b)["items"], depth + 1) : json("sample")});
    if (types.count("object")) return json::object();
    return "sample";
  };
  return make(it->second.file, it->second.json, 0);
}

const TypeSchema* resource_schema(std::string_view type) { return SchemaStore::get().type(type); }

const TypeSchema& meta_schema() { return SchemaStore::get().meta; }

std::vector<std::string> schema_type_names() {
  const auto& store = SchemaStore::get();
  const std::string prefix = "resources/", suffix = ".schema.json";
  std::vector<std::string> out;
  for (const auto& [path, text] : store.texts) {
    if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (store.type(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const TypeSchema* embedded_object_schema(std::string_view path, std::string_view pointer) {
  static std::mutex mu;
  static std::map<std::string, TypeSchema> built;
  const auto& store = SchemaStore::get();
  std::lock_guard<std::mutex> lock(mu);
  std::string id = std::string(path) + "#" + std::string(pointer);
  if (auto it = built.find(id); it != built.end()) return &it->second;
  const json* file = store.file(path);
  if (!file) return nullptr;
  json::json_pointer p{std::string(pointer)};
  if (!file->contains(p)) return nullptr;
  TypeSchema t;
  store.collect(std::string(path), (*file)[p], &t);
  return &built.emplace(id, std::move(t)).first->second;
}

const nlohmann::json* embedded_schema_json(std::string_view path) {
  return SchemaStore::get().file(path);
}

}  // namespace roux::engine
