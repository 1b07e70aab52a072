// link: a symbolic link `name` -> `to`. Replaces an existing link; replaces a regular file only
// with `force: true`; never replaces a directory.
#include "base/strings.h"
#include "engine/concurrency.h"
#include "resources/builtin.h"

namespace roux::resources {
namespace {

class LinkResource : public engine::Resource {
 public:
  LinkResource(std::string path, std::string to) : Resource(path), path_(std::move(path)), to_(std::move(to)) {}
  std::string_view type() const override { return "link"; }

  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out = engine::ancestor_dir_ids(path_);
    if (!to_.empty() && to_[0] == '/') {
      // The target's folder (and the target itself when roux manages it).
      for (auto& id : engine::ancestor_dir_ids(to_)) out.push_back(std::move(id));
      out.push_back("file[" + to_ + "]");
      out.push_back("template[" + to_ + "]");
      out.push_back("directory[" + to_ + "]");
    }
    return out;
  }

  /// Writes its path, reads its folder and its target.
  std::optional<Keys> concurrency_keys() const override {
    Keys k{{path_}, {host::parent_path(path_)}, {}, {}};
    if (!to_.empty() && to_[0] == '/') k.reads.push_back(to_);
    // Paths below it name entries below its target (relative targets too): the pool sees that
    // before the link exists.
    if (!absent && !to_.empty()) k.links.emplace_back(path_, engine::link_target_path(path_, to_));
    return k;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, ctx.host().lstat(path_));
    if (absent) {
      if (!live.exists()) return Status::ok();
      if (live.type != host::FileType::kSymlink)
        return Status::conflict(path_ + " is a " + host::file_type_name(live.type) + ", not a link; not removing it");
      ROUX_ASSIGN_OR_RETURN(std::string old, ctx.host().readlink(path_));
      return ctx.change({"ensure", "link to " + old, "absent"}, [&](host::Host& h) { return h.remove(path_); });
    }
    std::string before;
    switch (live.type) {
      case host::FileType::kMissing: before = "absent"; break;
      case host::FileType::kSymlink: {
        ROUX_ASSIGN_OR_RETURN(std::string old, ctx.host().readlink(path_));
        if (old == to_) return Status::ok();
        before = old;
        break;
      }
      case host::FileType::kFile:
        if (!force)
          return Status::conflict(path_ + " is a regular file; set force: true to replace it with a link");
        before = "file";
        break;
      default:
        return Status::conflict(path_ + " is a " + host::file_type_name(live.type) + "; refusing to replace it");
    }
    return ctx.change({"to", before, to_}, [&](host::Host& h) { return h.symlink(to_, path_); });
  }

  bool absent = false;
  bool force = false;

 private:
  std::string path_, to_;
};

}  // namespace

engine::ResourceType link_type() {
  return {"link", "a symbolic link to a target",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto path = host::normalize_path(name);
            bool absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            std::string to = absent ? props.string("to").value_or("") : props.required_string("to");
            bool force = props.boolean("force").value_or(false);
            if (props.has("to") && !absent && to.empty()) props.error("to", "must not be empty");
            if (has_control_char(to))
              props.error("to", "must not contain a line break or another control character");
            if (!path.is_ok() || *path == "/") {
              props.error(path.is_ok() ? "path must not be /" : path.status().message());
              return nullptr;
            }
            auto r = std::make_unique<LinkResource>(*path, to);
            r->absent = absent;
            r->force = force;
            return r;
          }};
}

}  // namespace roux::resources
