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
#include <map>
#include <set>

#include "base/sha256.h"
#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/ownership.h"
#include "resources/remote_file.h"
#include "sources/unpack.h"

namespace roux::resources {
namespace {

using sources::ArchiveEntry;
using Kind = ArchiveEntry::Kind;

// What one entry needs on the host.
enum class Action { kSame, kCreate, kReplace, kAttrs };

constexpr size_t kListedEntries = 100;  // entries named in a change's detail; the rest are counted

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
    Decider decider(*this, owner_ids.first, owner_ids.second);
    ROUX_TRY(sources::walk_archive(bytes, walk_options(), [&](const ArchiveEntry& e) {
      return decider.decide(host, e, !live.exists());
    }));
    if (!overwrite && !decider.conflicts.empty()) {
      std::string list;
      for (size_t i = 0; i < decider.conflicts.size() && i < 5; ++i) list += (i ? ", " : "") + decider.conflicts[i];
      if (decider.conflicts.size() > 5) list += ", ...";
      return Status::conflict(std::to_string(decider.conflicts.size()) + " " +
                              (decider.conflicts.size() == 1 ? "entry differs" : "entries differ") +
                              " from the archive on the host (" + list +
                              "); nothing was unpacked: set overwrite: true to replace them");
    }

    if (!live.exists()) {
      ROUX_TRY(check_parent(host));
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
    std::string after = "sha256:" + sha256.substr(0, 12) + " (" + decider.summary() + ")";
    return ctx.change({"unpack", before, after, decider.detail()}, [&](host::Host& h) {
      Writer writer(*this, decider, h);
      ROUX_TRY(sources::walk_archive(bytes, walk_options(), [&](const ArchiveEntry& e) { return writer.write(e); }));
      ROUX_TRY(writer.finish());
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

  std::string path_of(const std::string& rel) const { return dest == "/" ? "/" + rel : dest + "/" + rel; }

  // Decides each entry (and each folder above it that the archive does not list) against the host.
  struct Decider {
    const ArchiveResource& r;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::map<std::string, Action> actions;        // by relative path
    std::map<std::string, std::string> file_sha;  // files of the archive: their content's digest
    std::set<std::string> fresh;                  // folders created or replaced by this unpack
    std::vector<std::string> lines, conflicts;
    size_t created = 0, replaced = 0, attrs = 0, same = 0;

    Decider(const ArchiveResource& res, std::optional<uid_t> u, std::optional<gid_t> g) : r(res), uid(u), gid(g) {}

    Status decide(const host::Host& host, const ArchiveEntry& e, bool dest_new) {
      auto parts = split(e.path, '/');
      std::string prefix;
      for (size_t i = 0; i + 1 < parts.size(); ++i) {
        prefix += (prefix.empty() ? "" : "/") + parts[i];
        if (actions.count(prefix)) continue;
        ArchiveEntry dir;
        dir.kind = Kind::kDir;
        dir.path = prefix;
        dir.perm = 0755;
        ROUX_TRY(one(host, dir, dest_new, true));
      }
      return one(host, e, dest_new, false);
    }

    Status one(const host::Host& host, const ArchiveEntry& e, bool dest_new, bool implicit) {
      if (e.kind == Kind::kFile) file_sha[e.path] = sha256_hex(e.content);
      if (actions.count(e.path)) return Status::ok();  // a folder listed after its content
      Action a = Action::kCreate;
      std::string was;
      if (!dest_new && !under_fresh(e.path)) {
        const std::string path = r.path_of(e.path);
        host::FileInfo live;
        bool same_content = false;
        if (e.kind == Kind::kFile) {
          ROUX_ASSIGN_OR_RETURN(live, host.lstat_compare(path, &e.content, &same_content));
        } else {
          ROUX_ASSIGN_OR_RETURN(live, host.lstat(path));
        }
        if (live.exists()) {
          was = host::file_type_name(live.type);
          a = Action::kReplace;
          switch (e.kind) {
            case Kind::kDir:
              if (live.type == host::FileType::kDirectory) a = implicit ? Action::kSame : attrs_of(live, e.perm);
              break;
            case Kind::kFile:
              if (live.type == host::FileType::kFile && same_content) a = attrs_of(live, e.perm);
              break;
            case Kind::kHardlink:
              if (live.type == host::FileType::kFile) {
                ROUX_ASSIGN_OR_RETURN(std::string have, host.file_sha256(path));
                if (have == file_sha[e.target]) a = attrs_of(live, live.mode & 0777);
              }
              break;
            case Kind::kSymlink:
              if (live.type == host::FileType::kSymlink) {
                ROUX_ASSIGN_OR_RETURN(std::string t, host.readlink(path));
                if (t == e.target) a = Action::kSame;
              }
              break;
          }
        }
      }
      if (e.kind == Kind::kHardlink) file_sha[e.path] = file_sha[e.target];
      if (e.kind == Kind::kDir && (a == Action::kCreate || a == Action::kReplace)) fresh.insert(e.path);
      actions[e.path] = a;
      const char* kind = e.kind == Kind::kDir ? "folder" : e.kind == Kind::kSymlink ? "link" : "file";
      switch (a) {
        case Action::kSame:
          ++same;
          return Status::ok();
        case Action::kCreate:
          ++created;
          return line("+ " + e.path + " (" + kind + ")");
        case Action::kReplace:
          ++replaced;
          conflicts.push_back(r.path_of(e.path) + " (" + was + ")");
          return line("~ " + e.path + " (" + kind + ", replaces a " + was + ")");
        case Action::kAttrs:
          ++attrs;
          return line("* " + e.path + " (mode or owner)");
      }
      return Status::ok();
    }

    Action attrs_of(const host::FileInfo& live, uint32_t perm) const {
      bool differs = (live.mode & 07777) != perm || (uid && *uid != live.uid) || (gid && *gid != live.gid);
      return differs ? Action::kAttrs : Action::kSame;
    }

    bool under_fresh(const std::string& rel) const {
      for (size_t p = rel.find('/'); p != std::string::npos; p = rel.find('/', p + 1))
        if (fresh.count(rel.substr(0, p))) return true;
      return false;
    }

    Status line(std::string text) {
      if (lines.size() < kListedEntries) lines.push_back(std::move(text));
      return Status::ok();
    }

    std::string summary() const {
      return std::to_string(created) + " created, " + std::to_string(replaced) + " replaced, " + std::to_string(attrs) +
             " mode/owner, " + std::to_string(same) + " unchanged";
    }

    std::string detail() const {
      std::string out;
      for (const auto& l : lines) out += l + "\n";
      size_t listed = created + replaced + attrs;
      if (listed > lines.size()) out += "... and " + std::to_string(listed - lines.size()) + " more\n";
      return out;
    }
  };

  // Writes what the Decider decided; folders get their mode last (deepest first), so a folder
  // without write permission does not block its own content.
  struct Writer {
    const ArchiveResource& r;
    const Decider& d;
    host::Host& h;
    std::set<std::string> done;
    std::vector<std::pair<std::string, uint32_t>> dir_modes;

    Writer(const ArchiveResource& res, const Decider& dec, host::Host& host) : r(res), d(dec), h(host) {}

    Status write(const ArchiveEntry& e) {
      auto parts = split(e.path, '/');
      std::string prefix;
      for (size_t i = 0; i + 1 < parts.size(); ++i) {
        prefix += (prefix.empty() ? "" : "/") + parts[i];
        if (done.count(prefix)) continue;
        ArchiveEntry dir;
        dir.kind = Kind::kDir;
        dir.path = prefix;
        dir.perm = 0755;
        ROUX_TRY(one(dir));
      }
      return one(e);
    }

    Status one(const ArchiveEntry& e) {
      if (!done.insert(e.path).second) return Status::ok();
      auto it = d.actions.find(e.path);
      Action a = it == d.actions.end() ? Action::kCreate : it->second;
      if (a == Action::kSame) return Status::ok();
      const std::string path = r.path_of(e.path);
      if (a == Action::kReplace) {
        ROUX_ASSIGN_OR_RETURN(host::FileInfo live, h.lstat(path));
        if (live.type == host::FileType::kDirectory) ROUX_TRY(h.remove_tree(path));
        else if (live.exists()) ROUX_TRY(h.remove(path));
      }
      const bool create = a != Action::kAttrs;
      switch (e.kind) {
        case Kind::kDir:
          if (create) ROUX_TRY(h.mkdir(path, e.perm | 0700));
          ROUX_TRY(own(path));
          dir_modes.emplace_back(path, e.perm);
          return Status::ok();
        case Kind::kSymlink:
          return h.symlink(e.target, path);  // a link keeps the owner it is made with
        case Kind::kFile:
          if (create) return h.write_file(path, e.content, e.perm, d.uid, d.gid);
          ROUX_TRY(own(path));
          return h.chmod(path, e.perm);
        case Kind::kHardlink: {
          // A copy of the earlier file (already on the host: written above, or the same there).
          const std::string from = r.path_of(e.target);
          ROUX_ASSIGN_OR_RETURN(host::FileInfo src, h.lstat(from));
          if (!create) return own(path);
          ROUX_ASSIGN_OR_RETURN(std::string text, h.read_file(from, size_t(r.limits.max_bytes)));
          return h.write_file(path, text, src.mode & 0777, d.uid, d.gid);
        }
      }
      return Status::ok();
    }

    Status own(const std::string& path) { return d.uid || d.gid ? h.chown(path, d.uid, d.gid) : Status::ok(); }

    Status finish() {
      for (auto it = dir_modes.rbegin(); it != dir_modes.rend(); ++it) ROUX_TRY(h.chmod(it->first, it->second));
      return Status::ok();
    }
  };

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

  Status check_parent(const host::Host& host) const {
    std::string parent = host::parent_path(dest);
    ROUX_ASSIGN_OR_RETURN(host::FileInfo p, host.lstat(parent));
    if (p.type == host::FileType::kDirectory || p.type == host::FileType::kSymlink) return Status::ok();
    if (p.exists()) return Status::conflict("parent " + parent + " is a " + host::file_type_name(p.type) + ", not a folder");
    return Status::not_found("parent folder " + parent + " does not exist (declare it with a directory resource)");
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
