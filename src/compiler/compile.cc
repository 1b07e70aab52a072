// The compiler driver: policy -> sources -> cookbook versions -> attributes -> recipes -> graph.
// Each pass collects every error it can find; the run stops at one checkpoint before the host is
// touched (mold's habit).
#include "compiler/compile.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <cctype>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <system_error>
#include <thread>

#include "base/json.h"
#include "base/log.h"
#include "base/log_capture.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "base/redact.h"
#include "compiler/conditions.h"
#include "compiler/mustache.h"
#include "compiler/parse_cache.h"
#include "compiler/secrets.h"
#include "compiler/verify_checks.h"
#include "compiler/yaml_value.h"
#include "sources/local_file.h"
#include "sources/metadata.h"

namespace roux::compiler {
namespace {

namespace fs = std::filesystem;
using engine::Value;

/// Appends a canonical, unambiguous text of `v` (length-prefixed scalars); false when any part
/// of it came from a secret (its digest would be a hash of the secret, kept on disk). The text
/// is what desired digests of earlier runs hashed: any change to it shows every resource as
/// drifted once (compile_test pins it). Appended in place, without temporaries (every resource
/// of every compile).
bool serialize_value(const Value& v, std::string* out) {
  if (v.sensitive) return false;
  auto number = [&](size_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out->append(buf, end);
  };
  auto put = [&](std::string_view s) {
    number(s.size());
    out->push_back(':');
    out->append(s);
  };
  switch (v.kind) {
    case Value::Kind::kNull: out->push_back('n'); return true;
    case Value::Kind::kScalar: out->push_back(v.quoted ? 'q' : 's'); put(v.scalar); return true;
    case Value::Kind::kList:
      out->push_back('l');
      number(v.list.size());
      for (const auto& e : v.list)
        if (!serialize_value(e, out)) return false;
      return true;
    case Value::Kind::kMap:
      out->push_back('m');
      number(v.map.size());
      for (const auto& e : v.map) {
        put(e.key);
        if (!serialize_value(e.value, out)) return false;
      }
      return true;
  }
  return false;
}

/// A property value as one line of display text (roux policy diff); "(sensitive)" for a secret.
std::string display_value(const Value& v) {
  if (v.sensitive) return "(sensitive)";
  switch (v.kind) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kScalar: return v.scalar;
    case Value::Kind::kList: {
      std::string out = "[";
      for (const auto& e : v.list) out += (out.size() > 1 ? ", " : "") + display_value(e);
      return out + "]";
    }
    case Value::Kind::kMap: {
      std::string out = "{";
      for (const auto& e : v.map) out += (out.size() > 1 ? ", " : "") + e.key + ": " + display_value(e.value);
      return out + "}";
    }
  }
  return "";
}

/// The digest of a resource's desired state as compiled (engine::Meta::desired_digest): its type,
/// name and properties after interpolation, plus the cookbook's identity when a property names a
/// file of the cookbook (a template's source), whose content the properties do not show. ""
/// when a property holds a secret.
std::string desired_digest(const std::string& type, const std::string& name, const Value& props,
                           const sources::CookbookRef& cookbook) {
  std::string text;
  text.reserve(type.size() + name.size() + 256);
  text.append(type).append(1, '\n').append(name).append(1, '\n');
  if (!serialize_value(props, &text)) return "";
  if (props.find("source"))
    text += "\ncookbook " + cookbook.name + " " + cookbook.version.to_string() + " " + cookbook.sha256 + " " + cookbook.revision;
  return sha256_hex(text).substr(0, 16);
}

/// The policy file as written.
struct Policy {
  std::string name;
  std::vector<std::string> sources;
  std::vector<std::pair<std::string, SourceLocation>> run_list;
  std::map<std::string, std::pair<std::string, SourceLocation>> constraints;
  nlohmann::json attributes = nlohmann::json::object();
  nlohmann::json override_attributes = nlohmann::json::object();
};

/// A reference to another resource ("service[nginx]") and where it was written.
struct PendingRef {
  engine::Node* from;
  std::string id;
  std::string kind;  // requires, before, notify, subscribe
  bool immediately = false;
  std::string action;
  SourceLocation where;
};

const std::set<std::string> kMetaKeys = {"requires", "before",      "notify",  "subscribe",  "only_if",
                                         "not_if",   "sensitive",   "ignore_failure", "retries", "retry_delay",
                                         "only_if_fact", "not_if_fact", "guard_timeout", "tags"};

/// A `tags:` list (of a resource or a recipe): each tag 1-64 characters of letters, digits and
/// "_.:-", so `--tags web,db` can name it. Errors name the tag's place.
std::vector<std::string> parse_tags(const Value& v, const std::string& owner, std::vector<Status>* errors) {
  std::vector<std::string> out;
  if (v.kind != Value::Kind::kList) {
    errors->push_back(Status::invalid_input(owner + ": tags: expected a list of tags, such as [web, frontend]", v.where));
    return out;
  }
  for (const auto& t : v.list) {
    bool ok = t.kind == Value::Kind::kScalar && !t.scalar.empty() && t.scalar.size() <= 64 &&
              std::all_of(t.scalar.begin(), t.scalar.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
              });
    if (!ok) {
      errors->push_back(Status::invalid_input(
          owner + ": tags: expected a tag of 1 to 64 letters, digits, \"_\", \".\", \":\" or \"-\"", t.where));
      continue;
    }
    if (std::find(out.begin(), out.end(), t.scalar) == out.end()) out.push_back(t.scalar);
  }
  return out;
}

/// Records `level` as the origin of every leaf of `layer` (objects are walked; anything else,
/// lists included, is a leaf), under `prefix` ("attr.web.port").
void note_attribute_origins(const nlohmann::json& layer, const std::string& level, const std::string& prefix,
                            std::map<std::string, std::string>& origin) {
  if (!layer.is_object()) {
    origin[prefix] = level;
    return;
  }
  for (const auto& [k, v] : layer.items()) note_attribute_origins(v, level, prefix + "." + k, origin);
}

/// The attribute names ("attr.web.port") the scalars of `v` read through {{...}} tags, in order,
/// each once (explain tells where each came from).
void collect_attribute_names(const Value& v, std::vector<std::string>* out) {
  if (v.kind == Value::Kind::kScalar) {
    for (size_t pos = v.scalar.find("{{"); pos != std::string::npos; pos = v.scalar.find("{{", pos + 2)) {
      size_t i = pos + 2;
      while (i < v.scalar.size() && (v.scalar[i] == ' ' || std::strchr("#^/&{", v.scalar[i]))) ++i;
      if (v.scalar.compare(i, 5, "attr.") != 0) continue;
      size_t end = i;
      while (end < v.scalar.size() && (std::isalnum(static_cast<unsigned char>(v.scalar[end])) ||
                                       std::strchr("._-", v.scalar[end])))
        ++end;
      std::string name = v.scalar.substr(i, end - i);
      if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(name);
    }
  }
  for (const auto& x : v.list) collect_attribute_names(x, out);
  for (const auto& e : v.map) collect_attribute_names(e.value, out);
}

/// A recipe name as a run list writes it ("app::web"): it names recipes/NAME.yaml.
bool is_valid_recipe_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

void parse_policy(const Value& root, const std::string& file, Policy* p, std::vector<Status>* errors) {
  if (root.kind != Value::Kind::kMap) {
    errors->push_back(Status::invalid_input("policy: expected a map with name, sources and run_list", root.where));
    return;
  }
  bool has_run_list = false;
  for (const auto& e : root.map) {
    const Value& v = e.value;
    if (e.key == "name") {
      p->name = v.scalar;
      if (v.kind != Value::Kind::kScalar || p->name.empty() || has_control_char(p->name))
        errors->push_back(Status::invalid_input("policy: name: expected a non-empty string on one line", v.where));
    } else if (e.key == "description") {
    } else if (e.key == "sources") {
      if (v.kind != Value::Kind::kList) {
        errors->push_back(Status::invalid_input("policy: sources: expected a list of source URLs", v.where));
        continue;
      }
      for (const auto& s : v.list) {
        if (s.kind != Value::Kind::kScalar) errors->push_back(Status::invalid_input("policy: sources: expected a URL", s.where));
        else if (has_control_char(s.scalar))
          errors->push_back(Status::invalid_input(
              "policy: sources: \"" + one_line(s.scalar) + "\" must not contain a NUL byte or a control character", s.where));
        else p->sources.push_back(s.scalar);
      }
    } else if (e.key == "run_list") {
      has_run_list = true;
      if (v.kind != Value::Kind::kList) {
        errors->push_back(Status::invalid_input("policy: run_list: expected a list of cookbook::recipe", v.where));
        continue;
      }
      for (const auto& s : v.list) {
        if (s.kind != Value::Kind::kScalar || s.scalar.empty()) {
          errors->push_back(Status::invalid_input("policy: run_list: expected cookbook or cookbook::recipe", s.where));
          continue;
        }
        std::string item = s.scalar.find("::") == std::string::npos ? s.scalar + "::default" : s.scalar;
        // Both halves name files (cookbooks/NAME, recipes/RECIPE.yaml): checked, never a path.
        std::string cb = item.substr(0, item.find("::")), recipe = item.substr(item.find("::") + 2);
        if (!sources::is_valid_cookbook_name(cb) || !is_valid_recipe_name(recipe)) {
          errors->push_back(Status::invalid_input(
              "policy: run_list: \"" + one_line(s.scalar) +
                  "\" is not cookbook or cookbook::recipe (a cookbook name: a-z, 0-9, _ and -, starting with a "
                  "letter; a recipe: letters, digits, _ and -)",
              s.where));
          continue;
        }
        p->run_list.push_back({item, s.where});
      }
    } else if (e.key == "cookbooks") {
      if (v.kind != Value::Kind::kMap) {
        errors->push_back(Status::invalid_input("policy: cookbooks: expected a map of cookbook: constraint", v.where));
        continue;
      }
      for (const auto& c : v.map) {
        std::string text = c.value.kind == Value::Kind::kScalar ? c.value.scalar : "";
        if (auto parsed = Constraint::parse(text); !parsed.is_ok())
          errors->push_back(Status::invalid_input("policy: cookbooks: " + c.key + ": " + parsed.status().message(),
                                                  c.value.where));
        p->constraints[c.key] = {text, c.value.where};
      }
    } else if (e.key == "attributes" || e.key == "override_attributes") {
      if (v.kind != Value::Kind::kMap && v.kind != Value::Kind::kNull) {
        errors->push_back(Status::invalid_input("policy: " + e.key + ": expected a map", v.where));
        continue;
      }
      (e.key == "attributes" ? p->attributes : p->override_attributes) =
          v.kind == Value::Kind::kNull ? nlohmann::json::object() : to_json(v);
    } else {
      errors->push_back(Status::invalid_input(
          "policy: unknown key \"" + e.key +
              "\" (known: name, description, sources, run_list, cookbooks, attributes, override_attributes)",
          e.key_where));
    }
  }
  if (p->name.empty() && errors->empty()) p->name = fs::path(file).stem().string();
  if (!has_run_list) errors->push_back(Status::invalid_input("policy: missing required key \"run_list\"", root.where));
}

/// Implements BuildContext for one cookbook.
class CookbookBuild final : public engine::BuildContext {
 public:
  CookbookBuild(std::string name, std::string dir, const Renderer& renderer)
      : name_(std::move(name)), dir_(std::move(dir)), renderer_(renderer) {}

  Result<std::string> cookbook_file(const std::string& rel) const override {
    ROUX_TRY(check_rel(rel));
    // Read beneath the cookbook: a link out of it (files/x -> /etc/shadow) is refused.
    auto text = sources::read_file_beneath(dir_, "files/" + rel);
    if (!text.is_ok() && text.status().code() == Code::kNotFound)
      return Status::not_found("cookbook " + name_ + " has no file files/" + rel);
    return text;
  }

  Result<engine::Rendered> render_template(const std::string& rel, const Value* variables) const override {
    ROUX_TRY(check_rel(rel));
    auto read = sources::read_file_beneath(dir_, "templates/" + rel);
    if (!read.is_ok() && read.status().code() == Code::kNotFound)
      return Status::not_found("cookbook " + name_ + " has no template templates/" + rel);
    ROUX_ASSIGN_OR_RETURN(std::string text, std::move(read));
    nlohmann::json vars = variables ? to_json(*variables) : nlohmann::json();
    auto out = renderer_.render(text, &vars);
    if (!out.is_ok()) return out.status().with_context("templates/" + rel);
    // A template that rendered a secret (a variable, or an attribute that held one) is sensitive.
    bool sensitive = (variables && variables->sensitive) || redact::contains_secret(*out);
    return engine::Rendered{std::move(*out), sensitive};
  }

 private:
  Status check_rel(const std::string& rel) const {
    if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos)
      return Status::invalid_input("\"" + rel + "\" must be a relative path inside the cookbook");
    return Status::ok();
  }
  std::string name_, dir_;
  const Renderer& renderer_;
};

/// "type[name]" -> {type, name}; false when malformed.
bool split_ref(const std::string& ref, std::string* type, std::string* name) {
  auto open = ref.find('[');
  if (open == std::string::npos || open == 0 || ref.back() != ']' || ref.size() < open + 3) return false;
  *type = ref.substr(0, open);
  *name = ref.substr(open + 1, ref.size() - open - 2);
  return true;
}

/// Whether any scalar of `v` is an encrypted secret (ENC[roux,...]).
bool has_encrypted(const Value& v) {
  if (v.kind == Value::Kind::kScalar) return secret::is_encrypted(v.scalar);
  for (const auto& x : v.list)
    if (has_encrypted(x)) return true;
  for (const auto& e : v.map)
    if (has_encrypted(e.value)) return true;
  return false;
}

/// A recipe of pass 5: its cookbook, tags and parsed tree, kept until every resource of it is in
/// the graph.
struct RecipeUnit {
  const ResolvedCookbook* cb = nullptr;
  std::string recipe;
  std::unique_ptr<CookbookBuild> build;
  std::vector<std::string> tags;  // the recipe's tags: (every resource of it carries them)
  Value root;
};

/// One resource compiled apart from the graph: everything adding it to the graph needs, and the
/// errors found, in order. Made on any thread; added on one (Compiler::merge).
struct Prepared {
  std::vector<Status> errors;
  std::unique_ptr<engine::Resource> resource;  // nullptr: nothing to add (errors say why)
  SourceLocation where;
  std::vector<PendingRef> refs;  // `from` is set when the resource is added
  std::string id;
  std::optional<std::vector<std::pair<std::string, std::string>>> kept;  // CompileOptions::keep_properties
};

/// Pass 5 as a list of steps in run-list and declaration order: a recipe's error, its verify:
/// list, or one resource (a composite: its generated resources).
struct Step {
  enum class Kind { kError, kLog, kVerify, kResource };
  Kind kind = Kind::kError;
  RecipeUnit* unit = nullptr;
  Value* value = nullptr;  // kVerify: the list; kResource: the declaration
  Status error;            // kError
  std::vector<Prepared> out;          // kResource, after prepare
  std::vector<log::CapturedLine> log; // kLog, kResource: lines logged while parsing, preparing
};

/// Below this many resources per thread, starting a thread costs more than it saves (a thread
/// start is ~0.1 ms; a resource's compile ~10-20 us).
constexpr size_t kMinResourcesPerThread = 128;
/// Steps a worker takes at a time (one atomic increment each).
constexpr size_t kStepsPerChunk = 32;
/// Below this much recipe text per thread, parsing on one more thread costs more than it saves
/// (a warm parse cache decodes ~0.1 ms per 10 KB).
constexpr size_t kMinRecipeBytesPerThread = 64 << 10;

class Compiler {
 public:
  Compiler(const engine::Registry& registry, const facts::Facts& facts) : registry_(registry), facts_(facts) {}

  /// Pass 1 (the policy file) and pass 2 (open its sources, --source ones first). False on error.
  bool load(const CompileOptions& opts, Policy* policy, std::vector<Status>* errors) {
    auto text = read_text_file(opts.policy_file);
    if (!text.is_ok()) {
      errors->push_back(text.status());
      return false;
    }
    Value root;
    if (parse_yaml(*text, opts.policy_file, &root, errors)) parse_policy(root, opts.policy_file, policy, errors);
    if (!errors->empty()) return false;
    policy_file_ = opts.policy_file;
    parse_cache_ = ParseCache(opts.parse_cache_dir, opts.parse_cache_writable);
    sources_ = std::make_unique<sources::SourceSet>(sources::SourceContext{
        opts.cache_dir, fs::absolute(opts.policy_file).parent_path().string(), opts.trusted_keys, opts.ca_bundle,
        opts.confine_root, opts.trusted_dir, opts.transfer, opts.git});
    std::vector<std::string> urls = opts.extra_sources;
    urls.insert(urls.end(), policy->sources.begin(), policy->sources.end());
    if (urls.empty()) {
      errors->push_back(Status::invalid_input("policy: no sources (add sources: or pass --source)", root.where));
      return false;
    }
    for (auto& e : sources_->open(urls)) errors->push_back(std::move(e));
    return errors->empty();
  }

  CompileResult run_policy(const CompileOptions& opts) {
    CompileResult result;
    auto compiled = std::make_unique<Compiled>();
    compiled->policy_file = opts.policy_file;
    if (opts.keep_properties) kept_properties_ = &compiled->properties;
    jobs_ = opts.jobs;
    // Passes 1-2: the policy file, then its sources.
    Policy policy;
    bool loaded = load(opts, &policy, &result.errors);
    result.policy_name = policy.name;
    if (!loaded) return result;
    compiled->policy_name = policy.name;

    // Pass 3: the cookbooks. With a lockfile beside the policy, exactly the pinned ones (verified
    // against their digests); without, resolved in memory (newest satisfying every constraint).
    std::string lock_path = lockfile_path(opts.policy_file);
    if (auto lock = read_lockfile(lock_path); lock.is_ok()) {
      compiled->lockfile = lock_path;
      if (check_lockfile_matches(policy, *lock, lock_path, &result.errors))
        take(sources_->fetch_locked(lock->cookbooks), policy, &compiled->cookbooks, &result.errors);
    } else if (lock.status().code() != Code::kNotFound) {
      result.errors.push_back(lock.status());
    } else {
      take(resolve(policy, {}), policy, &compiled->cookbooks, &result.errors);
    }
    if (!result.errors.empty()) return result;

    // Pass 4: attributes, lowest precedence first.
    nlohmann::json attrs = nlohmann::json::object();
    // Each level's leaves are noted as they merge: the last one to set a leaf is its origin.
    auto& origin = compiled->attribute_origin;
    for (const auto& cb : compiled->cookbooks) {
      nlohmann::json defaults = nlohmann::json::object();
      load_cookbook_attributes(cb.path, defaults, &result.errors);
      note_attribute_origins(defaults, "cookbook " + cb.ref.name + " attributes.yaml", "attr", origin);
      deep_merge(attrs, defaults);
    }
    note_attribute_origins(policy.attributes, "policy attributes (" + opts.policy_file + ")", "attr", origin);
    deep_merge(attrs, policy.attributes);
    if (!opts.node_attributes_file.empty()) {
      auto node = read_text_file(opts.node_attributes_file);
      if (!node.is_ok()) {
        result.errors.push_back(node.status());
      } else {
        // Limits first (nesting, size); then it must be an object: merging a list or a scalar
        // would replace every attribute of the run.
        if (Status s = check_json_limits(*node, opts.node_attributes_file); !s.is_ok()) {
          result.errors.push_back(s);
        } else {
          try {
            nlohmann::json j = nlohmann::json::parse(*node);
            if (!j.is_object())
              result.errors.push_back(Status::invalid_input(opts.node_attributes_file +
                                                            ": node attributes must be a JSON object, got " +
                                                            std::string(j.type_name())));
            else {
              note_attribute_origins(j, "node attributes (-j " + opts.node_attributes_file + ")", "attr", origin);
              deep_merge(attrs, j);
            }
          } catch (const nlohmann::json::exception& e) {
            result.errors.push_back(Status::invalid_input(opts.node_attributes_file + ": " + e.what()));
          }
        }
      }
    }
    note_attribute_origins(policy.override_attributes, "policy override_attributes (" + opts.policy_file + ")", "attr",
                           origin);
    deep_merge(attrs, policy.override_attributes);
    if (!result.errors.empty()) return result;
    compiled->attributes = attrs;
    // Secrets in attributes are decrypted for rendering only; compiled->attributes keeps them sealed.
    secrets_ = SecretDecrypter(opts.secret_key_file, true);
    nlohmann::json plain_attrs = attrs;
    secrets_.decrypt_json(plain_attrs, "attributes", &result.errors);
    if (!result.errors.empty()) return result;

    // Pass 5: recipes of the run list, in order, into one graph.
    Renderer renderer(view(plain_attrs, policy.name));
    std::vector<RecipeRead> reads;
    for (const auto& [item, where] : policy.run_list) {
      std::string cb = item.substr(0, item.find("::")), recipe = item.substr(item.find("::") + 2);
      const ResolvedCookbook* found = nullptr;
      for (const auto& c : compiled->cookbooks)
        if (c.ref.name == cb) found = &c;
      if (!found) continue;  // reported by resolve()
      compiled->run_list.push_back(item);
      reads.push_back(read_recipe(*found, recipe, where));
    }
    std::vector<std::unique_ptr<RecipeUnit>> units;
    std::vector<Step> steps;
    plan_recipes(reads, renderer, &units, &steps);
    compiled->compile_threads = static_cast<int>(compile_steps(steps, units, renderer, compiled->graph, &result.errors));
    finish_graph(compiled->graph, &result.errors);
    compiled->verify = std::move(verify_);
    if (result.errors.empty()) {
      result.compiled = std::move(compiled);
      parse_cache_.commit();  // only a clean compile writes anything
    }
    return result;
  }

  CompileResult run_cookbook(const std::string& dir, const std::string& recipe) {
    CompileResult result;
    auto compiled = std::make_unique<Compiled>();
    auto md = sources::read_metadata(dir);
    if (!md.is_ok()) return fail(std::move(result), md.status());
    ResolvedCookbook cb{{md->name, md->version, md->depends, "dir:" + dir, "", ""}, dir, "dir:" + dir, ""};
    compiled->cookbooks.push_back(cb);
    compiled->policy_name = md->name;
    nlohmann::json attrs = nlohmann::json::object();
    load_cookbook_attributes(dir, attrs, &result.errors);
    compiled->attributes = attrs;
    Renderer renderer(view(attrs, md->name));
    std::vector<RecipeRead> reads;
    reads.push_back(read_recipe(compiled->cookbooks.front(), recipe, {}));
    std::vector<std::unique_ptr<RecipeUnit>> units;
    std::vector<Step> steps;
    plan_recipes(reads, renderer, &units, &steps);
    compile_steps(steps, units, renderer, compiled->graph, &result.errors);
    finish_graph(compiled->graph, &result.errors);
    compiled->verify = std::move(verify_);
    if (result.errors.empty()) result.compiled = std::move(compiled);
    return result;
  }

 private:
  static CompileResult fail(CompileResult r, Status s) {
    r.errors.push_back(std::move(s));
    return r;
  }

  nlohmann::json view(const nlohmann::json& attrs, const std::string& policy_name) const {
    return {{"attr", attrs}, {"facts", facts::to_json(facts_)}, {"policy", {{"name", policy_name}}}};
  }

  /// The SHA-256 of what decides versions: run-list cookbooks, constraints, sources.
  /// The digest a lockfile records: run list and constraints. Sources are a search list, not part
  /// of what is pinned (a lock resolves from a mirror, a git tag or a cache as long as each
  /// cookbook's content digest matches); `with_sources` gives the digest older lockfiles hold.
  static std::string policy_digest(const Policy& policy, bool with_sources = false) {
    nlohmann::ordered_json j;
    j["run_list_cookbooks"] = nlohmann::ordered_json::array();
    std::set<std::string> seen;
    for (const auto& [item, where] : policy.run_list) {
      std::string cb = item.substr(0, item.find("::"));
      if (seen.insert(cb).second) j["run_list_cookbooks"].push_back(cb);
    }
    j["cookbooks"] = nlohmann::ordered_json::object();
    for (const auto& [name, c] : policy.constraints) j["cookbooks"][name] = std::string(trim(c.first));
    if (with_sources) {
      // Without credentials: the digest is kept in the lockfile, and a rotated password is no change.
      j["sources"] = nlohmann::ordered_json::array();
      for (const auto& url : policy.sources) j["sources"].push_back(redact::strip_url_credentials(url));
    }
    return sha256_hex(json_dump(j));
  }

  /// Where to point an error about cookbook `name`: its constraint, its run-list entry, or the first.
  static SourceLocation where_of(const Policy& policy, const std::string& name) {
    if (auto it = policy.constraints.find(name); it != policy.constraints.end()) return it->second.second;
    for (const auto& [item, where] : policy.run_list)
      if (item.substr(0, item.find("::")) == name) return where;
    return policy.run_list.empty() ? SourceLocation{} : policy.run_list.front().second;
  }

  /// Without a lockfile: the policy's run list and constraints (plus `pins`) resolved by sources/.
  sources::CookbookSet resolve(const Policy& policy, const std::vector<sources::Requirement>& pins,
                               bool digests = false) {
    std::vector<std::string> roots;
    for (const auto& [item, where] : policy.run_list) roots.push_back(item.substr(0, item.find("::")));
    std::vector<sources::Requirement> reqs;
    for (const auto& [name, c] : policy.constraints) reqs.push_back({name, c.first, "policy"});
    reqs.insert(reqs.end(), pins.begin(), pins.end());
    return sources_->resolve(roots, reqs, digests);
  }

  /// Reads a resolved set: its cookbooks into `out`, its errors into `errors` (the resolver's at
  /// the failed cookbook's constraint or run-list entry).
  static void take(sources::CookbookSet set, const Policy& policy, std::vector<ResolvedCookbook>* out,
                   std::vector<Status>* errors) {
    if (set.unresolvable) set.errors.back() = set.errors.back().at(where_of(policy, set.failed_cookbook));
    for (auto& e : set.errors) errors->push_back(std::move(e));
    for (auto& c : set.cookbooks) out->push_back(std::move(c));
  }

  bool check_lockfile_matches(const Policy& policy, const Lockfile& lock, const std::string& lock_path,
                              std::vector<Status>* errors) {
    if (lock.policy_digest == policy_digest(policy) || lock.policy_digest == policy_digest(policy, true)) return true;
    errors->push_back(Status::conflict(
        lock_path + ": does not match " + policy_file_ +
        " (its run list or cookbook constraints changed since the lockfile was written); run `roux lock` "
        "(keeps every pin, resolves what is new) or `roux update NAME`, then converge"));
    return false;
  }

 public:
  /// roux lock / roux update: resolve (keeping `previous` pins except for `update`), fetch, digest.
  LockResult lock(const LockRequest& req) {
    LockResult result;
    Policy policy;
    if (!load(req.options, &policy, &result.errors)) return result;
    std::vector<sources::Requirement> pins;
    if (req.previous) {
      for (const auto& name : req.update)
        if (!req.previous->find(name))
          result.errors.push_back(Status::not_found("roux update: cookbook " + name + " is not in the lockfile"));
      if (!result.errors.empty()) return result;
      if (!req.update.empty() || req.keep_all)
        for (const auto& c : req.previous->cookbooks)
          if (std::find(req.update.begin(), req.update.end(), c.name) == req.update.end())
            pins.push_back({c.name, "= " + c.version.to_string(), "lockfile"});
    }
    std::vector<ResolvedCookbook> chosen;
    take(resolve(policy, pins, true), policy, &chosen, &result.errors);
    if (!result.errors.empty()) {
      if (!pins.empty())
        result.errors.push_back(Status::conflict("the lockfile's pins were kept (" + std::to_string(pins.size()) +
                                                 "); `roux update NAME` re-resolves one, `roux update --all` every one"));
      return result;
    }
    result.lock.policy_name = policy.name;
    result.lock.policy_digest = policy_digest(policy);
    for (const auto& cb : chosen)
      result.lock.cookbooks.push_back(
          {cb.ref.name, cb.ref.version, cb.ref.source, cb.sha256, cb.ref.revision, cb.ref.depends});
    result.notes = sources_->fetch_notes();
    return result;
  }

  /// check_policy_lockfile (compile.h): the policy parsed, its lockfile read and matched.
  Result<std::string> check_lockfile(const std::string& policy_file) {
    auto text = read_text_file(policy_file);
    if (!text.is_ok()) return text.status();
    Value root;
    Policy policy;
    std::vector<Status> errors;
    if (parse_yaml(*text, policy_file, &root, &errors)) parse_policy(root, policy_file, &policy, &errors);
    if (!errors.empty()) return errors.front();
    policy_file_ = policy_file;
    std::string lock_path = lockfile_path(policy_file);
    auto lock = read_lockfile(lock_path);
    if (!lock.is_ok())
      return lock.status().code() == Code::kNotFound
                 ? Status::not_found(lock_path + ": no lockfile (run `roux lock` first)")
                 : lock.status();
    if (!check_lockfile_matches(policy, *lock, lock_path, &errors)) return errors.front();
    return policy.name;
  }

  /// roux fetch: every cookbook the lockfile pins into the cache, verified.
  LockResult fetch(const CompileOptions& opts) {
    LockResult result;
    Policy policy;
    if (!load(opts, &policy, &result.errors)) return result;
    std::string lock_path = lockfile_path(opts.policy_file);
    auto lock = read_lockfile(lock_path);
    if (!lock.is_ok()) {
      result.errors.push_back(lock.status().code() == Code::kNotFound
                                  ? Status::not_found(lock_path + ": no lockfile (run `roux lock` first)")
                                  : lock.status());
      return result;
    }
    if (!check_lockfile_matches(policy, *lock, lock_path, &result.errors)) return result;
    std::vector<ResolvedCookbook> got;
    take(sources_->fetch_locked(lock->cookbooks), policy, &got, &result.errors);
    result.lock = *lock;
    result.notes = sources_->fetch_notes();
    for (const auto& cb : got)
      result.notes.push_back(cb.ref.name + " " + cb.ref.version.to_string() + ": " + cb.path);
    return result;
  }

 private:
  void load_cookbook_attributes(const std::string& dir, nlohmann::json& attrs, std::vector<Status>* errors) {
    std::string file = dir + "/attributes.yaml";
    if (std::error_code ec; !fs::exists(fs::symlink_status(file, ec))) return;  // never the throwing overloads
    auto text = sources::read_file_beneath(dir, "attributes.yaml");
    if (!text.is_ok()) {
      errors->push_back(text.status());
      return;
    }
    Value v;
    if (!parse_cache_.parse(*text, file, &v, errors)) return;
    if (v.kind == Value::Kind::kNull) return;
    if (v.kind != Value::Kind::kMap) {
      errors->push_back(Status::invalid_input("attributes: expected a map", v.where));
      return;
    }
    deep_merge(attrs, to_json(v));
  }

  /// One recipe of the run list read: its text, or why not (an error at its run-list entry);
  /// then parsed (parse_recipes).
  struct RecipeRead {
    const ResolvedCookbook* cb = nullptr;
    std::string recipe, file;
    std::optional<Status> error;  // not there or unreadable: nothing to parse
    std::string text;
    std::unique_ptr<RecipeUnit> unit = std::make_unique<RecipeUnit>();  // its root: the parse
    bool parsed = false;
    std::vector<Status> errors;            // the parse's
    ParseCache::Outcome outcome;
    std::vector<log::CapturedLine> log;    // what the parse logged
  };

  RecipeRead read_recipe(const ResolvedCookbook& cb, const std::string& recipe, const SourceLocation& ref_where) {
    RecipeRead r;
    r.cb = &cb;
    r.recipe = recipe;
    r.file = cb.path + "/recipes/" + recipe + ".yaml";
    if (std::error_code ec; !fs::exists(fs::symlink_status(r.file, ec))) {  // (never the throwing overloads: ENAMETOOLONG aborted)
      r.error = Status::not_found("cookbook " + cb.ref.name + " has no recipe \"" + recipe + "\" (" + "recipes/" +
                                  recipe + ".yaml)")
                    .at(ref_where);
      return r;
    }
    auto text = sources::read_file_beneath(cb.path, "recipes/" + recipe + ".yaml");
    if (!text.is_ok()) r.error = text.status().at(ref_where);
    else r.text = std::move(*text);
    return r;
  }

  /// Parses the recipes read (through the parse cache) on up to `jobs_` threads, one recipe at a
  /// time each, when their text is large enough to pay for a thread; then, on this thread and in
  /// run-list order, records each parse in the cache and turns each recipe into steps.
  void plan_recipes(std::vector<RecipeRead>& reads, const Renderer& renderer,
                    std::vector<std::unique_ptr<RecipeUnit>>* units, std::vector<Step>* steps) {
    size_t bytes = 0;
    for (const auto& r : reads) bytes += r.text.size();
    size_t threads = std::min({static_cast<size_t>(std::max(jobs_, 1)), reads.size(),
                               std::max<size_t>(1, bytes / kMinRecipeBytesPerThread)});
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i; (i = next.fetch_add(1)) < reads.size();) {
        RecipeRead& r = reads[i];
        if (r.error) continue;
        log::Capture capture(&r.log);
        r.parsed = parse_cache_.parse_apart(r.text, r.file, &r.unit->root, &r.errors, &r.outcome);
      }
    };
    run_on_threads(threads, worker);
    for (auto& r : reads) {
      if (!r.error) parse_cache_.keep(std::move(r.outcome));
      plan_recipe(r, renderer, units, steps);
    }
  }

  /// Runs `work` on this thread and on threads - 1 others (fewer when no thread is to be had),
  /// and returns when every one has returned. Returns the number of threads it ran on.
  /// An exception thrown by `work` on another thread is thrown here, once all have returned.
  static size_t run_on_threads(size_t threads, const std::function<void()>& work) {
    std::vector<std::exception_ptr> thrown(threads);
    auto guarded = [&](size_t t) {
      try {
        work();
      } catch (...) {
        thrown[t] = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(guarded, t);
      } catch (const std::system_error&) {
        break;  // no thread to be had: the others do the rest
      }
    }
    guarded(0);
    for (auto& t : pool) t.join();
    for (const auto& e : thrown)
      if (e) std::rethrow_exception(e);
    return pool.size() + 1;
  }

  /// Turns one parsed recipe into `steps` (its errors, verify: list and resources, in the
  /// file's order), without compiling its resources yet.
  void plan_recipe(RecipeRead& read, const Renderer& renderer, std::vector<std::unique_ptr<RecipeUnit>>* units,
                   std::vector<Step>* steps) {
    auto error = [&](Status s) {
      Step step;
      step.error = std::move(s);
      steps->push_back(std::move(step));
    };
    auto errors_to_steps = [&](std::vector<Status>& errs) {
      for (auto& e : errs) error(std::move(e));
      errs.clear();
    };
    if (read.error) {
      error(std::move(*read.error));
      return;
    }
    if (!read.log.empty()) {
      Step step;
      step.kind = Step::Kind::kLog;
      step.log = std::move(read.log);
      steps->push_back(std::move(step));
    }
    const ResolvedCookbook& cb = *read.cb;
    const std::string& recipe = read.recipe;
    std::unique_ptr<RecipeUnit> unit = std::move(read.unit);
    Value& root = unit->root;
    std::vector<Status>& errs = read.errors;
    errors_to_steps(errs);
    if (!read.parsed || root.kind == Value::Kind::kNull) return;
    if (root.kind != Value::Kind::kMap) {
      error(Status::invalid_input("recipe: expected a map with a \"resources\" list", root.where));
      return;
    }
    unit->cb = &cb;
    unit->recipe = recipe;
    unit->build = std::make_unique<CookbookBuild>(cb.ref.name, cb.path, renderer);
    // The recipe's tags: first, whatever their place in the file: every resource of it carries them.
    for (const auto& e : root.map)
      if (e.key == "tags") unit->tags = parse_tags(e.value, "recipe " + cb.ref.name + "::" + recipe, &errs);
    errors_to_steps(errs);
    for (auto& e : root.map) {
      if (e.key == "tags") continue;
      if (e.key == "verify") {
        Step step;
        step.kind = Step::Kind::kVerify;
        step.unit = unit.get();
        step.value = &e.value;
        steps->push_back(std::move(step));
        continue;
      }
      if (e.key != "resources") {
        error(Status::invalid_input("recipe: unknown key \"" + e.key + "\" (known: resources, tags, verify)", e.key_where));
        continue;
      }
      if (e.value.kind == Value::Kind::kNull) continue;
      if (e.value.kind != Value::Kind::kList) {
        error(Status::invalid_input("recipe: resources: expected a list", e.value.where));
        continue;
      }
      for (auto& item : e.value.list) {
        Step step;
        step.kind = Step::Kind::kResource;
        step.unit = unit.get();
        step.value = &item;
        steps->push_back(std::move(step));
      }
    }
    units->push_back(std::move(unit));
  }

  /// Compiles pass 5's steps into `graph`, in order. The resources' own work (secrets,
  /// interpolation, the type's factory, the desired digest) runs on up to `jobs_` threads (one
  /// per kMinResourcesPerThread resources: a small policy starts none); adding them to the graph
  /// runs on this thread in the steps' order as they become ready, so the graph, its ids, the
  /// errors and the log are those of a serial compile. A run whose recipes hold encrypted secrets compiles serially: decrypting
  /// one teaches the redactor a plaintext that marks later values sensitive, an order a parallel
  /// compile would not keep.
  /// Returns the number of threads used.
  size_t compile_steps(std::vector<Step>& steps, const std::vector<std::unique_ptr<RecipeUnit>>& units,
                     const Renderer& renderer, engine::Graph& graph, std::vector<Status>* errors) {
    size_t resources = 0;
    for (const auto& s : steps) resources += s.kind == Step::Kind::kResource;
    graph.reserve(graph.size() + resources);  // a composite's expansion may add more: that is rare
    size_t threads = std::min(static_cast<size_t>(std::max(jobs_, 1)),
                              std::max<size_t>(1, resources / kMinResourcesPerThread));
    if (threads > 1)
      for (const auto& u : units)
        if (has_encrypted(u->root)) threads = 1;
    if (threads <= 1) {
      for (auto& s : steps) {
        prepare(s, renderer);
        merge(s, renderer, graph, errors);
      }
      return 1;
    }
    const size_t chunks = (steps.size() + kStepsPerChunk - 1) / kStepsPerChunk;
    auto done = std::make_unique<std::atomic<bool>[]>(chunks);
    // An exception (a defect, or out of memory) is carried to this thread, as a serial compile
    // would have thrown it, instead of ending the process from a worker.
    std::vector<std::exception_ptr> thrown(chunks);
    std::atomic<size_t> next{0};
    auto prepare_chunk = [&](size_t c) {
      try {
        for (size_t i = c * kStepsPerChunk; i < std::min(steps.size(), (c + 1) * kStepsPerChunk); ++i)
          prepare(steps[i], renderer);
      } catch (...) {
        thrown[c] = std::current_exception();
      }
      done[c].store(true, std::memory_order_release);
      done[c].notify_one();
    };
    auto worker = [&] {
      for (size_t c; (c = next.fetch_add(1)) < chunks;) prepare_chunk(c);
    };
    std::vector<std::thread> pool;
    // However this thread leaves (an exception from a chunk or from merge), the workers stop
    // after their chunk and are joined.
    struct JoinAll {
      std::vector<std::thread>& pool;
      std::atomic<size_t>& next;
      size_t end;
      ~JoinAll() {
        next = end;
        for (auto& t : pool)
          if (t.joinable()) t.join();
      }
    } join_all{pool, next, chunks};
    for (size_t t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(worker);
      } catch (const std::system_error&) {
        break;  // no thread to be had: this one does the rest
      }
    }
    // This thread merges each chunk as soon as it is ready, in order, and prepares chunks itself
    // while the next one to merge is not.
    for (size_t merged = 0; merged < chunks;) {
      if (done[merged].load(std::memory_order_acquire)) {
        if (thrown[merged]) std::rethrow_exception(thrown[merged]);
        for (size_t i = merged * kStepsPerChunk; i < std::min(steps.size(), (merged + 1) * kStepsPerChunk); ++i)
          merge(steps[i], renderer, graph, errors);
        ++merged;
      } else if (size_t c = next.fetch_add(1); c < chunks) {
        prepare_chunk(c);
      } else {
        done[merged].wait(false, std::memory_order_acquire);
      }
    }
    return pool.size() + 1;  // (join_all joins them)
  }

  /// The part of a step that touches nothing shared: a resource compiled into Prepared (on any
  /// thread; what it logs is kept for merge).
  void prepare(Step& step, const Renderer& renderer) {
    if (step.kind != Step::Kind::kResource) return;
    log::Capture capture(&step.log);
    compile_resource(*step.value, *step.unit, renderer, step.unit->tags, &step.out);
  }

  /// The rest of a step, in order, on one thread: errors, verify checks, graph nodes.
  void merge(Step& step, const Renderer& renderer, engine::Graph& graph, std::vector<Status>* errors) {
    switch (step.kind) {
      case Step::Kind::kError: errors->push_back(std::move(step.error)); return;
      case Step::Kind::kLog: log::replay(step.log); return;
      case Step::Kind::kVerify: compile_verify(*step.value, *step.unit, renderer, errors); return;
      case Step::Kind::kResource: break;
    }
    log::replay(step.log);
    for (auto& p : step.out) {
      for (auto& e : p.errors) errors->push_back(std::move(e));
      if (p.kept) {
        auto& kept = (*kept_properties_)[p.id];
        kept.insert(kept.end(), p.kept->begin(), p.kept->end());
      }
      if (!p.resource) continue;
      auto node = graph.add(std::move(p.resource), p.where);
      if (!node.is_ok()) {
        errors->push_back(node.status());
        continue;
      }
      for (auto& ref : p.refs) {
        ref.from = *node;
        pending_.push_back(std::move(ref));
      }
    }
    step.out.clear();
  }

  /// A recipe's verify: list, decrypted and interpolated, into verify_.
  void compile_verify(Value& list, const RecipeUnit& unit, const Renderer& renderer, std::vector<Status>* errors) {
    secrets_.decrypt_value(list, errors);
    interpolate_scalars(list, [&](const std::string& s) { return renderer.render(s); }, errors);
    mark_sensitive(list);
    // A command check is a command line: a secret there is readable by every user (ps).
    for (const auto& check : list.list)
      if (check.kind == Value::Kind::kMap && !check.map.empty() && check.map.front().key == "command" &&
          (check.map.front().value.sensitive ||
           check.map.front().value.scalar.find("ENC[roux,") != std::string::npos))
        errors->push_back(Status::invalid_input(
            "verify: command: a secret on a command line is readable by every user of the host while it runs "
            "(ps, /proc/PID/cmdline); check with a script instead (a file resource, mode 0700, whose content "
            "may hold the secret) and name that script here",
            check.map.front().value.where));
    parse_verify_checks(list, unit.cb->ref.name, unit.recipe, &verify_, errors);
  }

  /// A secret on a command line is readable by every user of the host while the command runs
  /// (ps, /proc/PID/cmdline). So a secret (an ENC value, or text an attribute secret was
  /// interpolated into) in an exec's command, a cron command or any guard is a compile error
  /// that says how to pass it instead: through the environment (or a 0600 file, for cron, whose
  /// environment lines sit in a world-readable /etc/cron.d file and are refused too).
  static void refuse_secrets_on_command_lines(const Value& item, std::vector<Status>* errors) {
    const Value::Entry& head = item.map.front();
    // Built only for a message (this check runs for every resource).
    auto id_text = [&] {
      return head.key + "[" + (head.value.sensitive ? std::string("(sensitive)") : head.value.scalar) + "]";
    };
    auto holds_secret = [](const Value& v) {
      return v.sensitive || v.scalar.find("ENC[roux,") != std::string::npos;
    };
    auto refuse = [&](const Value& v, const std::string& key, const std::string& how) {
      std::vector<const Value*> scalars;
      if (v.kind == Value::Kind::kList)
        for (const auto& x : v.list) scalars.push_back(&x);
      else scalars.push_back(&v);
      for (const Value* x : scalars)
        if (holds_secret(*x)) {
          errors->push_back(Status::invalid_input(
              id_text() + ": " + key + ": a secret on a command line is readable by every user of the host while it runs "
                  "(ps, /proc/PID/cmdline); " + how,
              x->where));
          return;
        }
    };
    const std::string via_exec_env =
        "pass it through the environment instead: put it in the exec's environment: map (TOKEN: \"ENC[roux,...]\") and "
        "write \"$TOKEN\" in the command";
    bool is_exec = head.key == "exec";
    const Value* command = item.find("command");
    if (is_exec) refuse(command ? *command : head.value, command ? "command" : "exec (the name is the command)", via_exec_env);
    if (head.key == "cron" && command)
      refuse(*command, "command",
             "keep it in a file instead (a file resource with mode \"0600\" whose content holds the secret) and have "
             "the command read it from there (the cron line itself, environment included, is in a world-readable "
             "/etc/cron.d file)");
    if (head.key == "cron")
      if (const Value* env = item.find("environment"); env && env->kind == Value::Kind::kMap)
        for (const auto& e : env->map)
          if (holds_secret(e.value)) {
            errors->push_back(Status::invalid_input(
                id_text() + ": environment: " + e.key + ": a secret in a cron entry is readable by every user of the host "
                    "(/etc/cron.d files are mode 0644); keep it in a file instead (a file resource with mode \"0600\" "
                    "whose content holds the secret) and have the command read it from there",
                e.value.where));
            break;
          }
    for (const char* guard : {"only_if", "not_if"})
      if (const Value* g = item.find(guard))
        refuse(*g, guard,
               is_exec ? via_exec_env + " (an exec's guards run with its environment too)"
                       : "pass it through the environment instead: guard an exec that holds it in its environment: map "
                         "(TOKEN: \"ENC[roux,...]\", its guards see it as \"$TOKEN\") and make this resource depend on "
                         "or subscribe to that exec");
  }

  /// What a composite expands into: its generated declarations, compiled as if written in its place.
  struct Expansion {
    std::string id;                 // the composite's
    std::vector<std::string> tags;  // the recipe's and the composite's: every generated resource carries them
    std::vector<Value> children;
  };

  /// Compiles declaration `item` of `unit` into `out` (one Prepared; a composite's head, then its
  /// generated resources), touching nothing shared: safe on several threads at once while no
  /// secret is decrypted (compile_steps). `tags`: the recipe's (or the composite's) tags.
  /// `composite`: id of the composite that generated `item` (already decrypted and rendered), or "".
  void compile_resource(Value& item, const RecipeUnit& unit, const Renderer& renderer,
                        const std::vector<std::string>& tags, std::vector<Prepared>* out,
                        const std::string& composite = "") {
    Prepared p;
    std::optional<Expansion> expansion;
    build_resource(item, unit, renderer, tags, composite, &p, &expansion);
    out->push_back(std::move(p));
    if (expansion)
      for (auto& child : expansion->children)
        compile_resource(child, unit, renderer, expansion->tags, out, expansion->id);
  }

  void build_resource(Value& item, const RecipeUnit& unit, const Renderer& renderer,
                      const std::vector<std::string>& tags, const std::string& composite, Prepared* out,
                      std::optional<Expansion>* expansion) {
    std::vector<Status>* errors = &out->errors;
    const ResolvedCookbook& cb = *unit.cb;
    const CookbookBuild& build = *unit.build;
    if (item.kind != Value::Kind::kMap || item.map.empty()) {
      errors->push_back(Status::invalid_input("resource: expected a map such as \"- file: /etc/motd\"", item.where));
      return;
    }
    // Secrets (ENC[roux,...]) become sensitive plaintext; then attribute interpolation renders
    // every scalar that contains "{{"; a scalar that now holds a secret attribute is sensitive.
    // A secret of this resource that does not decrypt (wrong or missing key) fails this resource
    // alone at converge time, as an operator expects, instead of stopping the whole run.
    std::vector<Status> secret_errors;
    std::vector<std::string> attributes_read;
    if (composite.empty()) {
      collect_attribute_names(item, &attributes_read);
      secrets_.decrypt_value(item, &secret_errors);
      interpolate_scalars(item, [&](const std::string& s) { return renderer.render(s); }, errors);
    }
    // Also a composite's generated resources: a value it built from a secret property is secret.
    mark_sensitive(item);
    const Value::Entry& head = item.map.front();
    refuse_secrets_on_command_lines(item, errors);
    if (const engine::CompositeType* comp = registry_.find_composite(head.key); comp && composite.empty()) {
      *expansion = expand_composite(*comp, item, build, tags, errors);
      return;
    }
    const engine::ResourceType* type = registry_.find(head.key);
    if (!type) {
      errors->push_back(Status::invalid_input(
          "unknown resource type \"" + head.key + "\" (known: " + join(registry_.names(), ", ") + ")", head.key_where));
      return;
    }
    if (head.value.kind != Value::Kind::kScalar || head.value.scalar.empty()) {
      errors->push_back(Status::invalid_input(head.key + ": expected a name, such as \"- " + head.key + ": NAME\"",
                                              head.value.where));
      return;
    }
    const std::string& name = head.value.scalar;
    if (!check_name(head.key, head.value, errors)) return;
    // Messages show the name with line breaks and control characters escaped.
    std::string id = head.key + "[" + one_line(name, 200) + "]";
    // The resource's own properties: everything after the head that is not a meta-property.
    Value props_map;
    props_map.kind = Value::Kind::kMap;
    props_map.where = head.key_where;
    Value meta_map = props_map;
    meta_map.map.clear();
    for (size_t i = 1; i < item.map.size(); ++i)
      (kMetaKeys.count(item.map[i].key) ? meta_map : props_map).map.push_back(std::move(item.map[i]));
    size_t errors_before = errors->size();
    engine::Props props(props_map, id, errors);
    props.set_schema(engine::resource_schema(head.key));
    std::unique_ptr<engine::Resource> r = type->make(name, props, build);
    props.finish(head.key);
    engine::Props meta(meta_map, id, errors);
    meta.set_schema(&engine::meta_schema());
    engine::Meta m;
    m.only_if = meta.string_list("only_if").value_or(std::vector<std::string>{});
    m.not_if = meta.string_list("not_if").value_or(std::vector<std::string>{});
    m.sensitive = meta.boolean("sensitive").value_or(false);
    m.ignore_failure = meta.boolean("ignore_failure").value_or(false);
    m.retries = static_cast<int>(meta.integer("retries", 0, 100).value_or(0));
    m.retry_delay_ms = static_cast<int>(meta.integer("retry_delay", 0, 3600).value_or(1) * 1000);
    if (auto t = meta.integer("guard_timeout", 1, 86400)) m.guard_timeout = std::chrono::seconds(*t);
    m.cookbook = cb.ref.name;
    // Fact conditions are decided now: a false one makes the runner skip it with this reason.
    m.skip_reason = evaluate_fact_conditions(meta.raw("only_if_fact"), meta.raw("not_if_fact"), facts_json_, id, errors);
    m.recipe = unit.recipe;
    m.composite = composite;
    m.tags = tags;
    m.attributes = std::move(attributes_read);
    if (const Value* t = meta.raw("tags"))
      for (auto& tag : parse_tags(*t, id, errors))
        if (std::find(m.tags.begin(), m.tags.end(), tag) == m.tags.end()) m.tags.push_back(tag);
    m.desired_digest = desired_digest(head.key, name, props_map, cb.ref);
    if (kept_properties_) {
      out->id = id;
      auto& kept = out->kept.emplace();
      for (const auto& p : props_map.map) kept.emplace_back(p.key, display_value(p.value));
    }
    std::vector<PendingRef> refs;
    read_refs(meta_map, id, &refs, errors);
    for (const char* k : {"requires", "before", "notify", "subscribe"}) meta.mark_used(k);
    meta.finish(head.key);  // a meta key meta.schema.json does not declare is refused too
    if (!r || errors->size() != errors_before) return;
    bool sensitive_by_type = r->meta().sensitive;
    bool sensitive = m.sensitive || sensitive_by_type || props.saw_sensitive();
    r->meta() = std::move(m);
    r->meta().sensitive = sensitive;
    // A file that holds a secret is created 0644 unless told otherwise: readable by every user.
    // Not changed silently (a service user may need to read it); said, at the resource.
    if ((head.key == "file" || head.key == "template") && (sensitive_by_type || props.saw_sensitive()) &&
        !props.has("mode"))
      log::warn(head.key_where.to_string() + ": " + id +
                ": holds a secret but sets no mode: a new file is created 0644, readable by every user of the host; "
                "set mode: \"0600\" (or \"0640\" with the group that needs it)");
    if (!secret_errors.empty()) {
      r->meta().sensitive = true;
      r->meta().preflight_error = secret_errors.front().message();
    }
    out->resource = std::move(r);
    out->where = head.key_where;
    out->refs = std::move(refs);
  }

  /// A composite (monitoring_agent): its properties expand into ordinary resources, each compiled
  /// as if written here and recording the composite's id. Meta keys belong on the generated
  /// resources, so a composite refuses them, except tags:, which every generated resource carries.
  std::optional<Expansion> expand_composite(const engine::CompositeType& comp, Value& item,
                                           const CookbookBuild& build, const std::vector<std::string>& recipe_tags,
                                           std::vector<Status>* errors) const {
    const Value::Entry& head = item.map.front();
    if (head.value.kind != Value::Kind::kScalar || head.value.scalar.empty()) {
      errors->push_back(Status::invalid_input(head.key + ": expected a name, such as \"- " + head.key + ": NAME\"",
                                              head.value.where));
      return std::nullopt;
    }
    if (!check_name(head.key, head.value, errors)) return std::nullopt;
    std::string id = head.key + "[" + head.value.scalar + "]";
    Value props_map;
    props_map.kind = Value::Kind::kMap;
    props_map.where = head.key_where;
    std::vector<std::string> tags = recipe_tags;
    for (size_t i = 1; i < item.map.size(); ++i) {
      if (item.map[i].key == "tags") {
        for (auto& t : parse_tags(item.map[i].value, id, errors))
          if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
      } else if (kMetaKeys.count(item.map[i].key))
        errors->push_back(Status::invalid_input(id + ": " + item.map[i].key + ": a composite takes no meta-properties (" +
                                                    head.key + " expands into ordinary resources)",
                                                item.map[i].key_where));
      else props_map.map.push_back(item.map[i]);
    }
    size_t errors_before = errors->size();
    engine::Props props(props_map, id, errors);
    props.set_schema(engine::resource_schema(head.key));
    std::vector<Value> children = comp.expand(head.value.scalar, props, build, errors);
    props.finish(head.key);
    if (errors->size() != errors_before) return std::nullopt;
    return Expansion{std::move(id), std::move(tags), std::move(children)};
  }

  /// A resource's name becomes a path, an account, a package or a command: a NUL byte would cut
  /// it short there ("/etc/passwd\0.bak" -> /etc/passwd), so it is refused wherever it came from
  /// (the recipe, an interpolated attribute, a -j file).
  static bool check_name(const std::string& type, const Value& name, std::vector<Status>* errors) {
    if (name.scalar.find('\0') == std::string::npos) return true;
    errors->push_back(Status::invalid_input(
        type + "[" + one_line(name.scalar, 200) + "]: the name must not contain a NUL byte (\\0)", name.where));
    return false;
  }

  void read_refs(const Value& meta_map, const std::string& id, std::vector<PendingRef>* out,
                 std::vector<Status>* errors) {
    for (const auto& e : meta_map.map) {
      if (e.key != "requires" && e.key != "before" && e.key != "notify" && e.key != "subscribe") continue;
      std::vector<const Value*> items;
      if (e.value.kind == Value::Kind::kList) {
        for (const auto& v : e.value.list) items.push_back(&v);
      } else {
        items.push_back(&e.value);
      }
      bool is_notify = e.key == "notify" || e.key == "subscribe";
      for (const Value* v : items) {
        PendingRef ref{nullptr, "", e.key, false, "", v->where};
        if (v->kind == Value::Kind::kScalar) {
          ref.id = v->scalar;
        } else if (v->kind == Value::Kind::kMap && is_notify) {
          for (const auto& f : v->map) {
            if (f.key == "resource") ref.id = f.value.scalar;
            else if (f.key == "action") ref.action = f.value.scalar;
            else if (f.key == "timing") {
              if (f.value.scalar != "delayed" && f.value.scalar != "immediately")
                errors->push_back(Status::invalid_input(
                    id + ": " + e.key + ": timing: must be delayed or immediately, got \"" + f.value.scalar + "\"",
                    f.value.where));
              ref.immediately = f.value.scalar == "immediately";
            } else {
              errors->push_back(Status::invalid_input(
                  id + ": " + e.key + ": unknown key \"" + f.key + "\" (known: resource, action, timing)", f.key_where));
            }
          }
        } else {
          errors->push_back(Status::invalid_input(
              id + ": " + e.key + ": expected \"type[name]\"" + (is_notify ? " or {resource, action, timing}" : ""),
              v->where));
          continue;
        }
        std::string t, n;
        if (!split_ref(ref.id, &t, &n)) {
          errors->push_back(Status::invalid_input(id + ": " + e.key + ": \"" + ref.id +
                                                      "\" is not a resource reference (expected type[name])",
                                                  v->where));
          continue;
        }
        out->push_back(std::move(ref));
      }
    }
  }

  void finish_graph(engine::Graph& graph, std::vector<Status>* errors) {
    for (const auto& ref : pending_) {
      engine::Node* other = graph.find(ref.id);
      if (!other) {
        errors->push_back(Status::invalid_input(
            ref.from->resource->id() + ": " + ref.kind + ": no resource " + ref.id + " in this run", ref.where));
        continue;
      }
      if (other == ref.from) {
        // requires/before on itself is no order at all; notify/subscribe on itself would run it
        // a second time after it changed.
        errors->push_back(Status::invalid_input(
            ref.from->resource->id() + ": " + ref.kind + ": a resource cannot refer to itself", ref.where));
        continue;
      }
      if (ref.kind == "requires") graph.add_dep(ref.from, other);
      else if (ref.kind == "before") graph.add_dep(other, ref.from);
      else if (ref.kind == "notify") graph.add_notify(ref.from, {other, ref.immediately, ref.action});
      else graph.add_notify(other, {ref.from, ref.immediately, ref.action});  // subscribe
    }
    pending_.clear();
    if (!errors->empty()) return;
    graph.add_implicit_edges();
    if (Status s = graph.verify_acyclic(); !s.is_ok()) errors->push_back(s);
    else if (Status s2 = graph.verify_immediate_notifications(); !s2.is_ok()) errors->push_back(s2);
  }

  const engine::Registry& registry_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>>* kept_properties_ = nullptr;  // roux policy diff
  const facts::Facts& facts_;
  std::string policy_file_;
  ParseCache parse_cache_{"", false};
  std::unique_ptr<sources::SourceSet> sources_;  // the policy's sources (load)
  std::vector<PendingRef> pending_;
  int jobs_ = 1;  // CompileOptions::jobs
  SecretDecrypter secrets_;                                     // validate: no key, secrets stay sealed
  nlohmann::ordered_json facts_json_ = facts::to_json(facts_);  // what fact conditions read
  std::vector<engine::VerifyCheck> verify_;
};

}  // namespace

const std::set<std::string>& meta_property_names() { return kMetaKeys; }

void deep_merge(nlohmann::json& base, const nlohmann::json& over) {
  if (!base.is_object() || !over.is_object()) {
    base = over;
    return;
  }
  for (const auto& [k, v] : over.items()) {
    if (base.contains(k) && base[k].is_object() && v.is_object()) deep_merge(base[k], v);
    else base[k] = v;
  }
}

CompileResult compile_policy(const CompileOptions& options, const engine::Registry& registry,
                             const facts::Facts& facts) {
  return Compiler(registry, facts).run_policy(options);
}

LockResult lock_policy(const LockRequest& request) {
  engine::Registry registry;
  facts::Facts facts;
  return Compiler(registry, facts).lock(request);
}

LockResult fetch_locked_policy(const CompileOptions& options) {
  engine::Registry registry;
  facts::Facts facts;
  return Compiler(registry, facts).fetch(options);
}

Result<std::string> check_policy_lockfile(const std::string& policy_file) {
  engine::Registry registry;
  facts::Facts facts;
  return Compiler(registry, facts).check_lockfile(policy_file);
}

CompileResult compile_cookbook_recipe(const std::string& cookbook_dir, const std::string& recipe,
                                      const engine::Registry& registry, const facts::Facts& facts) {
  return Compiler(registry, facts).run_cookbook(cookbook_dir, recipe);
}

}  // namespace roux::compiler
