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
#include "resources/tree_layout.h"
#include "sources/unpack.h"

namespace roux::resources {
namespace {

using sources::ArchiveEntry;

// What the marker says was laid out: the archive's digest, whether the folder was made by it, and
// each entry ('f' file with its content's digest, 'd' folder, 'l' link) by relative path.
struct Marker {
  std::string sha256;
  bool created = false, listed = false;
  std::vector<std::pair<char, std::string>> entries;
  std::map<std::string, std::string> digests;  // files: path -> sha256
};

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
    if (absent) return converge_absent(ctx);
    const host::Host& host = ctx.host();
    if (!creates.empty()) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo c, host.lstat(creates));
      if (c.exists()) return Status::ok();
    }
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, host.lstat(dest));
    if (live.exists() && live.type != host::FileType::kDirectory)
      return Status::conflict(dest + " is a " + host::file_type_name(live.type) + ", not a folder; archive will not unpack into it");
    ROUX_ASSIGN_OR_RETURN(Marker marker, read_marker(host, ctx.state_dir()));
    const std::string& recorded = marker.sha256;
    if (live.exists() && recorded == sha256) return ownership.converge(ctx, dest, live);

    ROUX_ASSIGN_OR_RETURN(std::string data, archive_bytes());
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
    // What this archive lays out is recorded, so ensure: absent removes exactly that; a folder
    // made by an earlier unpack stays this archive's.
    Marker laid;
    laid.sha256 = sha256;
    laid.created = !live.exists() || (marker.created && marker.listed);
    if (marker.listed && live.exists()) {  // what an earlier archive laid out stays recorded
      laid.entries = marker.entries;
      laid.digests = marker.digests;
    }
    return ctx.change({"unpack", before, after, layout.detail()}, [&](host::Host& h) {
      ROUX_TRY(sources::walk_archive(bytes, walk_options(), [&](const ArchiveEntry& e) {
        note_entry(e, layout.file_digests(), &laid);
        return layout.write(h, e);
      }));
      ROUX_TRY(layout.finish(h));
      return write_marker(h, ctx.state_dir(), laid);
    });
  }

  std::string dest, url, content, sha256, creates;
  int strip_components = 0;
  bool overwrite = false, absent = false;
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

  Result<std::string> archive_bytes() const {
    if (url.empty()) return std::string();
    sources::FetchRequest req;
    req.url = url;
    req.max_bytes = max_download;
    req.retries = 2;
    ROUX_ASSIGN_OR_RETURN(sources::FetchResponse resp, fetch_verified(req, sha256));
    return std::move(resp.body);
  }

  static void note_entry(const ArchiveEntry& e, const std::map<std::string, std::string>& digests, Marker* m) {
    if (e.kind == ArchiveEntry::Kind::kDir) {
      m->entries.emplace_back('d', e.path);
    } else if (e.kind == ArchiveEntry::Kind::kSymlink) {
      m->entries.emplace_back('l', e.path);
    } else {
      auto d = digests.find(e.kind == ArchiveEntry::Kind::kHardlink ? e.target : e.path);
      m->entries.emplace_back('f', e.path);
      m->digests[e.path] = d == digests.end() ? "" : d->second;
    }
    // Folders the archive implies without listing them.
    for (size_t p = e.path.find('/'); p != std::string::npos; p = e.path.find('/', p + 1))
      m->entries.emplace_back('d', e.path.substr(0, p));
  }

  // ensure: absent: removes what the recorded unpack laid out (files only while unchanged since,
  // unless overwrite: true; folders only once empty; the destination only when the archive made
  // it), then the record. Nothing recorded: nothing to do.
  Status converge_absent(engine::ConvergeContext& ctx) {
    const host::Host& host = ctx.host();
    ROUX_ASSIGN_OR_RETURN(Marker m, read_marker(host, ctx.state_dir()));
    if (m.sha256.empty()) return Status::ok();
    if (!m.listed) {
      // Recorded by a roux that kept no entry list: the archive of the recipe tells, when it is
      // the one recorded.
      if (m.sha256 != sha256 || (content.empty() && url.empty()))
        return Status::conflict("the record of " + dest + " (sha256:" + m.sha256.substr(0, 12) +
                                ") lists no entries (unpacked by an older roux); give the same source and checksum so "
                                "roux knows what it laid out, or remove the folder by other means");
      ROUX_ASSIGN_OR_RETURN(std::string data, archive_bytes());
      TreeLayout digests(dest, std::nullopt, std::nullopt, limits.max_bytes);
      ROUX_TRY(sources::walk_archive(url.empty() ? content : data, walk_options(), [&](const ArchiveEntry& e) {
        ROUX_TRY(digests.decide(host, e, true));
        note_entry(e, digests.file_digests(), &m);
        return Status::ok();
      }));
    }
    std::map<std::string, char> kinds;  // by path; deepest first when iterated in reverse
    for (const auto& [k, p] : m.entries) kinds[p] = k;
    std::vector<std::string> removed, conflicts;
    for (const auto& [rel, k] : kinds) {
      std::string path = dest + "/" + rel;
      // Never through a link: a folder of the archive replaced by a link since is not followed
      // (not even with overwrite: true).
      ROUX_ASSIGN_OR_RETURN(std::string via, non_folder_above(host, dest, rel));
      if (!via.empty()) {
        if (k != 'd') conflicts.push_back(path + " (through " + dest + "/" + via + ", not a folder; left alone)");
        continue;
      }
      ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(path));
      if (!fi.exists() || k == 'd') continue;
      if (k == 'l' ? fi.type != host::FileType::kSymlink : fi.type != host::FileType::kFile) {
        conflicts.push_back(path + " (" + host::file_type_name(fi.type) + ")");
        continue;
      }
      if (k == 'f') {
        ROUX_ASSIGN_OR_RETURN(std::string have, host.file_sha256(path));
        if (have != m.digests[rel]) conflicts.push_back(path + " (file, edited)");
      }
      removed.push_back(rel);
    }
    if (!overwrite && !conflicts.empty()) {
      std::string list;
      for (size_t i = 0; i < conflicts.size() && i < 5; ++i) list += (i ? ", " : "") + conflicts[i];
      if (conflicts.size() > 5) list += ", ...";
      return Status::conflict("entries of " + dest + " changed since the archive was unpacked (" + list +
                              "); nothing was removed: set overwrite: true to remove them too");
    }
    std::string detail;
    for (size_t i = 0; i < removed.size() && i < 100; ++i) detail += "- " + removed[i] + "\n";
    if (removed.size() > 100) detail += "... and " + std::to_string(removed.size() - 100) + " more\n";
    std::string before = "sha256:" + m.sha256.substr(0, 12);
    return ctx.change({"unpack", before, "absent (" + std::to_string(removed.size()) + " removed)", detail},
                      [&](host::Host& h) {
      for (const auto& rel : removed) ROUX_TRY(h.remove(dest + "/" + rel));
      std::vector<std::string> dirs;
      for (auto it = kinds.rbegin(); it != kinds.rend(); ++it)
        if (it->second == 'd') dirs.push_back(it->first);
      if (m.created) dirs.push_back("");
      for (const auto& rel : dirs) {  // deepest first: "a/b" sorts after "a"
        std::string path = rel.empty() ? dest : dest + "/" + rel;
        ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(path));
        if (fi.type != host::FileType::kDirectory) continue;
        ROUX_ASSIGN_OR_RETURN(std::vector<std::string> left, h.list_dir(path));
        if (left.empty()) ROUX_TRY(h.remove(path));
      }
      return h.remove(marker_path(ctx.state_dir()));
    });
  }

  // What was last unpacked into dest (an empty sha256: nothing recorded).
  Result<Marker> read_marker(const host::Host& host, const std::string& state_dir) const {
    Marker m;
    std::string p = marker_path(state_dir);
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(p));
    if (fi.type != host::FileType::kFile || fi.size > (64 << 20)) return m;
    ROUX_ASSIGN_OR_RETURN(std::string text, host.read_file(p, 64 << 20));
    auto lines = split_lines(text);
    if (lines.size() < 2 || lines[0] != dest) return m;
    m.sha256 = lines[1];
    // Only paths inside dest: an edited record naming "../../etc/x" made ensure: absent remove it.
    auto inside = [&](size_t i, const std::string& rel) { return recorded_entry_inside(p, i + 1, dest, rel); };
    for (size_t i = 2; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      if (l == "@created") m.created = true;
      else if (l == "@listed") m.listed = true;
      else if (starts_with(l, "d ") || starts_with(l, "l ")) {
        if (inside(i, l.substr(2))) m.entries.emplace_back(l[0], l.substr(2));
      } else if (starts_with(l, "f ") && l.size() > 67 && l[66] == ' ') {
        if (!inside(i, l.substr(67))) continue;
        m.entries.emplace_back('f', l.substr(67));
        m.digests[l.substr(67)] = l.substr(2, 64);
      }
    }
    return m;
  }

  Status write_marker(host::Host& h, const std::string& state_dir, const Marker& m) const {
    std::string text = dest + "\n" + sha256 + "\n@listed\n" + (m.created ? "@created\n" : "");
    std::map<std::string, char> kinds;  // the last entry of a path wins
    for (const auto& [k, p] : m.entries) kinds[p] = k;
    for (const auto& [p, k] : kinds) {
      if (k == 'f') {
        auto d = m.digests.find(p);
        std::string sha = d == m.digests.end() || d->second.size() != 64 ? std::string(64, '0') : d->second;
        text += "f " + sha + " " + p + "\n";
      } else {
        text += std::string(1, k) + " " + p + "\n";
      }
    }
    ROUX_TRY(host::make_dirs(h, state_dir + "/archive", 0700));
    return h.write_file(marker_path(state_dir), text, 0600, std::nullopt, std::nullopt);
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
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
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
            if (!source && r->absent) {
              // ensure: absent needs no source: the record lists what was laid out.
            } else if (!source) {
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
