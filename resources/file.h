#pragma once
#include <optional>
#include <string>

#include "engine/registry.h"
#include "engine/resource.h"
#include "resources/ownership.h"

namespace roux::resources {

/// A regular file: its presence, content (inline, from the cookbook's files/, or rendered from a
/// template), mode, owner and group. Written atomically; replaced content is backed up into the
/// state folder with retention. Shared by the `file` and `template` types.
class FileResource : public engine::Resource {
 public:
  FileResource(std::string type, std::string path) : Resource(path), type_(std::move(type)), path_(std::move(path)) {}

  std::string_view type() const override { return type_; }
  std::vector<std::string> implicit_deps() const override;
  Status converge(engine::ConvergeContext& ctx) override;
  /// Writes its path (a temp file beside it, renamed over it), reads its parent folder.
  std::optional<Keys> concurrency_keys() const override { return Keys{{path_}, {host::parent_path(path_)}, {}, {}}; }

  bool absent = false;
  std::optional<std::string> content;  // nullopt: content not managed
  Ownership ownership;
  /// Replaced versions kept; 0 = none. Unset: 5, or none for a sensitive file (or one that held
  /// a secret in an earlier run): its old content is not kept in clear under the state folder.
  std::optional<int> backups;

 private:
  Status converge_absent(engine::ConvergeContext& ctx, const host::FileInfo& live);
  Status converge_content(engine::ConvergeContext& ctx, const host::FileInfo& live, bool same_content);
  Status backup(const engine::ConvergeContext& ctx, host::Host& host) const;
  Status check_parent(engine::ConvergeContext& ctx) const;

  std::string type_;
  std::string path_;
};

/// Reads the properties common to file and template (ensure, mode, owner, group, backup).
/// Returns nullptr when the path is invalid.
std::unique_ptr<FileResource> make_file_base(const std::string& type, const std::string& name, engine::Props& props);



}  // namespace roux::resources
