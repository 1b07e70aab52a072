#include "sources/metadata.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "sources/local_file.h"

namespace roux::sources {
namespace {

SourceLocation loc(const std::string& file, const YAML::Mark& m) {
  return {file, m.line + 1, m.column + 1};
}

}  // namespace

bool is_valid_cookbook_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

bool parse_metadata(const std::string& text, const std::string& file, Metadata* out, std::vector<Status>* errors) {
  size_t before = errors->size();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops at 2000 levels with the message "bad file": say what is wrong.
    errors->push_back(Status::invalid_input("metadata: nesting too deep (" + std::to_string(e.depth()) + " levels)",
                                            loc(file, e.mark)));
    return false;
  } catch (const YAML::Exception& e) {
    errors->push_back(Status::invalid_input(e.msg, loc(file, e.mark)));
    return false;
  }
  if (!root.IsMap()) {
    errors->push_back(Status::invalid_input("metadata: expected a map with name and version", {file, 1, 1}));
    return false;
  }
  bool has_name = false, has_version = false;
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    auto where = loc(file, v.Mark());
    if (key == "name") {
      has_name = true;
      out->name = v.IsScalar() ? v.Scalar() : "";
      if (!is_valid_cookbook_name(out->name))
        errors->push_back(Status::invalid_input(
            "metadata: name: \"" + out->name + "\" is not a valid cookbook name (a-z, 0-9, _ and -, starting with a letter)",
            where));
    } else if (key == "version") {
      has_version = true;
      auto ver = Version::parse(v.IsScalar() ? v.Scalar() : "");
      if (!ver.is_ok()) errors->push_back(Status::invalid_input("metadata: version: " + ver.status().message(), where));
      else out->version = *ver;
    } else if (key == "description" || key == "maintainer" || key == "license" || key == "source_url") {
      if (!v.IsScalar()) errors->push_back(Status::invalid_input("metadata: " + key + ": expected a string", where));
      else if (key == "description") out->description = v.Scalar();
    } else if (key == "depends") {
      if (v.IsNull()) continue;
      if (!v.IsMap()) {
        errors->push_back(Status::invalid_input("metadata: depends: expected a map of cookbook: constraint", where));
        continue;
      }
      for (const auto& dep : v) {
        std::string name = dep.first.Scalar();
        std::string c = dep.second.IsNull() ? "" : dep.second.IsScalar() ? dep.second.Scalar() : "?";
        auto parsed = Constraint::parse(c);
        if (!parsed.is_ok())
          errors->push_back(Status::invalid_input("metadata: depends: " + name + ": " + parsed.status().message(),
                                                  loc(file, dep.second.Mark())));
        out->depends[name] = c;
      }
    } else {
      errors->push_back(Status::invalid_input("metadata: unknown key \"" + key + "\"", loc(file, kv.first.Mark())));
    }
  }
  if (!has_name) errors->push_back(Status::invalid_input("metadata: missing required key \"name\"", {file, 1, 1}));
  if (!has_version) errors->push_back(Status::invalid_input("metadata: missing required key \"version\"", {file, 1, 1}));
  return errors->size() == before;
}

Result<Metadata> read_metadata(const std::string& dir) {
  std::string file = dir + "/metadata.yaml";
  auto text = read_file_beneath(dir, "metadata.yaml", size_t(1) << 20);
  if (!text.is_ok()) {
    if (text.status().code() == Code::kNotFound) return Status::not_found(file + ": no metadata.yaml (is this a cookbook?)");
    return text.status();
  }
  Metadata md;
  std::vector<Status> errors;
  if (!parse_metadata(*text, file, &md, &errors)) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e.to_string();
    return Status::invalid_input(msg);
  }
  return md;
}

}  // namespace roux::sources
