#pragma once
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/source.h"

namespace roux::sources {

/// One constraint on one cookbook and who asked for it ("policy", "lockfile", "web 2.1.0").
struct Requirement {
  std::string name;
  std::string constraint;  // constraint text, "" = any
  std::string why;
};

/// What to resolve: the cookbooks the run list names, extra constraints, and every version every
/// source offers (in source order: for the same name and version, the first source wins).
struct ResolveRequest {
  std::vector<std::string> roots;
  std::vector<Requirement> requirements;
  std::vector<CookbookRef> universe;
  size_t max_steps = 200000;  // candidates tried before giving up ("too many combinations")
};

/// The outcome: the chosen cookbooks (in discovery order: roots first, then dependencies), or
/// why none exists. `failed_cookbook` names the cookbook the error is about ("" when chosen).
struct ResolveResult {
  std::vector<CookbookRef> chosen;
  Status status;
  std::string failed_cookbook;
  bool ok() const { return status.is_ok(); }
};

/// Chooses the newest version of every needed cookbook such that every constraint (policy,
/// requirements, each chosen version's depends) holds, backtracking to older versions when a
/// newer choice leads to a conflict. Deterministic; pure (no I/O).
/// Errors (kConflict / kNotFound / kInvalidInput), the deepest conflict found, e.g.:
///   "no version of cookbook base satisfies: web 2.1.0 needs base ~> 1.4; monitoring 1.0.0 needs
///    base < 1.3 (available: 1.2.0, 1.4.0)"
///   "cookbook nginx not found in any source (needed by web 2.1.0)"
ResolveResult resolve_versions(const ResolveRequest& request);

}  // namespace roux::sources
