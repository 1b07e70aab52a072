// The resource schemas (schemas/resources/*.schema.json, embedded in the binary) against the
// registry: every type has one, every property a factory reads is declared with the same type
// (enum, integer range, mode, list), every declared property is read, and meta.schema.json
// declares exactly the compiler's meta keys. The factories run over a sample built from each
// schema and over every resource written in the repository's recipes, examples and e2e scripts.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "cli/client_config.h"
#include "compiler/compile.h"
#include "compiler/yaml_value.h"
#include "engine/schema.h"
#include "resources/builtin.h"

namespace roux {
namespace {

namespace fs = std::filesystem;
using engine::Value;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Value scalar(std::string s) {
  Value v;
  v.kind = Value::Kind::kScalar;
  v.scalar = std::move(s);
  return v;
}

/// An example JSON value as a recipe Value (what the YAML parser would give).
Value to_value(const nlohmann::json& j) {
  Value v;
  if (j.is_null()) return v;
  if (j.is_string()) return scalar(j.get<std::string>());
  if (j.is_boolean()) return scalar(j.get<bool>() ? "true" : "false");
  if (j.is_number()) return scalar(j.dump());
  if (j.is_array()) {
    v.kind = Value::Kind::kList;
    for (const auto& x : j) v.list.push_back(to_value(x));
    return v;
  }
  v.kind = Value::Kind::kMap;
  for (const auto& [k, x] : j.items()) v.map.push_back({k, {}, to_value(x)});
  return v;
}

/// One resource declaration to feed a factory, and where it comes from (for messages).
struct Sample {
  Value item;  // "- TYPE: NAME" + properties, as in a recipe
  std::string where;
};

/// Every resource item of a recipe-shaped YAML text (a map with `resources:`).
void collect_items(const std::string& text, const std::string& where, std::vector<Sample>* out) {
  Value doc;
  std::vector<Status> errors;
  if (!compiler::parse_yaml(text, where, &doc, &errors) || !errors.empty() || doc.kind != Value::Kind::kMap) return;
  const Value* res = doc.find("resources");
  if (!res || res->kind != Value::Kind::kList) return;
  for (const auto& item : res->list)
    if (item.kind == Value::Kind::kMap && !item.map.empty())
      out->push_back({item, item.where.empty() ? where : item.where.to_string()});
}

/// The recipes of the repository: cookbooks, examples, the compile-error corpus, and the
/// recipes the e2e scripts write through heredocs (those with a `resources:` line).
std::vector<Sample> repository_samples() {
  std::vector<Sample> out;
  const fs::path root = ROUX_SOURCE_DIR;
  for (const char* dir : {"cookbooks", "examples", "tests/compile_errors"})
    for (const auto& e : fs::recursive_directory_iterator(root / dir))
      if (e.is_regular_file() && e.path().extension() == ".yaml")
        collect_items(slurp(e.path()), e.path().string(), &out);
  const std::regex start(R"(<<-?\s*['"]?([A-Za-z_]+)['"]?)");
  for (const auto& e : fs::directory_iterator(root / "tests/e2e")) {
    if (e.path().extension() != ".sh") continue;
    std::istringstream in(slurp(e.path()));
    std::string line, delim, body;
    int n = 0, body_line = 0;
    while (std::getline(in, line)) {
      ++n;
      std::smatch m;
      if (delim.empty()) {
        if (std::regex_search(line, m, start)) delim = m[1], body.clear(), body_line = n + 1;
        continue;
      }
      if (std::string(trim(line)) == delim) {
        if (body.find("resources:") != std::string::npos)
          collect_items(body, e.path().string() + ":" + std::to_string(body_line), &out);
        delim.clear();
        continue;
      }
      body += line + "\n";
    }
  }
  return out;
}

struct StubBuild : engine::BuildContext {
  Result<std::string> cookbook_file(const std::string&) const override { return std::string("x\n"); }
  Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
    return engine::Rendered{"x\n", false};
  }
};

/// Runs the factory (or the composite's expander) of `item`'s type, returning what it read.
std::vector<engine::PropRead> reads_of(const engine::Registry& registry, const Value& item) {
  const auto& meta = compiler::meta_property_names();
  Value props_map;
  props_map.kind = Value::Kind::kMap;
  for (size_t i = 1; i < item.map.size(); ++i)
    if (!meta.count(item.map[i].key)) props_map.map.push_back(item.map[i]);
  std::vector<Status> errors;
  std::vector<engine::PropRead> reads;
  engine::Props props(props_map, "sample", &errors);
  props.record_reads(&reads);
  StubBuild build;
  const std::string& type = item.map.front().key;
  const std::string name = item.map.front().value.scalar;
  if (const auto* t = registry.find(type)) (void)t->make(name, props, build);
  else if (const auto* c = registry.find_composite(type)) (void)c->expand(name, props, build, &errors);
  return reads;
}

engine::Registry builtin_registry() {
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  return registry;
}

TEST_CASE("schemas: every registered resource type has a schema in schemas/resources/, and every type schema a type") {
  engine::Registry registry = builtin_registry();
  std::vector<std::string> types = registry.names(), schemas = engine::schema_type_names();
  for (const auto& t : types) {
    INFO("registered type without schemas/resources/" << t << ".schema.json (or its \"required\" lacks \"" << t << "\")");
    CHECK(engine::resource_schema(t) != nullptr);
  }
  for (const auto& s : schemas) {
    INFO("schemas/resources/" << s << ".schema.json describes a type the binary does not register");
    CHECK(std::find(types.begin(), types.end(), s) != types.end());
  }
}

TEST_CASE("schemas: meta.schema.json declares exactly the meta-properties the compiler reads") {
  std::vector<std::string> declared = engine::meta_schema().names();
  std::set<std::string> schema(declared.begin(), declared.end());
  const auto& compiler = compiler::meta_property_names();
  for (const auto& k : compiler) {
    INFO("meta key \"" << k << "\" missing from meta.schema.json");
    CHECK(schema.count(k) == 1);
  }
  for (const auto& k : schema) {
    INFO("meta.schema.json declares \"" << k << "\", which the compiler does not read");
    CHECK(compiler.count(k) == 1);
  }
}

TEST_CASE("schemas: factories read what their schemas declare, with the same types, enums and ranges") {
  engine::Registry registry = builtin_registry();
  const auto& meta = compiler::meta_property_names();
  std::map<std::string, std::vector<Sample>> samples;
  // Per type: the name alone, and every property the schema declares (once per value of an
  // enum-valued name: a composite's agents read different properties).
  for (const auto& type : registry.names()) {
    const engine::TypeSchema* schema = engine::resource_schema(type);
    if (!schema) continue;  // reported by the test above
    std::vector<nlohmann::json> heads{schema->example(type)};
    const nlohmann::json* file = engine::embedded_schema_json("resources/" + type + ".schema.json");
    nlohmann::json::json_pointer head_enum("/properties/" + type + "/enum");
    if (file && file->contains(head_enum) && (*file)[head_enum].is_array())
      heads = (*file)[head_enum].get<std::vector<nlohmann::json>>();
    for (const auto& head : heads) {
      Value name_only;
      name_only.kind = Value::Kind::kMap;
      name_only.map.push_back({type, {}, to_value(head)});
      samples[type].push_back({name_only, type + " (name only)"});
      Value all = name_only;
      for (const auto& k : schema->names())
        if (k != type && !meta.count(k)) all.map.push_back({k, {}, to_value(schema->example(k))});
      samples[type].push_back({all, type + " (every property of its schema)"});
    }
  }
  size_t repo_samples = 0;
  for (auto& s : repository_samples())
    if (registry.find(s.item.map.front().key) || registry.find_composite(s.item.map.front().key)) {
      ++repo_samples;
      samples[s.item.map.front().key].push_back(std::move(s));
    }
  MESSAGE(repo_samples << " resources from the repository's recipes, examples and e2e scripts");
  CHECK(repo_samples > 50);

  std::vector<std::string> problems;
  for (const auto& [type, list] : samples) {
    const engine::TypeSchema* schema = engine::resource_schema(type);
    std::set<std::string> read_keys, reported;
    for (const auto& s : list) {
      for (const auto& r : reads_of(registry, s.item)) {
        read_keys.insert(r.key);
        std::string why = schema->check(r);
        std::string line = type + "." + r.key + ": " + why;
        if (!why.empty() && reported.insert(line).second) problems.push_back(line + " (first seen: " + s.where + ")");
      }
    }
    for (const auto& k : schema->names())
      if (k != type && !meta.count(k) && !read_keys.count(k))
        problems.push_back(type + "." + k + ": declared by the schema but the factory never reads it");
  }
  for (const auto& p : problems) MESSAGE(p);
  CHECK(problems.empty());
}

TEST_CASE("schemas: the schema is the gate: a property the factory reads but the schema lacks is an unknown property") {
  // file reads "content"; with a schema that does not declare it (meta's, here), finish() refuses it
  // at the key's file:line:col even though the factory read it.
  std::vector<Status> errors;
  Value map;
  REQUIRE(compiler::parse_yaml("content: hi\n", "r.yaml", &map, &errors));
  engine::Props props(map, "file[/a]", &errors);
  props.set_schema(&engine::meta_schema());
  CHECK(props.text("content") == "hi");
  props.finish("file");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() == "r.yaml:1:1: file[/a]: unknown property \"content\" for file");
  // With the type's own schema it is accepted.
  errors.clear();
  engine::Props ok(map, "file[/a]", &errors);
  ok.set_schema(engine::resource_schema("file"));
  CHECK(ok.text("content") == "hi");
  ok.finish("file");
  CHECK(errors.empty());
}

TEST_CASE("schemas: TypeSchema::check reports a read that differs from the schema") {
  const engine::TypeSchema* file = engine::resource_schema("file");
  REQUIRE(file);
  using As = engine::PropRead::As;
  CHECK(file->check({"ensure", As::kOneOf, 0, 0, {"present", "absent"}}) == "");
  CHECK(file->check({"ensure", As::kOneOf, 0, 0, {"present", "absent", "latest"}}) ==
        "read as one of {absent, latest, present}, schema enum {absent, present}");
  CHECK(file->check({"backup", As::kInteger, 0, 1000}) == "");
  CHECK(file->check({"backup", As::kInteger, 0, 99}) == "read as an integer in [0, 99], schema integer range [0, 1000]");
  CHECK(file->check({"mode", As::kMode}) == "");
  CHECK(file->check({"content", As::kMode}) ==
        "read as a mode: the schema must be {\"$ref\": \"meta.schema.json#/$defs/mode\"}");
  CHECK(file->check({"content", As::kBoolean}) == "read as a boolean (true/false only), schema types {string}");
  CHECK(file->check({"owner", As::kString}) == "");
  CHECK(file->check({"colour", As::kString}) == "read as string but not in the schema");
  CHECK(file->check({"content", As::kStringList}) == "read as a list of strings or one string, schema types {string}");
}

/// The "(known: a, b, c)" list of the error parse_client_config gives for an unknown key.
std::set<std::string> known_keys(const std::string& yaml) {
  auto r = cli::parse_client_config(yaml, "client.yaml");
  REQUIRE(!r.is_ok());
  std::string msg = r.status().message();
  size_t at = msg.find("(known: ");
  REQUIRE(at != std::string::npos);
  std::set<std::string> out;
  for (auto& k : split(msg.substr(at + 8, msg.find(')', at) - at - 8), ',')) out.insert(std::string(trim(k)));
  return out;
}

std::set<std::string> schema_keys(const std::string& pointer) {
  const engine::TypeSchema* s = engine::embedded_object_schema("client.schema.json", pointer);
  REQUIRE(s);
  auto names = s->names();
  return {names.begin(), names.end()};
}

TEST_CASE("schemas: client.schema.json declares exactly the keys client.yaml's parser accepts") {
  CHECK(known_keys("zzz_unknown: 1\n") == schema_keys(""));
  CHECK(known_keys("http: {zzz_unknown: 1}\n") == schema_keys("/properties/http"));
  CHECK(known_keys("apt_update: {zzz_unknown: 1d}\n") == schema_keys("/properties/apt_update"));
  CHECK(known_keys("reboot: {zzz_unknown: 1}\n") == schema_keys("/properties/reboot"));
  // Handlers are read through Props gated by $defs/handler: every key it declares is read for
  // some handler type (none is refused as unknown), and its type enum is the parser's list.
  const engine::TypeSchema* handler = engine::embedded_object_schema("client.schema.json", "/$defs/handler");
  REQUIRE(handler);
  const nlohmann::json* client = engine::embedded_schema_json("client.schema.json");
  REQUIRE(client);
  std::vector<std::string> types = (*client)["$defs"]["handler"]["properties"]["type"]["enum"];
  CHECK(std::set<std::string>(types.begin(), types.end()) ==
        std::set<std::string>(report::handler_types().begin(), report::handler_types().end()));
  for (const auto& key : handler->names()) {
    if (key == "type") continue;
    bool read = false;
    for (const auto& type : types) {
      auto example = handler->example(key);
      std::string value = example.is_string() ? "\"" + example.get<std::string>() + "\"" : example.dump();
      auto r = cli::parse_client_config("handlers:\n  - {type: " + type + ", " + key + ": " + value + "}\n", "c.yaml");
      if (r.is_ok() || r.status().message().find("unknown property") == std::string::npos) read = true;
    }
    INFO("client.schema.json declares handler key \"" << key << "\", which no handler type reads");
    CHECK(read);
  }
  // The gate: a key the schema does not declare is refused at its file:line:col.
  auto bad = cli::parse_client_config("handlers:\n  - {type: history, colour: red}\n", "c.yaml");
  REQUIRE(!bad.is_ok());
  CHECK(bad.status().to_string().find("c.yaml:2:") != std::string::npos);
  CHECK(bad.status().message().find("unknown property \"colour\"") != std::string::npos);
}

}  // namespace
}  // namespace roux
