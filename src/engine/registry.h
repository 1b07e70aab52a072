#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/resource.h"
#include "engine/value.h"

namespace roux::engine {

/// Rendered text plus whether a secret flowed into it.
struct Rendered {
  std::string text;
  bool sensitive = false;
};

/// What a resource factory may ask of the compiler, without knowing it: files and templates of
/// the cookbook that declared the resource. Implemented by the compiler.
class BuildContext {
 public:
  virtual ~BuildContext() = default;
  /// Content of cookbook file `files/<rel>`; an error names the cookbook and path.
  virtual Result<std::string> cookbook_file(const std::string& rel) const = 0;
  /// Renders `templates/<rel>` with attributes, facts and `variables` (a map Value or null).
  virtual Result<Rendered> render_template(const std::string& rel, const Value* variables) const = 0;
};

/// Builds a resource from its name and properties. Reads every property it knows through
/// `props` (errors are collected there); returns nullptr only when it cannot build at all.
using Factory = std::function<std::unique_ptr<Resource>(const std::string& name, Props& props,
                                                        const BuildContext& build)>;

/// One resource type: its YAML name, a one-line summary, and its factory.
struct ResourceType {
  std::string name;
  std::string summary;
  Factory make;
};

/// Expands a composite's name and properties into ordinary resource declarations: recipe-format
/// maps ("- file: /x" items: first key = type, value = name; then properties and meta keys such
/// as requires/notify), with source locations pointing into the composite's declaration. Reads
/// every property through `props`; every error (props' own too) lands in `errors`, at
/// file:line:col. Returns {} when it cannot expand.
using Expander = std::function<std::vector<Value>(const std::string& name, Props& props,
                                                  const BuildContext& build, std::vector<Status>* errors)>;

/// A composite type (monitoring_agent): never a node itself; the compiler adds the resources it
/// expands into to the graph, each recording the composite's id (Meta::composite).
struct CompositeType {
  std::string name;
  std::string summary;
  Expander expand;
};

/// The resource types the compiler may instantiate. Filled through an explicit list
/// (resources/builtin.cc), never by static initialisers. Not thread-safe while being filled.
class Registry {
 public:
  void add(ResourceType type) { types_[type.name] = std::move(type); }
  void add_composite(CompositeType type) { composites_[type.name] = std::move(type); }
  const ResourceType* find(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : &it->second;
  }
  const CompositeType* find_composite(const std::string& name) const {
    auto it = composites_.find(name);
    return it == composites_.end() ? nullptr : &it->second;
  }
  /// Every type name, composites included, sorted.
  std::vector<std::string> names() const {
    std::map<std::string, int> all;
    for (const auto& [k, v] : types_) all[k];
    for (const auto& [k, v] : composites_) all[k];
    std::vector<std::string> out;
    for (const auto& [k, v] : all) out.push_back(k);
    return out;
  }

 private:
  std::map<std::string, ResourceType> types_;
  std::map<std::string, CompositeType> composites_;
};

}  // namespace roux::engine
