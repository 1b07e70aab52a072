// archive: a tarball (tar, tar.gz/xz/zst/bz2) or zip, from the cookbook's files/ or a URL with a
// required sha256, unpacked into a folder once. The archive is checked whole by the cookbook
// unpacker's rules (sources::walk_archive: no "..", no absolute names, no link out, nothing through
// a link, no devices, entry and size limits) before anything is written, then every entry is
// written through the host door (mkdir, write_file, symlink, chown), so a plan runs the same code
// against the planned host and lists what the converge creates.
//
// Guard: the SHA-256 of the archive last unpacked into the folder is recorded in
// STATE/archive/<sha256 of the folder's path>; while it matches and the folder exists, nothing is
// read or downloaded. `creates: PATH` skips the resource while PATH exists. A changed archive
// unpacks again: an entry that differs on the host fails the resource unless `overwrite: true`.
#include "base/sha256.h"
#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/ownership.h"
#include "resources/remote_file.h"
#include "resources/tree_layout.h"
#include "sources/unpack.h"

namespace roux::resources {
namespace {

using sources::ArchiveEntry;

class ArchiveResource : public engine::Resource {
 public:
  explicit ArchiveResource(std::string dest) : Resource(dest), dest(std::move(dest)) {}
  std::string_view type() const override { return "archive"; }
  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out = engine::ancestor_dir_ids(dest);
    ownership.add_implicit_deps(out);
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    const host::Host& host = ctx.host();
    if (!creates.empty()) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo c, host.lstat(creates));
      if (c.exists()) return Status::ok();
    }
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, host.lstat(dest));
    if (live.exists() && live.type != host::FileType::kDirectory)
      return Status::conflict(dest + " is a " + host::file_type_name(live.type) + ", not a folder; archive will not unpack into it");
    ROUX_ASSIGN_OR_RETURN(std::string recorded, read_marker(host, ctx.state_dir()));
    if (live.exists() && recorded == sha256) return ownership.converge(ctx, dest, live);

    std::string data;
    if (!url.empty()) {
      sources::FetchRequest req;
      req.url = url;
      req.max_bytes = max_download;
      req.retries = 2;
      ROUX_ASSIGN_OR_RETURN(sources::FetchResponse resp, fetch_verified(req, sha256));
      data = std::move(resp.body);
    }
    const std::string& bytes = url.empty() ? content : data;

    // Pass 1: check the whole archive and decide each entry against the host; nothing written.
    ROUX_ASSIGN_OR_RETURN(auto owner_ids, resolve_owner(ctx));
    TreeLayout layout(dest, owner_ids.first, owner_ids.second, limits.max_bytes);
    ROUX_TRY(sources::walk_archive(bytes, walk_options(), [&](const ArchiveEntry& e) {
      return layout.decide(host, e, !live.exists());
    }));
    const auto& conflicts = layout.conflicts();
    if (!overwrite && !conflicts.empty()) {
      std::string list;
      for (size_t i = 0; i < conflicts.size() && i < 5; ++i) list += (i ? ", " : "") + conflicts[i];
      if (conflicts.size() > 5) list += ", ...";
      return Status::conflict(std::to_string(conflicts.size()) + " " +
                              (conflicts.size() == 1 ? "entry differs" : "entries differ") +
                              " from the archive on the host (" + list +
                              "); nothing was unpacked: set overwrite: true to replace them");
    }

    if (!live.exists()) {
      ROUX_TRY(check_dest_parent(host, dest));
      ROUX_TRY(ctx.change({"ensure", "absent", "directory"}, [&](host::Host& h) {
        ROUX_TRY(h.mkdir(dest, ownership.mode.value_or(0755)));
        return owner_ids.first || owner_ids.second ? h.chown(dest, owner_ids.first, owner_ids.second) : Status::ok();
      }));
      ownership.record_creation(ctx, 0755);
    } else {
      ROUX_TRY(ownership.converge(ctx, dest, live));
    }

    // Pass 2 (the act): walk again and write what pass 1 decided, through the host door.
    std::string before = recorded.empty() ? "not recorded" : "sha256:" + recorded.substr(0, 12);
    std::string after = "sha256:" + sha256.substr(0, 12) + " (" + layout.summary() + ")";
    return ctx.change({"unpack", before, after, layout.detail()}, [&](host::Host& h) {
      ROUX_TRY(sources::walk_archive(bytes, walk_options(), [&](const ArchiveEntry& e) { return layout.write(h, e); }));
      ROUX_TRY(layout.finish(h));
      return write_marker(h, ctx.state_dir());
    });
  }

  std::string dest, url, content, sha256, creates;
  int strip_components = 0;
  bool overwrite = false;
  sources::UnpackLimits limits{100000, uint64_t(1) << 30};
  size_t max_download = size_t(256) << 20;
  Ownership ownership;  // mode of the folder; owner and group of the folder and every entry

 private:
  sources::WalkOptions walk_options() const {
    sources::WalkOptions o;
    o.limits = limits;
    o.any_format = true;
    o.strip_components = strip_components;
    o.what = id();
    o.inside = "the destination";
    return o;
  }

  Result<std::pair<std::optional<uid_t>, std::optional<gid_t>>> resolve_owner(engine::ConvergeContext& ctx) const {
    ROUX_ASSIGN_OR_RETURN(std::optional<uid_t> uid, ownership.resolve_uid(ctx));
    ROUX_ASSIGN_OR_RETURN(std::optional<gid_t> gid, ownership.resolve_gid(ctx));
    return std::make_pair(uid, gid);
  }

  std::string marker_path(const std::string& state_dir) const { return state_dir + "/archive/" + sha256_hex(dest); }

  // The digest of the archive last unpacked into dest, or "".
  Result<std::string> read_marker(const host::Host& host, const std::string& state_dir) const {
    std::string p = marker_path(state_dir);
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(p));
    if (fi.type != host::FileType::kFile || fi.size > 4096) return std::string();
    ROUX_ASSIGN_OR_RETURN(std::string text, host.read_file(p, 4096));
    auto lines = split_lines(text);
    if (lines.size() < 2 || lines[0] != dest) return std::string();
    return lines[1];
  }

  Status write_marker(host::Host& h, const std::string& state_dir) const {
    ROUX_TRY(host::make_dirs(h, state_dir + "/archive", 0700));
    return h.write_file(marker_path(state_dir), dest + "\n" + sha256 + "\n", 0600, std::nullopt, std::nullopt);
  }

};

bool is_url(const std::string& s) {
  return starts_with(s, "https://") || starts_with(s, "http://") || starts_with(s, "file://");
}

}  // namespace

engine::ResourceType archive_type() {
  return {"archive", "a tarball or zip (cookbook file, or URL with a sha256) unpacked safely into a folder, once",
          [](const std::string& name, engine::Props& props, const engine::BuildContext& build)
              -> std::unique_ptr<engine::Resource> {
            auto path = host::normalize_path(name);
            if (!path.is_ok() || *path == "/") {
              props.error(path.is_ok() ? "the destination must not be /" : path.status().message());
              return nullptr;
            }
            auto r = std::make_unique<ArchiveResource>(*path);
            r->ownership.read(props);
            auto source = props.string("source");
            auto checksum = props.string("checksum");
            if (auto n = props.integer("strip_components", 0, 64)) r->strip_components = int(*n);
            r->overwrite = props.boolean("overwrite").value_or(false);
            if (auto n = props.integer("max_entries", 1, 10000000)) r->limits.max_entries = size_t(*n);
            if (auto n = props.integer("max_bytes", 1, int64_t(1) << 40)) r->limits.max_bytes = uint64_t(*n);
            if (auto n = props.integer("max_download", 1, int64_t(4) << 30)) r->max_download = size_t(*n);
            if (auto c = props.string("creates")) {
              auto p = host::normalize_path(*c);
              if (!p.is_ok()) props.error("creates", p.status().message());
              else r->creates = *p;
            }
            std::string expected;
            if (checksum) {
              std::string why;
              auto hex = parse_sha256_checksum(*checksum, &why);
              if (!hex || hex->empty()) props.error("checksum", hex ? "expected sha256:HEX (none is not accepted for an archive)" : why);
              else expected = *hex;
            }
            if (!source) {
              props.error("source", "is required: a file of the cookbook's files/ folder, or an https://, http:// or file:// URL");
            } else if (is_url(*source)) {
              if (has_control_char(*source) || source->find(' ') != std::string::npos)
                props.error("source", "must not contain spaces or control characters");
              else if (!checksum)
                props.error("checksum", "is required with a URL: sha256:HEX (the archive's SHA-256)");
              r->url = *source;
              r->sha256 = expected;
            } else {
              auto data = build.cookbook_file(*source);
              if (!data.is_ok()) {
                props.error("source", data.status().message());
              } else {
                r->content = std::move(*data);
                r->sha256 = sha256_hex(r->content);
                if (!expected.empty() && expected != r->sha256)
                  props.error("checksum", "files/" + *source + " has sha256 " + r->sha256 + ", not " + expected);
              }
            }
            return r;
          }};
}

}  // namespace roux::resources
