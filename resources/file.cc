#include "resources/file.h"

#include <chrono>
#include <ctime>

#include "libs/diff.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "engine/retired_secrets.h"
#include "resources/backup.h"

namespace roux::resources {
namespace {

constexpr size_t kMaxReadForDiff = size_t(64) << 20;

std::string describe_content(std::string_view data) {
  return "sha256:" + sha256_hex(data).substr(0, 12) + " (" + std::to_string(data.size()) + " bytes)";
}

/// The diff shown for a content change (libs/diff.h: any size, cut at kMaxDiffLines lines; a
/// note for binary content).
std::string content_diff(std::string_view before, std::string_view after, const std::string& path) {
  return unified_diff(before, after, path);
}

}  // namespace

std::vector<std::string> FileResource::implicit_deps() const {
  std::vector<std::string> out = engine::ancestor_dir_ids(path_);
  ownership.add_implicit_deps(out);
  return out;
}

Status FileResource::converge(engine::ConvergeContext& ctx) {
  // One open observes type, mode, owner and (when the size matches) whether the content is ours.
  bool same_content = false;
  ROUX_ASSIGN_OR_RETURN(host::FileInfo live,
                        ctx.host().lstat_compare(path_, content ? &*content : nullptr, &same_content));
  ROUX_TRY(ctx.remove_stale_temp(path_));  // a killed run's ".NAME.roux-tmp" (only after one)
  if (absent) return converge_absent(ctx, live);
  if (live.type == host::FileType::kDirectory || live.type == host::FileType::kOther)
    return Status::conflict(path_ + " is a " + host::file_type_name(live.type) + ", not a file; refusing to replace it");
  if (live.type != host::FileType::kFile) {
    // Missing, or a symbolic link: the link is replaced by the rename, never written through.
    ROUX_TRY(check_parent(ctx));
    ROUX_ASSIGN_OR_RETURN(std::optional<uid_t> uid, ownership.resolve_uid(ctx));
    ROUX_ASSIGN_OR_RETURN(std::optional<gid_t> gid, ownership.resolve_gid(ctx));
    std::string data = content.value_or("");
    uint32_t m = ownership.mode.value_or(0644);
    std::string before = live.type == host::FileType::kSymlink ? "link" : "absent";
    ROUX_TRY(ctx.change({"ensure", before, "file", content_diff("", data, path_)},
                        [&](host::Host& h) { return h.write_file(path_, data, m, uid, gid); }));
    ownership.record_creation(ctx, 0644);
    return Status::ok();
  }
  ROUX_TRY(converge_content(ctx, live, same_content));
  return ownership.converge(ctx, path_, live);
}

Status FileResource::check_parent(engine::ConvergeContext& ctx) const {
  // A file never creates its folder (declare a directory resource); checked here rather than
  // left to the write, so plan predicts the failure that converge would meet (plan == apply).
  std::string parent = host::parent_path(path_);
  ROUX_ASSIGN_OR_RETURN(host::FileInfo p, ctx.host().lstat(parent));
  if (p.type == host::FileType::kDirectory || p.type == host::FileType::kSymlink) return Status::ok();
  if (p.exists()) return Status::conflict("parent " + parent + " is a " + host::file_type_name(p.type) + ", not a folder");
  return Status::not_found("parent folder " + parent + " does not exist (declare it with a directory resource)");
}

Status FileResource::converge_absent(engine::ConvergeContext& ctx, const host::FileInfo& live) {
  if (!live.exists()) return Status::ok();
  if (live.type == host::FileType::kDirectory)
    return Status::conflict(path_ + " is a directory; a file resource will not remove it");
  return ctx.change({"ensure", host::file_type_name(live.type), "absent"}, [&](host::Host& h) {
    if (live.type == host::FileType::kFile) ROUX_TRY(backup(ctx, h));
    return h.remove(path_);
  });
}

Status FileResource::converge_content(engine::ConvergeContext& ctx, const host::FileInfo& live, bool same_content) {
  if (!content || same_content) return Status::ok();
  // The live file is read whole for the diff (the desired content is in memory already), up to a
  // bound that only a file no recipe could hold in memory reaches.
  std::string old, diff, before;
  if (live.size <= kMaxReadForDiff) {
    ROUX_ASSIGN_OR_RETURN(old, ctx.host().read_file(path_, kMaxReadForDiff));
    diff = content_diff(old, *content, path_);
    before = describe_content(old);
  } else {
    before = std::to_string(live.size) + " bytes";
    diff = "(content differs; the live file of " + before + " is not read for a diff)\n";
  }
  // Keep the live mode and owner through the rewrite; their own helpers change them if asked.
  uint32_t m = live.mode;
  return ctx.change({"content", before, describe_content(*content), diff}, [&](host::Host& h) {
    ROUX_TRY(backup(ctx, h));
    return h.write_file(path_, *content, m, live.uid, live.gid);
  });
}

Status FileResource::backup(const engine::ConvergeContext& ctx, host::Host& host) const {
  // A sensitive file's replaced content (a secret) is not kept unless `backup:` asks for it (as
  // Chef leaves backups off for sensitive files); nor is a file's that a past run recorded as
  // sensitive (STATE/sensitive-paths, engine/retired_secrets.h), read only when a backup is due.
  int keep = backups.value_or(5);
  if (!backups && ctx.is_sensitive()) keep = 0;
  if (keep <= 0) return Status::ok();
  if (!backups && engine::load_sensitive_names(host, ctx.state_dir()).count(path_)) return Status::ok();
  return backup_file(host, ctx.state_dir(), path_, keep);
}

std::unique_ptr<FileResource> make_file_base(const std::string& type, const std::string& name, engine::Props& props) {
  auto path = host::normalize_path(name);
  if (!path.is_ok()) {
    props.error(path.status().message());
    return nullptr;
  }
  if (*path == "/") {
    props.error("path must not be /");
    return nullptr;
  }
  auto r = std::make_unique<FileResource>(type, *path);
  r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
  r->ownership.read(props);
  if (auto b = props.integer("backup", 0, 1000)) r->backups = static_cast<int>(*b);
  return r;
}

engine::ResourceType file_type() {
  return {"file", "a regular file: content inline or from files/, mode, owner, group",
          [](const std::string& name, engine::Props& props, const engine::BuildContext& build)
              -> std::unique_ptr<engine::Resource> {
            auto r = make_file_base("file", name, props);
            auto content = props.text("content");
            auto source = props.string("source");
            if (content && source) props.error("source", "give content or source, not both");
            if (!r) return nullptr;
            if (content) r->content = std::move(*content);
            if (source) {
              auto data = build.cookbook_file(*source);
              if (!data.is_ok()) props.error("source", data.status().message());
              else r->content = std::move(*data);
            }
            if (props.saw_sensitive()) r->meta().sensitive = true;
            return r;
          }};
}

}  // namespace roux::resources
