#pragma once
#include <optional>
#include <string>

#include "engine/resource.h"
#include "engine/value.h"

namespace roux::resources {

/// The mode/owner/group trio shared by file, template and directory, with one helper per
/// property. Reads are done in the resource's factory; converge_* record changes.
struct Ownership {
  std::optional<uint32_t> mode;
  std::optional<std::string> owner, group;  // names or numeric ids

  /// Reads mode, owner and group from `props`.
  void read(engine::Props& props);
  /// "user[alice]", "group[www]" for the graph's implicit edges.
  void add_implicit_deps(std::vector<std::string>& out) const;

  /// uid/gid to create a new entry with, resolved now; in plan a user that an earlier resource
  /// would create resolves to nullopt (the overlay knows it).
  Result<std::optional<uid_t>> resolve_uid(engine::ConvergeContext& ctx) const;
  Result<std::optional<gid_t>> resolve_gid(engine::ConvergeContext& ctx) const;

  /// Records mode/owner/group differences of an existing entry and applies them.
  Status converge(engine::ConvergeContext& ctx, const std::string& path, const host::FileInfo& live) const;
  /// Records mode/owner/group of an entry being created (applied by the creating act).
  void record_creation(engine::ConvergeContext& ctx, uint32_t default_mode) const;
};

}  // namespace roux::resources
