#pragma once
#include <map>
#include <string>
#include <vector>

#include "base/semver.h"
#include "base/status.h"

namespace roux::sources {

/// A cookbook's metadata.yaml: name, version, description, and dependency constraints.
struct Metadata {
  std::string name;
  Version version;
  std::string description;
  std::map<std::string, std::string> depends;  // name -> constraint text
};

/// Parses metadata.yaml text; `file` names it in errors ("file:line:col: ..."). Every problem
/// is appended to `errors`; returns false when any was found.
bool parse_metadata(const std::string& text, const std::string& file, Metadata* out, std::vector<Status>* errors);

/// Reads DIR/metadata.yaml. One Status with every problem joined by newlines on failure.
Result<Metadata> read_metadata(const std::string& dir);

/// A cookbook name: lower-case letters, digits, '_' and '-', starting with a letter.
bool is_valid_cookbook_name(std::string_view name);

}  // namespace roux::sources
