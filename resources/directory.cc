// directory: a folder with mode, owner and group; missing parents are created (0755);
// `ensure: absent` removes an empty folder, or the whole tree with `recursive: true`.
#include "base/strings.h"
#include "resources/backup.h"
#include "resources/builtin.h"
#include "resources/ownership.h"

namespace roux::resources {
namespace {

class DirectoryResource : public engine::Resource {
 public:
  explicit DirectoryResource(std::string path) : Resource(path), path_(std::move(path)) {}
  std::string_view type() const override { return "directory"; }

  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out = engine::ancestor_dir_ids(path_);
    ownership.add_implicit_deps(out);
    return out;
  }

  /// Writes its path (and the tree below, when removed recursively) and every ancestor, since
  /// missing parents are created: it runs beside nothing under its top folder.
  std::optional<Keys> concurrency_keys() const override {
    Keys k{{path_}, {}};
    for (std::string p = host::parent_path(path_); p != "/"; p = host::parent_path(p)) k.writes.push_back(p);
    return k;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path_));
    if (absent) return converge_absent(ctx, live);
    if (live.type == host::FileType::kDirectory) return ownership.converge(ctx, path_, live);
    if (live.exists())
      return Status::conflict(path_ + " exists and is a " + host::file_type_name(live.type) +
                              "; refusing to replace it with a directory");
    return converge_create(ctx);
  }

  bool absent = false;
  bool recursive = false;
  Ownership ownership;

 private:
  Status converge_create(engine::ConvergeContext& ctx) {
    // Name the parents that will be created too, so the plan shows them.
    std::vector<std::string> missing;
    for (std::string p = host::parent_path(path_); p != "/"; p = host::parent_path(p)) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(p));
      if (fi.type == host::FileType::kDirectory) break;
      if (fi.exists()) return Status::conflict(p + " exists and is not a directory");
      missing.insert(missing.begin(), p);
    }
    ROUX_ASSIGN_OR_RETURN(std::optional<uid_t> uid, ownership.resolve_uid(ctx));
    ROUX_ASSIGN_OR_RETURN(std::optional<gid_t> gid, ownership.resolve_gid(ctx));
    uint32_t m = ownership.mode.value_or(0755);
    std::string after = missing.empty() ? "directory" : "directory (with parents " + join(missing, ", ") + ")";
    ROUX_TRY(ctx.change({"ensure", "absent", after}, [&](host::Host& h) {
      for (const auto& p : missing) ROUX_TRY(host::make_dirs(h, p, 0755));  // made meanwhile by another: fine
      ROUX_TRY(h.mkdir(path_, m));
      if (!uid && !gid) return Status::ok();
      // The folder is made whole or not at all: a failed chown removes the fresh, empty folder,
      // so the failure is the report and the next run creates it (and says so).
      Status owned = h.chown(path_, uid, gid);
      if (!owned.is_ok()) (void)h.remove(path_);
      return owned;
    }));
    ownership.record_creation(ctx, 0755);
    return Status::ok();
  }

  Status converge_absent(engine::ConvergeContext& ctx, const host::FileInfo& live) {
    if (!live.exists()) return Status::ok();
    if (live.type != host::FileType::kDirectory)
      return Status::conflict(path_ + " is a " + host::file_type_name(live.type) + ", not a directory");
    if (!recursive) {
      ROUX_ASSIGN_OR_RETURN(std::vector<std::string> names, ctx.host().list_dir(path_));
      if (!names.empty())
        return Status::conflict(path_ + " is not empty (" + std::to_string(names.size()) +
                                " entries); set recursive: true to remove it with its content");
    }
    return ctx.change({"ensure", "directory", "absent"},
                      [&](host::Host& h) { return recursive ? h.remove_tree(path_) : h.remove(path_); });
  }

  std::string path_;
};

}  // namespace

engine::ResourceType directory_type() {
  return {"directory", "a folder: mode, owner, group; parents created; absent with recursive",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto path = host::normalize_path(name);
            if (!path.is_ok() || *path == "/") {
              props.error(path.is_ok() ? "path must not be /" : path.status().message());
              return nullptr;
            }
            auto r = std::make_unique<DirectoryResource>(*path);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->recursive = props.boolean("recursive").value_or(false);
            r->ownership.read(props);
            return r;
          }};
}

}  // namespace roux::resources
