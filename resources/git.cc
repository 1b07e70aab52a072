// git: a folder holding the files of one commit of a repository (a deploy), at a branch, a tag or
// a commit. libgit2 writes only a private bare clone in the invoking user's cache (outside the
// managed tree); the commit's tree is then laid out through the host door like an archive
// (resources/tree_layout.h), so a plan writes nothing in the tree and lists what the converge
// writes. The folder is an export of the commit (no .git); the commit and the digest of every file
// written are recorded in STATE/git/<sha256 of the folder>, so a file edited on the host since is
// seen and the update refused unless `force: true`.
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

bool is_commit_id(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

struct Record {
  std::string commit, revision;
  std::map<std::string, std::string> files;  // path -> sha256 of what was written
};

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
    ROUX_TRY(update_clone());
    Repo repo;
    if (int rc = lib().git_repository_open_bare(&repo.p, clone_dir().c_str()); rc != 0) return git_error("open the clone", rc);
    ROUX_ASSIGN_OR_RETURN(std::string commit, resolve(repo.p));
    ROUX_ASSIGN_OR_RETURN(Record rec, read_record(host, ctx.state_dir()));
    if (live.exists() && rec.commit == commit) return ownership.converge(ctx, dest, live);

    std::vector<ArchiveEntry> entries;
    ROUX_TRY(collect(repo.p, commit, &entries));
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
    return ctx.change({"revision", before, after, layout.summary() + "\n" + layout.detail()}, [&](host::Host& h) {
      for (const auto& e : entries) ROUX_TRY(layout.write(h, e));
      for (const auto& path : dropped) {
        ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, h.lstat(layout.path_of(path)));
        if (fi.type == host::FileType::kDirectory) ROUX_TRY(h.remove_tree(layout.path_of(path)));
        else if (fi.exists()) ROUX_TRY(h.remove(layout.path_of(path)));
      }
      ROUX_TRY(layout.finish(h));
      return write_record(h, ctx.state_dir(), commit, layout.file_digests());
    });
  }

  std::string dest, url, shown_url, revision = "HEAD";
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

  std::string clone_dir() const {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    std::string base = xdg && *xdg ? xdg : home && *home ? std::string(home) + "/.cache" : "/var/cache";
    return base + "/roux/git/" + sha256_hex(shown_url).substr(0, 24) + ".git";
  }

  // Fetches every branch and tag (and HEAD, for revision HEAD) into the private bare clone.
  Status update_clone() const {
    std::error_code ec;
    std::string dir = clone_dir();
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
    if (revision == "HEAD") specs.push_back("+HEAD:refs/roux/HEAD");
    // Credentials, host key and TLS checks, the deadline: as git sources (client.yaml git:).
    if (Status s = sources::guarded_fetch(repo.p, url, specs, g_transfer); !s.is_ok())
      return s.with_context(shown_url + ": fetch");
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

  // The commit's tree as entries, folders before their content.
  Status collect(git_repository* repo, const std::string& commit, std::vector<ArchiveEntry>* out) const {
    Object obj, tree;
    if (int rc = lib().git_revparse_single(&obj.p, repo, commit.c_str()); rc != 0) return git_error("commit " + commit, rc);
    if (int rc = lib().git_object_peel(&tree.p, obj.p, GIT_OBJECT_TREE); rc != 0) return git_error("tree of " + commit, rc);
    uint64_t bytes = 0;
    return walk(repo, reinterpret_cast<git_tree*>(tree.p), "", out, &bytes);
  }

  Status walk(git_repository* repo, git_tree* tree, const std::string& prefix, std::vector<ArchiveEntry>* out,
              uint64_t* bytes) const {
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
        // A submodule (COMMIT) is an empty folder, as `git clone` without --recurse-submodules.
        e.kind = ArchiveEntry::Kind::kDir;
        e.perm = 0755;
        out->push_back(e);
        if (mode == GIT_FILEMODE_COMMIT) continue;
        Tree sub;
        if (int rc = lib().git_tree_lookup(&sub.p, repo, lib().git_tree_entry_id(te)); rc != 0) return git_error(e.path, rc);
        ROUX_TRY(walk(repo, sub.p, e.path + "/", out, bytes));
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
    for (size_t i = 3; i < lines.size(); ++i)
      if (lines[i].size() > 65 && lines[i][64] == ' ') r.files[lines[i].substr(65)] = lines[i].substr(0, 64);
    return r;
  }

  Status write_record(host::Host& h, const std::string& state_dir, const std::string& commit,
                      const std::map<std::string, std::string>& files) const {
    std::string text = dest + "\n" + commit + "\n" + revision + "\n";
    for (const auto& [path, sha] : files) text += sha + " " + path + "\n";
    ROUX_TRY(host::make_dirs(h, state_dir + "/git", 0700));
    return h.write_file(record_path(state_dir), text, 0600, std::nullopt, std::nullopt);
  }

};

constexpr std::string_view kUrlRule =
    "expected an absolute path, a file:///, https://, http://, ssh:// or git:// URL, or USER@HOST:PATH (ssh)";

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
              if (!starts_with(u, "file:///") && !starts_with(u, "https://") && !starts_with(u, "http://") &&
                  !starts_with(u, "ssh://") && !starts_with(u, "git://") && !sources::is_scp_like(u))
                props.error("repository", kUrlRule);
              else if (has_control_char(u) || u.find(' ') != std::string::npos)
                props.error("repository", "must not contain spaces or control characters");
              r->url = u;
              r->shown_url = redact::strip_url_credentials(u);
              // The password of https://user:password@host/ is masked wherever it could surface.
              if (std::string pw = redact::url_password(u); !pw.empty()) redact::add_secret(pw);
            } else {
              props.error("repository", std::string("is required: ") + kUrlRule.substr(9));
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
            // Refused whatever their value (the schema says so too: depth is never valid,
            // submodules only "none"); read raw so the message is this one, not a type error.
            if (props.raw("depth")) {
              props.error("depth", "is not supported: libgit2 1.5 cannot fetch a shallow history (the whole history "
                                   "is fetched into roux's cache; the folder gets only the commit's files)");
            }
            if (const engine::Value* sm = props.raw("submodules");
                sm && !(sm->kind == engine::Value::Kind::kScalar && sm->scalar == "none"))
              props.error("submodules", "only none is supported: a submodule is left as an empty folder");
            return r;
          }};
}

}  // namespace roux::resources
