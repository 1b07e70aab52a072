// git: a folder holding the files of one commit of a repository (a deploy), at a branch, a tag or
// a commit. libgit2 writes only a private bare clone in the invoking user's cache (outside the
// managed tree); the commit's tree is then laid out through the host door like an archive
// (resources/tree_layout.h), so a plan writes nothing in the tree and lists what the converge
// writes. The folder is an export of the commit (no .git); the commit and the digest of every file
// written are recorded in STATE/git/<sha256 of the folder>, so a file edited on the host since is
// seen and the update refused unless `force: true`.
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "base/redact.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "libs/git2_api.h"
#include "resources/builtin.h"
#include "resources/git.h"
#include "resources/ownership.h"
#include "resources/shadow_tool.h"
#include "resources/tree_layout.h"
#include "sources/git_source.h"

namespace roux::resources {
namespace {

namespace fs = std::filesystem;
using sources::ArchiveEntry;

const libs::Git2& lib() { return libs::must(libs::git2()); }

// Set before the walk (set_git_transfer_settings); read by the resource, which runs alone (it
// states no concurrency keys), as the deadline's watchdog requires (sources/git_auth.h).
sources::GitTransferSettings g_transfer;

template <class T, auto Free>
using Owned = libs::Git2Owned<T, Free>;
using Repo = Owned<git_repository, &libs::Git2::git_repository_free>;
using Object = Owned<git_object, &libs::Git2::git_object_free>;
using Tree = Owned<git_tree, &libs::Git2::git_tree_free>;
using Blob = Owned<git_blob, &libs::Git2::git_blob_free>;
using TreeEntry = Owned<git_tree_entry, &libs::Git2::git_tree_entry_free>;

bool is_commit_id(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

enum class Submodules { kNone, kInit, kRecursive };
const char* submodules_name(Submodules m) {
  return m == Submodules::kInit ? "init" : m == Submodules::kRecursive ? "recursive" : "none";
}

struct Record {
  std::string commit, revision;
  Submodules submodules = Submodules::kNone;
  std::map<std::string, std::string> files;       // path -> sha256 of what was written
  std::map<std::string, std::string> submodule;  // path -> commit laid out there
};

// A submodule laid out: its path below the folder, its commit, its URL (without credentials).
struct SubmoduleAt {
  std::string path, commit, url;
};

bool is_local_url(const std::string& u) { return starts_with(u, "file://"); }

}  // namespace

std::optional<std::string> check_repository_url(const std::string& u) {
  if (!starts_with(u, "file:///") && !starts_with(u, "https://") && !starts_with(u, "http://") &&
      !starts_with(u, "ssh://") && !starts_with(u, "git://") && !sources::is_scp_like(u))
    return "expected an absolute path, a file:///, https://, http://, ssh:// or git:// URL, or USER@HOST:PATH (ssh)";
  if (has_control_char(u) || u.find(' ') != std::string::npos) return "must not contain spaces or control characters";
  return std::nullopt;
}

std::optional<std::string> resolve_relative_git_url(std::string base, std::string_view rel) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  // The part of `base` that is never cut: "scheme://host" or scp-style "user@host:".
  size_t floor = 0;
  char sep = '/';
  if (size_t p = base.find("://"); p != std::string::npos) {
    size_t slash = base.find('/', p + 3);
    floor = slash == std::string::npos ? base.size() : slash;
  } else if (sources::is_scp_like(base)) {
    floor = base.find(':') + 1;
  }
  for (;;) {
    if (starts_with(rel, "./")) {
      rel.remove_prefix(2);
    } else if (starts_with(rel, "../")) {
      rel.remove_prefix(3);
      size_t cut = base.rfind('/');
      if (cut == std::string::npos || cut < floor) {
        if (floor == 0 || base.size() <= floor) return std::nullopt;
        base.resize(floor);  // scp-style "host:repo.git" -> "host:"
        sep = '\0';
        continue;
      }
      base.resize(cut);
    } else {
      break;
    }
    while (starts_with(rel, "/")) rel.remove_prefix(1);
  }
  if (rel.empty() || rel == "." || rel == ".." || std::string("/" + std::string(rel) + "/").find("/../") != std::string::npos)
    return std::nullopt;
  if (sep == '\0' || base.back() == ':') return base + std::string(rel);
  return base + "/" + std::string(rel);
}

namespace {

class GitResource : public engine::Resource {
 public:
  explicit GitResource(std::string dest) : Resource(dest), dest(std::move(dest)) {}
  std::string_view type() const override { return "git"; }
  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out = engine::ancestor_dir_ids(dest);
    ownership.add_implicit_deps(out);
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    const host::Host& host = ctx.host();
    ROUX_ASSIGN_OR_RETURN(host::FileInfo live, host.lstat(dest));
    if (live.exists() && live.type != host::FileType::kDirectory)
      return Status::conflict(dest + " is a " + host::file_type_name(live.type) + ", not a folder; git will not check out into it");
    ROUX_TRY(update_clone(url, true));
    Repo repo;
    if (int rc = lib().git_repository_open_bare(&repo.p, clone_dir(shown_url).c_str()); rc != 0)
      return git_error("open the clone", rc);
    ROUX_ASSIGN_OR_RETURN(std::string commit, resolve(repo.p));
    ROUX_ASSIGN_OR_RETURN(Record rec, read_record(host, ctx.state_dir()));
    // The commit names its submodules' commits (and URLs): the same commit, laid out the same way,
    // is the same tree.
    if (live.exists() && rec.commit == commit && rec.submodules == submodules) return ownership.converge(ctx, dest, live);

    std::vector<ArchiveEntry> entries;
    std::vector<SubmoduleAt> subs;
    uint64_t bytes = 0;
    ROUX_TRY(collect(repo.p, commit, "", url, 0, &entries, &subs, &bytes));
    std::string sub_lines;
    for (const auto& sm : subs) {
      auto old = rec.submodule.find(sm.path);
      bool moved = old != rec.submodule.end() && old->second != sm.commit;
      sub_lines += "submodule " + sm.path + ": " + (moved ? old->second.substr(0, 7) + " -> " : "") +
                   sm.commit + " (" + sm.url + ")\n";
    }
    ROUX_ASSIGN_OR_RETURN(std::optional<uid_t> uid, ownership.resolve_uid(ctx));
    ROUX_ASSIGN_OR_RETURN(std::optional<gid_t> gid, ownership.resolve_gid(ctx));
    TreeLayout layout(dest, uid, gid, max_bytes);
    layout.set_known(rec.files);
    for (const auto& e : entries) ROUX_TRY(layout.decide(host, e, !live.exists()));
    // Files of the previous commit that this one dropped: removed, unless edited on the host.
    std::vector<std::string> dropped, conflicts = layout.conflicts();
    if (live.exists()) {
      for (const auto& [path, sha] : rec.files) {
        if (layout.file_digests().count(path)) continue;
        // Never removed through a folder since replaced by a link (not even with force: true).
        ROUX_ASSIGN_OR_RETURN(std::string via, non_folder_above(host, dest, path));
        if (!via.empty()) {
          conflicts.push_back(layout.path_of(path) + " (through " + layout.path_of(via) + ", not a folder)");
          continue;
        }
        ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(layout.path_of(path)));
        if (!fi.exists()) continue;
        std::string have;
        if (fi.type == host::FileType::kFile) {
          ROUX_ASSIGN_OR_RETURN(have, host.file_sha256(layout.path_of(path)));
        }
        if (have != sha) conflicts.push_back(layout.path_of(path) + " (" + host::file_type_name(fi.type) + ", edited)");
        dropped.push_back(path);
        layout.note("- " + path + " (removed)");
      }
    }
    if (!force && !conflicts.empty()) {
      std::string list;
      for (size_t i = 0; i < conflicts.size() && i < 5; ++i) list += (i ? ", " : "") + conflicts[i];
      if (conflicts.size() > 5) list += ", ...";
      return Status::conflict("local modifications in " + dest + " (" + list + "); nothing was checked out: " +
                              "undo them, or set force: true to discard them");
    }
    if (!live.exists()) {
      ROUX_TRY(check_dest_parent(host, dest));
      ROUX_TRY(ctx.change({"ensure", "absent", "directory"}, [&](host::Host& h) {
        ROUX_TRY(h.mkdir(dest, ownership.mode.value_or(0755)));
        return uid || gid ? h.chown(dest, uid, gid) : Status::ok();
      }));
      ownership.record_creation(ctx, 0755);
    } else {
      ROUX_TRY(ownership.converge(ctx, dest, live));
    }
    std::string before = rec.commit.empty() ? "not recorded" : rec.commit.substr(0, 7) + " (" + rec.revision + ")";
    std::string after = commit.substr(0, 7) + " (" + revision + ")";
    return ctx.change({"revision", before, after, layout.summary() + "\n" + sub_lines + layout.detail()}, [&](host::Host& h) {
      for (const auto& e : entries) ROUX_TRY(layout.write(h, e));
      for (const auto& path : dropped) {
        ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(layout.path_of(path)));
        if (fi.type == host::FileType::kDirectory) ROUX_TRY(h.remove_tree(layout.path_of(path)));
        else if (fi.exists()) ROUX_TRY(h.remove(layout.path_of(path)));
      }
      ROUX_TRY(layout.finish(h));
      return write_record(h, ctx.state_dir(), commit, layout.file_digests(), subs);
    });
  }

  std::string dest, url, shown_url, revision = "HEAD";
  Submodules submodules = Submodules::kNone;
  bool force = false;
  uint64_t max_bytes = uint64_t(1) << 30;
  Ownership ownership;  // user/group of the folder and every entry; mode of the folder

 private:
  Status git_error(const std::string& what, int rc) const {
    const ::git_error* e = lib().git_error_last();
    std::string msg = e && e->message ? e->message : "libgit2 error " + std::to_string(rc);
    // A message may quote the URL: never with its credentials.
    for (size_t p; !url.empty() && (p = msg.find(url)) != std::string::npos;) msg.replace(p, url.size(), shown_url);
    return Status::io_msg(shown_url + ": " + what + ": " + msg);
  }

  static std::string clone_dir(const std::string& shown) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    std::string base = xdg && *xdg ? xdg : home && *home ? std::string(home) + "/.cache" : "/var/cache";
    return base + "/roux/git/" + sha256_hex(shown).substr(0, 24) + ".git";
  }

  // Fetches every branch and tag of `remote` (and its HEAD, for revision HEAD of the resource's
  // own repository) into its private bare clone.
  Status update_clone(const std::string& remote, bool top) const {
    std::error_code ec;
    std::string shown = redact::strip_url_credentials(remote);
    std::string dir = clone_dir(shown);
    fs::create_directories(fs::path(dir).parent_path(), ec);
    if (ec) return Status::io("mkdir " + fs::path(dir).parent_path().string(), ec.value());
    Repo repo;
    if (!fs::exists(dir + "/HEAD", ec)) {
      if (int rc = lib().git_repository_init(&repo.p, dir.c_str(), 1); rc != 0) return git_error("git init " + dir, rc);
    } else if (int rc = lib().git_repository_open_bare(&repo.p, dir.c_str()); rc != 0) {
      return git_error("open " + dir, rc);
    }
    std::vector<std::string> specs = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
    // HEAD only when asked for: a remote whose HEAD names no branch would fail the fetch.
    if (top && revision == "HEAD") specs.push_back("+HEAD:refs/roux/HEAD");
    // Credentials, host key and TLS checks, the deadline: as git sources (client.yaml git:).
    if (Status s = sources::guarded_fetch(repo.p, remote, specs, g_transfer); !s.is_ok())
      return s.with_context(shown + ": fetch");
    return Status::ok();
  }

  Result<std::string> resolve(git_repository* repo) const {
    std::vector<std::string> names;
    if (revision == "HEAD") names = {"refs/roux/HEAD"};
    else if (is_commit_id(revision)) names = {revision};
    else names = {"refs/heads/" + revision, "refs/tags/" + revision};
    for (const auto& n : names) {
      Object obj, peeled;
      if (lib().git_revparse_single(&obj.p, repo, n.c_str()) != 0) continue;
      if (lib().git_object_peel(&peeled.p, obj.p, GIT_OBJECT_COMMIT) != 0) continue;
      char hex[GIT_OID_HEXSZ + 1];
      lib().git_oid_tostr(hex, sizeof hex, lib().git_object_id(peeled.p));
      return std::string(hex);
    }
    return Status::not_found(shown_url + ": no branch, tag or commit \"" + revision + "\"" +
                             (is_commit_id(revision) ? " (a commit must be reachable from a branch or a tag)" : ""));
  }

  // The commit's tree as entries, folders before their content, each below `prefix`; with
  // submodules, each submodule's commit at its path (`depth` 0 = the resource's repository,
  // whose URL is `base_url`).
  Status collect(git_repository* repo, const std::string& commit, const std::string& prefix, const std::string& base_url,
                 int depth, std::vector<ArchiveEntry>* out, std::vector<SubmoduleAt>* subs, uint64_t* bytes) const {
    Object obj, tree;
    if (int rc = lib().git_revparse_single(&obj.p, repo, commit.c_str()); rc != 0) return git_error("commit " + commit, rc);
    if (int rc = lib().git_object_peel(&tree.p, obj.p, GIT_OBJECT_TREE); rc != 0) return git_error("tree of " + commit, rc);
    std::vector<std::pair<std::string, std::string>> links;  // gitlinks: path (below prefix) -> commit
    size_t first = out->size();
    ROUX_TRY(walk(repo, reinterpret_cast<git_tree*>(tree.p), prefix, out, bytes, &links, ""));
    if (links.empty() || submodules == Submodules::kNone || (submodules == Submodules::kInit && depth > 0)) return Status::ok();
    if (depth >= 8) return Status::invalid_input(shown_url + ": submodules nested deeper than 8 levels at " + prefix);
    std::string where = prefix.empty() ? "" : " of the submodule at " + prefix.substr(0, prefix.size() - 1);
    ROUX_ASSIGN_OR_RETURN(auto modules, read_gitmodules(repo, reinterpret_cast<git_tree*>(tree.p), where));
    for (const auto& [name, m] : modules) {
      // Every path .gitmodules names is checked, used or not: no "..", not absolute, nothing
      // through a link of the tree.
      const std::string& path = m.first;
      if (path.empty() || path[0] == '/' || path[0] == '-' || has_control_char(path) ||
          ("/" + path + "/").find("/../") != std::string::npos || ("/" + path + "/").find("/./") != std::string::npos)
        return Status::untrusted(shown_url + ": .gitmodules" + where + " gives submodule \"" + name + "\" the path \"" +
                                 path + "\", which is not a path inside the folder; nothing was checked out");
      for (size_t i = first; i < out->size(); ++i) {
        const ArchiveEntry& e = (*out)[i];
        if (e.kind == ArchiveEntry::Kind::kSymlink && starts_with(prefix + path + "/", e.path + "/"))
          return Status::untrusted(shown_url + ": .gitmodules" + where + " gives submodule \"" + name + "\" the path \"" +
                                   path + "\", through the link " + e.path + "; nothing was checked out");
      }
    }
    for (const auto& [path, sub_commit] : links) {
      const std::pair<std::string, std::string>* m = nullptr;
      std::string name;
      for (const auto& [n, v] : modules)
        if (v.first == path) m = &v, name = n;
      if (!m) return Status::invalid_input(shown_url + ": the submodule at " + prefix + path + " has no entry in .gitmodules" + where);
      ROUX_ASSIGN_OR_RETURN(std::string sub_url, submodule_url(base_url, m->second, name, where));
      ROUX_TRY(update_clone(sub_url, false));
      std::string shown = redact::strip_url_credentials(sub_url);
      Repo sub;
      if (int rc = lib().git_repository_open_bare(&sub.p, clone_dir(shown).c_str()); rc != 0) return git_error("open the clone of " + shown, rc);
      Object c;
      if (lib().git_revparse_single(&c.p, sub.p, sub_commit.c_str()) != 0)
        return Status::not_found(shown_url + ": the submodule at " + prefix + path + " is at commit " + sub_commit +
                                 ", which " + shown + " has on no branch or tag");
      subs->push_back({prefix + path, sub_commit, shown});
      ROUX_TRY(collect(sub.p, sub_commit, prefix + path + "/", sub_url, depth + 1, out, subs, bytes));
    }
    return Status::ok();
  }

  // submodule NAME -> (path, url) of the tree's .gitmodules, read by libgit2's config parser.
  Result<std::map<std::string, std::pair<std::string, std::string>>> read_gitmodules(git_repository* repo, git_tree* tree,
                                                                                      const std::string& where) const {
    std::map<std::string, std::pair<std::string, std::string>> out;
    TreeEntry te;
    if (lib().git_tree_entry_bypath(&te.p, tree, ".gitmodules") != 0) return out;
    Blob b;
    if (int rc = lib().git_blob_lookup(&b.p, repo, lib().git_tree_entry_id(te.p)); rc != 0) return git_error(".gitmodules", rc);
    std::string text(static_cast<const char*>(lib().git_blob_rawcontent(b.p)), size_t(lib().git_blob_rawsize(b.p)));
    // An include ([include], [includeIf ...]) would make libgit2 read a file of this host: git
    // ignores them in .gitmodules, roux refuses them.
    for (const auto& line : split_lines(text)) {
      size_t i = line.find_first_not_of(" \t");
      if (i == std::string::npos || line[i] != '[') continue;
      i = line.find_first_not_of(" \t", i + 1);
      std::string section = i == std::string::npos ? "" : line.substr(i, 7);
      for (char& ch : section) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      if (section == "include")
        return Status::untrusted(shown_url + ": .gitmodules" + where + " has an include section; nothing was checked out");
    }
    std::string tmp = fs::path(clone_dir(shown_url)).parent_path().string() + "/.gitmodules.XXXXXX";
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) return Status::io("mkstemp " + tmp, errno);
    bool wrote = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    struct Config {
      git_config* p = nullptr;
      ~Config() { if (p) lib().git_config_free(p); }
    } cfg;
    int rc = wrote ? lib().git_config_open_ondisk(&cfg.p, tmp.c_str()) : -1;
    std::map<std::string, std::string> values;
    if (rc == 0)
      rc = lib().git_config_foreach_match(cfg.p, "^submodule\\..*\\.(path|url)$", [](const git_config_entry* e, void* payload) {
        (*static_cast<std::map<std::string, std::string>*>(payload))[e->name] = e->value ? e->value : "";
        return 0;
      }, &values);
    ::unlink(tmp.c_str());
    if (rc != 0) return wrote ? git_error(".gitmodules" + where, rc) : Status::io("write " + tmp, EIO);
    for (const auto& [key, value] : values) {
      size_t dot = key.rfind('.');
      std::string name = key.substr(10, dot - 10);
      (key.substr(dot + 1) == "path" ? out[name].first : out[name].second) = value;
    }
    return out;
  }

  // The URL of submodule `name`: absolute (by the `repository` property's rules), or "./" or
  // "../" relative to its superproject's URL. A local one only below a local superproject.
  Result<std::string> submodule_url(const std::string& base, const std::string& u, const std::string& name,
                                    const std::string& where) const {
    auto bad = [&](const std::string& why) {
      return Status::untrusted(shown_url + ": .gitmodules" + where + ": submodule \"" + name + "\": url " +
                               redact::strip_url_credentials(u) + ": " + why + "; nothing was checked out");
    };
    std::string full = u;
    if (starts_with(u, "./") || starts_with(u, "../")) {
      auto r = resolve_relative_git_url(base, u);
      if (!r) return bad("goes above the superproject's URL " + redact::strip_url_credentials(base));
      full = *r;
    } else if (!u.empty() && u[0] == '/') {
      full = "file://" + u;
    }
    if (auto why = check_repository_url(full)) return bad(*why);
    if (is_local_url(full) && !is_local_url(base)) return bad("a local repository, from a remote superproject");
    if (std::string pw = redact::url_password(full); !pw.empty()) redact::add_secret(pw);
    return full;
  }

  Status walk(git_repository* repo, git_tree* tree, const std::string& prefix, std::vector<ArchiveEntry>* out,
              uint64_t* bytes, std::vector<std::pair<std::string, std::string>>* links, const std::string& rel_prefix) const {
    size_t n = lib().git_tree_entrycount(tree);
    for (size_t i = 0; i < n; ++i) {
      const git_tree_entry* te = lib().git_tree_entry_byindex(tree, i);
      std::string name = lib().git_tree_entry_name(te);
      if (name.empty() || name == "." || name == ".." || name == ".git" || name.find('/') != std::string::npos ||
          has_control_char(name))
        return Status::untrusted(shown_url + ": tree entry \"" + prefix + name + "\" is not a safe name; nothing was checked out");
      ArchiveEntry e;
      e.path = prefix + name;
      e.name = e.path;
      git_filemode_t mode = lib().git_tree_entry_filemode(te);
      if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
        // A submodule (COMMIT) is a folder: empty, as `git clone` without --recurse-submodules,
        // unless `submodules:` lays out its commit there.
        e.kind = ArchiveEntry::Kind::kDir;
        e.perm = 0755;
        out->push_back(e);
        std::string rel = rel_prefix + name;  // below the repository's own root
        if (mode == GIT_FILEMODE_COMMIT) {
          char hex[GIT_OID_HEXSZ + 1];
          lib().git_oid_tostr(hex, sizeof hex, lib().git_tree_entry_id(te));
          links->emplace_back(rel, hex);
          continue;
        }
        Tree sub;
        if (int rc = lib().git_tree_lookup(&sub.p, repo, lib().git_tree_entry_id(te)); rc != 0) return git_error(e.path, rc);
        ROUX_TRY(walk(repo, sub.p, e.path + "/", out, bytes, links, rel + "/"));
        continue;
      }
      Blob b;
      if (int rc = lib().git_blob_lookup(&b.p, repo, lib().git_tree_entry_id(te)); rc != 0) return git_error(e.path, rc);
      std::string data(static_cast<const char*>(lib().git_blob_rawcontent(b.p)), size_t(lib().git_blob_rawsize(b.p)));
      *bytes += data.size();
      if (*bytes > max_bytes)
        return Status::invalid_input(shown_url + ": the commit's files exceed max_bytes (" + std::to_string(max_bytes) + ")");
      if (mode == GIT_FILEMODE_LINK) {
        e.kind = ArchiveEntry::Kind::kSymlink;
        e.target = std::move(data);
      } else {
        e.kind = ArchiveEntry::Kind::kFile;
        e.perm = mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
        e.content = std::move(data);
      }
      out->push_back(std::move(e));
    }
    return Status::ok();
  }

  std::string record_path(const std::string& state_dir) const { return state_dir + "/git/" + sha256_hex(dest); }

  Result<Record> read_record(const host::Host& host, const std::string& state_dir) const {
    Record r;
    std::string p = record_path(state_dir);
    ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(p));
    if (fi.type != host::FileType::kFile) return r;
    ROUX_ASSIGN_OR_RETURN(std::string text, host.read_file(p, 64 << 20));
    auto lines = split_lines(text);
    if (lines.size() < 3 || lines[0] != dest) return r;
    r.commit = lines[1];
    r.revision = lines[2];
    for (size_t i = 3; i < lines.size(); ++i) {
      const std::string& l = lines[i];
      // Only paths inside dest: an edited record naming "../../etc/x" made an update remove it.
      if (l.size() > 65 && l[64] == ' ') {
        if (recorded_entry_inside(p, i + 1, dest, l.substr(65))) r.files[l.substr(65)] = l.substr(0, 64);
      }
      else if (l == "@submodules init") r.submodules = Submodules::kInit;
      else if (l == "@submodules recursive") r.submodules = Submodules::kRecursive;
      else if (starts_with(l, "@submodule ") && l.size() > 52 && l[51] == ' ') r.submodule[l.substr(52)] = l.substr(11, 40);
    }
    return r;
  }

  Status write_record(host::Host& h, const std::string& state_dir, const std::string& commit,
                      const std::map<std::string, std::string>& files, const std::vector<SubmoduleAt>& subs) const {
    std::string text = dest + "\n" + commit + "\n" + revision + "\n";
    if (submodules != Submodules::kNone) text += std::string("@submodules ") + submodules_name(submodules) + "\n";
    for (const auto& sm : subs) text += "@submodule " + sm.commit + " " + sm.path + "\n";
    for (const auto& [path, sha] : files) text += sha + " " + path + "\n";
    ROUX_TRY(host::make_dirs(h, state_dir + "/git", 0700));
    return h.write_file(record_path(state_dir), text, 0600, std::nullopt, std::nullopt);
  }

};

}  // namespace

void set_git_transfer_settings(sources::GitTransferSettings settings) { g_transfer = std::move(settings); }

engine::ResourceType git_type() {
  return {"git", "the files of one commit (branch, tag or commit) of a git repository in a folder",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&) -> std::unique_ptr<engine::Resource> {
            auto path = host::normalize_path(name);
            if (!path.is_ok() || *path == "/") {
              props.error(path.is_ok() ? "the destination must not be /" : path.status().message());
              return nullptr;
            }
            auto r = std::make_unique<GitResource>(*path);
            if (auto repo = props.string("repository")) {
              std::string u = *repo;
              if (!u.empty() && u[0] == '/') u = "file://" + u;
              if (auto why = check_repository_url(u)) props.error("repository", *why);
              r->url = u;
              r->shown_url = redact::strip_url_credentials(u);
              // The password of https://user:password@host/ is masked wherever it could surface.
              if (std::string pw = redact::url_password(u); !pw.empty()) redact::add_secret(pw);
            } else {
              props.error("repository", "is required: an absolute path, a file:///, https://, http://, ssh:// or git:// URL, "
                                        "or USER@HOST:PATH (ssh)");
            }
            if (auto rev = props.string("revision")) {
              if (rev->empty() || has_control_char(*rev) || rev->find("..") != std::string::npos || (*rev)[0] == '-')
                props.error("revision", "expected a branch, a tag or a 40-digit commit id");
              else r->revision = *rev;
            }
            r->force = props.boolean("force").value_or(false);
            if (auto n = props.integer("max_bytes", 1, int64_t(1) << 40)) r->max_bytes = uint64_t(*n);
            r->ownership.mode = props.mode("mode");
            r->ownership.owner = props.string("user");
            r->ownership.group = props.string("group");
            if (r->ownership.owner)
              if (auto why = check_account_ref(*r->ownership.owner, "uid")) props.error("user", *why);
            if (r->ownership.group)
              if (auto why = check_account_ref(*r->ownership.group, "gid")) props.error("group", *why);
            // Refused whatever its value (the schema says so too); read raw so the message is this
            // one, not a type error.
            if (props.raw("depth")) {
              props.error("depth", "is not supported: libgit2 1.5 cannot fetch a shallow history (the whole history "
                                   "is fetched into roux's cache; the folder gets only the commit's files)");
            }
            if (auto sm = props.one_of("submodules", {"none", "init", "recursive"}))
              r->submodules = *sm == "init" ? Submodules::kInit : *sm == "recursive" ? Submodules::kRecursive : Submodules::kNone;
            return r;
          }};
}

}  // namespace roux::resources
