// The git source: a bare clone in the cache, tags as versions, metadata read from blobs, and
// cookbook folders materialised from trees into the content-addressed cache.
#include "sources/git_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "base/log.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "libs/git2_api.h"
#include "sources/cache.h"
#include "sources/git_auth.h"
#include "sources/local_file.h"
#include "sources/metadata.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

/// libgit2 after open_git_source() loaded it (libs/git2_api.h).
const libs::Git2& git_lib() { return libs::must(libs::git2()); }

std::string last_git_error(int rc) {
  const ::git_error* e = git_lib().git_error_last();
  return (e && e->message) ? std::string(e->message) : "libgit2 error " + std::to_string(rc);
}

/// RAII for libgit2 objects.
template <class T, auto Free>
using Owned = libs::Git2Owned<T, Free>;
using Repo = Owned<git_repository, &libs::Git2::git_repository_free>;
using Object = Owned<git_object, &libs::Git2::git_object_free>;
using Commit = Owned<git_commit, &libs::Git2::git_commit_free>;
using Tree = Owned<git_tree, &libs::Git2::git_tree_free>;
using TreeEntry = Owned<git_tree_entry, &libs::Git2::git_tree_entry_free>;
using Blob = Owned<git_blob, &libs::Git2::git_blob_free>;
using Reference = Owned<git_reference, &libs::Git2::git_reference_free>;

/// Parsed "git+SCHEME://...[#FOLDER|?dir=FOLDER]".
struct GitUrl {
  std::string remote;  // what libgit2 gets
  std::string folder;  // "" = repository root
};

Result<GitUrl> parse_git_url(const std::string& url) {
  const std::string kSupported = "git+file://, git+https://, git+ssh://, git://, or USER@HOST:PATH";
  if (!is_git_source_url(url))
    return Status::invalid_input("git source " + redact::strip_url_credentials(url) + ": expected " + kSupported);
  GitUrl g;
  std::string rest = starts_with(url, "git+") ? url.substr(4) : url;
  if (auto hash = rest.find('#'); hash != std::string::npos) {
    g.folder = rest.substr(hash + 1);
    rest.resize(hash);
  } else if (auto q = rest.find("?dir="); q != std::string::npos) {
    g.folder = rest.substr(q + 5);
    rest.resize(q);
  }
  while (!g.folder.empty() && g.folder.back() == '/') g.folder.pop_back();
  while (!g.folder.empty() && g.folder.front() == '/') g.folder.erase(0, 1);
  if (g.folder.find("..") != std::string::npos)
    return Status::invalid_input("git source " + redact::strip_url_credentials(url) + ": the folder must not contain \"..\"");
  if (!starts_with(rest, "file://") && !starts_with(rest, "https://") && !starts_with(rest, "ssh://") &&
      !starts_with(rest, "http://") && !starts_with(rest, "git://") && !is_scp_like(rest))
    return Status::unsupported("git source " + redact::strip_url_credentials(url) + ": unsupported scheme (supported: " +
                               kSupported + ")");
  g.remote = rest;
  return g;
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

/// A tag read as a version: which cookbook ("" = whatever the folder holds) and which version.
bool parse_tag(const std::string& tag, std::string* name, Version* version) {
  auto try_version = [&](std::string_view v) {
    if (!v.empty() && v[0] == 'v') v.remove_prefix(1);
    if (v.empty() || !isdigit(static_cast<unsigned char>(v[0]))) return false;
    auto parsed = Version::parse(v);
    if (!parsed.is_ok()) return false;
    *version = *parsed;
    return true;
  };
  if (auto slash = tag.rfind('/'); slash != std::string::npos) {
    *name = tag.substr(0, slash);
    return is_valid_cookbook_name(*name) && try_version(std::string_view(tag).substr(slash + 1));
  }
  if (auto dash = tag.rfind("-v"); dash != std::string::npos && dash > 0) {
    std::string n = tag.substr(0, dash);
    if (is_valid_cookbook_name(n) && try_version(std::string_view(tag).substr(dash + 1))) {
      *name = n;
      return true;
    }
  }
  name->clear();
  return try_version(tag);
}

class GitSource final : public Source {
 public:
  GitSource(std::string url, GitUrl g, Cache cache, bool untrusted, const SourceContext& ctx)
      : url_(std::move(url)), git_(std::move(g)), cache_(std::move(cache)), untrusted_(untrusted),
        transfer_{ctx.git, ctx.ca_bundle, ctx.transfer.timeout_s} {
    clone_name_ = sha256_hex(redact::strip_url_credentials(git_.remote)).substr(0, 24) + ".git";
    clone_dir_ = cache_.root() + "/git/" + clone_name_;
  }
  const std::string& url() const override { return url_; }
  const GitFetchStats& stats() const { return stats_; }

  Result<std::vector<CookbookRef>> universe() override {
    if (scanned_) return refs_;
    ROUX_TRY(update_clone());
    ROUX_TRY(scan_tags());
    scanned_ = true;
    return refs_;
  }

  Result<std::string> fetch(const CookbookRef& ref) override {
    // The lockfile's digest already in the cache (re-hashed): no git work at all.
    if (!ref.sha256.empty())
      if (auto p = cache_.verified_path(ref.sha256); p.is_ok()) return *p;
    std::string commit = ref.revision, folder;
    auto it = where_.find(ref.name + "@" + ref.version.to_string());
    if (commit.empty()) {
      ROUX_TRY(universe().status());
      it = where_.find(ref.name + "@" + ref.version.to_string());
      if (it == where_.end())
        return Status::not_found(url_ + ": no tag for cookbook " + ref.name + " " + ref.version.to_string());
      commit = it->second.first;
    }
    if (it != where_.end() && it->second.first == commit) folder = it->second.second;
    if (auto done = materialised_.find(commit + ":" + ref.name); done != materialised_.end()) return cache_.path_for(done->second);
    ROUX_TRY(open_repo());
    git_oid oid;
    if (git_lib().git_oid_fromstr(&oid, commit.c_str()) != 0)
      return Status::invalid_input(url_ + ": invalid commit \"" + commit + "\"");
    Commit c;
    if (int rc = git_lib().git_commit_lookup(&c.p, repo_.p, &oid); rc != 0)
      return Status::not_found(url_ + ": commit " + commit + " of cookbook " + ref.name + " is not in the clone (" +
                               last_git_error(rc) + ")");
    Tree root;
    if (int rc = git_lib().git_commit_tree(&root.p, c.p); rc != 0) return Status::io_msg(url_ + ": " + last_git_error(rc));
    if (folder.empty()) {
      // Pinned commit without a tag scan (offline): the same layout rule as tags.
      Metadata md;
      if (read_metadata_at(root.p, join_path(git_.folder, ref.name), ref.name, &md).is_ok())
        folder = join_path(git_.folder, ref.name);
      else
        folder = git_.folder;
    }
    Tree sub;
    if (folder.empty()) {
      ROUX_TRY(materialise_into_cache(root.p, ref, commit));
    } else {
      TreeEntry e;
      if (git_lib().git_tree_entry_bypath(&e.p, root.p, folder.c_str()) != 0 || git_lib().git_tree_entry_type(e.p) != GIT_OBJECT_TREE)
        return Status::not_found(url_ + ": commit " + commit + " has no folder " + folder);
      if (int rc = git_lib().git_tree_lookup(&sub.p, repo_.p, git_lib().git_tree_entry_id(e.p)); rc != 0)
        return Status::io_msg(url_ + ": " + last_git_error(rc));
      ROUX_TRY(materialise_into_cache(sub.p, ref, commit));
    }
    return cache_.path_for(materialised_[commit + ":" + ref.name]);
  }

 private:
  /// The clone's folder, resolved inside the --root tree when there is one.
  Status resolve_clone_dir(bool create) {
    ROUX_ASSIGN_OR_RETURN(std::string dir, cache_.subdir("git", create));
    clone_dir_ = dir + "/" + clone_name_;
    return Status::ok();
  }

  /// A clone inside a --root tree was made by whoever made the tree: its config (url.*.insteadOf
  /// sends the fetch elsewhere) and alternates (objects from elsewhere) are not ours. Before any
  /// use, the config is replaced by a plain one and alternates are dropped; a clone holding a
  /// symlink anywhere (git makes none; one could lead writes out of the tree) is deleted (the
  /// link itself, never its target) so that a fresh clone is made.
  Status sanitize_clone(const std::string& dir) {
    if (!untrusted_ || sanitized_) return Status::ok();
    std::error_code ec;
    bool planted_link = fs::is_symlink(fs::symlink_status(dir, ec));
    for (auto it = fs::recursive_directory_iterator(dir, ec); !planted_link && !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      planted_link = it->is_symlink(ec);
    if (planted_link) {
      log::warn(url_ + ": the clone in the --root tree (" + dir + ") holds a symlink; deleting it and cloning afresh");
      fs::remove_all(dir, ec);
      if (ec) return Status::io("remove " + dir, ec.value());
      sanitized_ = true;
      return Status::ok();
    }
    ROUX_TRY(write_local_file_atomic(dir + "/config", "[core]\n\trepositoryformatversion = 0\n\tbare = true\n", 0644));
    if (::unlink((dir + "/objects/info/alternates").c_str()) != 0 && errno != ENOENT)
      return Status::io("remove " + dir + "/objects/info/alternates", errno);
    sanitized_ = true;
    return Status::ok();
  }

  Status open_repo() {
    if (repo_.p) return Status::ok();
    ROUX_TRY(resolve_clone_dir(false));
    std::error_code ec;
    if (fs::exists(fs::symlink_status(clone_dir_, ec))) ROUX_TRY(sanitize_clone(clone_dir_));
    if (fs::exists(clone_dir_ + "/HEAD", ec)) {
      if (int rc = git_lib().git_repository_open_bare(&repo_.p, clone_dir_.c_str()); rc != 0)
        return Status::io_msg("git clone " + clone_dir_ + ": " + last_git_error(rc));
      return Status::ok();
    }
    return Status::not_found(url_ + ": no clone in the cache yet");
  }

  /// Clones (bare, tags only) on first use, else fetches; offline with a clone = a warning.
  Status update_clone() {
    std::error_code ec;
    ROUX_TRY(resolve_clone_dir(true));
    if (fs::exists(fs::symlink_status(clone_dir_, ec))) ROUX_TRY(sanitize_clone(clone_dir_));
    bool existed = fs::exists(clone_dir_ + "/HEAD", ec);
    std::string tmp;
    std::string dir = clone_dir_;
    if (!existed) {
      // Clone into a work folder and rename: a half-made clone is never mistaken for a clone.
      ROUX_ASSIGN_OR_RETURN(tmp, cache_.make_temp_dir());
      dir = tmp;
      Repo fresh;
      if (int rc = git_lib().git_repository_init(&fresh.p, dir.c_str(), 1); rc != 0)
        return Status::io_msg("git init " + dir + ": " + last_git_error(rc));
    }
    Repo repo;
    if (int rc = git_lib().git_repository_open_bare(&repo.p, dir.c_str()); rc != 0)
      return Status::io_msg("git clone " + dir + ": " + last_git_error(rc));
    // Credentials (netrc, credential helper, ssh key), host key and TLS checks, the deadline.
    git_indexer_progress st{};
    Status fetched = guarded_fetch(repo.p, git_.remote, {"+refs/tags/*:refs/tags/*"}, transfer_, &st);
    if (fetched.code() == Code::kInvalidInput) return fetched.with_context(url_);
    if (!fetched.is_ok()) {
      const std::string& why = fetched.message();
      if (!tmp.empty()) fs::remove_all(tmp, ec);
      if (!existed) return Status::io_msg(url_ + ": cannot fetch (" + why + ") and no clone is cached");
      // Tags decide which versions exist; a clone inside a --root tree could hold any tags. After
      // a fetch they are the remote's (forced, pruned); without one, they are not trusted.
      if (untrusted_)
        return Status::io_msg(url_ + ": cannot fetch (" + why + "); the clone in the --root tree (" + clone_dir_ +
                              ") is not trusted to say which versions exist, so there is no offline fallback: make "
                              "the remote reachable, or converge with a lockfile (its cookbooks are checked by digest)");
      log::warn(url_ + ": cannot fetch (" + why + "); using the clone cached by an earlier run");
      stats_ = {};
      return Status::ok();
    }
    stats_ = {true, st.received_objects, st.received_bytes};
    if (!existed) {
      git_lib().git_repository_free(repo.p);
      repo.p = nullptr;
      if (::rename(tmp.c_str(), clone_dir_.c_str()) != 0) {
        // Another process cloned first: use theirs.
        fs::remove_all(tmp, ec);
        if (!fs::exists(clone_dir_ + "/HEAD", ec)) return Status::io("rename clone into " + clone_dir_, errno);
      }
    }
    return Status::ok();
  }

  /// Reads FOLDER/metadata.yaml at `tree`; `want` ("" = any) must match its name.
  Status read_metadata_at(git_tree* tree, const std::string& folder, const std::string& want, Metadata* md) {
    std::string path = join_path(folder, "metadata.yaml");
    TreeEntry e;
    if (git_lib().git_tree_entry_bypath(&e.p, tree, path.c_str()) != 0) return Status::not_found(path + " not found");
    Blob b;
    if (int rc = git_lib().git_blob_lookup(&b.p, repo_.p, git_lib().git_tree_entry_id(e.p)); rc != 0) return Status::io_msg(last_git_error(rc));
    std::string text(static_cast<const char*>(git_lib().git_blob_rawcontent(b.p)), static_cast<size_t>(git_lib().git_blob_rawsize(b.p)));
    std::vector<Status> errors;
    if (!parse_metadata(text, url_ + ":" + path, md, &errors)) return errors.front();
    if (!want.empty() && md->name != want) return Status::not_found(path + " names " + md->name);
    return Status::ok();
  }

  Status scan_tags() {
    ROUX_TRY(open_repo());
    git_strarray tags = {nullptr, 0};
    if (int rc = git_lib().git_tag_list(&tags, repo_.p); rc != 0) return Status::io_msg(url_ + ": " + last_git_error(rc));
    std::vector<std::string> names(tags.strings, tags.strings + tags.count);
    git_lib().git_strarray_dispose(&tags);
    std::sort(names.begin(), names.end());
    for (const auto& tag : names) {
      std::string want;
      Version tag_version;
      if (!parse_tag(tag, &want, &tag_version)) continue;
      Object obj;
      if (git_lib().git_revparse_single(&obj.p, repo_.p, ("refs/tags/" + tag).c_str()) != 0) continue;
      Object peeled;
      if (git_lib().git_object_peel(&peeled.p, obj.p, GIT_OBJECT_COMMIT) != 0) continue;
      Commit c;
      if (git_lib().git_commit_lookup(&c.p, repo_.p, git_lib().git_object_id(peeled.p)) != 0) continue;
      Tree tree;
      if (git_lib().git_commit_tree(&tree.p, c.p) != 0) continue;
      char hex[GIT_OID_HEXSZ + 1];
      git_lib().git_oid_tostr(hex, sizeof hex, git_lib().git_commit_id(c.p));
      Metadata md;
      std::string folder;
      if (!want.empty() && read_metadata_at(tree.p, join_path(git_.folder, want), want, &md).is_ok()) {
        folder = join_path(git_.folder, want);
      } else if (Status s = read_metadata_at(tree.p, git_.folder, want, &md); s.is_ok()) {
        folder = git_.folder;
      } else {
        // A repository-wide tag (v1.2.3) with no cookbook where this source looks: not ours.
        if (want.empty() && s.code() == Code::kNotFound) continue;
        log::warn(url_ + ": tag " + tag + " skipped: " + s.to_string());
        continue;
      }
      if (!(md.version == tag_version)) {
        log::warn(url_ + ": tag " + tag + " skipped: metadata.yaml says version " + md.version.to_string());
        continue;
      }
      std::string key = md.name + "@" + md.version.to_string();
      if (where_.count(key)) continue;  // NAME-v1.0.0 and NAME/1.0.0: the first (sorted) wins
      where_[key] = {hex, folder};
      refs_.push_back({md.name, md.version, md.depends, url_, "", hex});
    }
    return Status::ok();
  }

  /// Writes `tree` into a cache work folder and inserts it; records the digest.
  Status materialise_into_cache(git_tree* tree, const CookbookRef& ref, const std::string& commit) {
    ROUX_ASSIGN_OR_RETURN(std::string tmp, cache_.make_temp_dir());
    Status s = write_tree(tree, tmp);
    if (!s.is_ok()) {
      std::error_code ec;
      fs::remove_all(tmp, ec);
      return s.with_context(url_ + ": " + ref.name + " " + ref.version.to_string());
    }
    ROUX_ASSIGN_OR_RETURN(std::string digest, cache_.insert_dir(tmp));
    materialised_[commit + ":" + ref.name] = digest;
    return Status::ok();
  }

  Status write_tree(git_tree* tree, const std::string& dir) {
    size_t n = git_lib().git_tree_entrycount(tree);
    for (size_t i = 0; i < n; ++i) {
      const git_tree_entry* e = git_lib().git_tree_entry_byindex(tree, i);
      std::string name = git_lib().git_tree_entry_name(e);
      if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
        return Status::invalid_input("bad tree entry name \"" + name + "\"");
      std::string path = dir + "/" + name;
      git_filemode_t mode = git_lib().git_tree_entry_filemode(e);
      if (mode == GIT_FILEMODE_TREE) {
        if (::mkdir(path.c_str(), 0755) != 0) return Status::io("mkdir " + path, errno);
        Tree sub;
        if (int rc = git_lib().git_tree_lookup(&sub.p, repo_.p, git_lib().git_tree_entry_id(e)); rc != 0) return Status::io_msg(last_git_error(rc));
        ROUX_TRY(write_tree(sub.p, path));
      } else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE || mode == GIT_FILEMODE_LINK) {
        Blob b;
        if (int rc = git_lib().git_blob_lookup(&b.p, repo_.p, git_lib().git_tree_entry_id(e)); rc != 0) return Status::io_msg(last_git_error(rc));
        std::string_view data(static_cast<const char*>(git_lib().git_blob_rawcontent(b.p)), static_cast<size_t>(git_lib().git_blob_rawsize(b.p)));
        if (mode == GIT_FILEMODE_LINK) {
          // A link must stay inside the cookbook (same rule as tarball unpacking).
          std::string target(data);
          if (target.empty() || target[0] == '/' || target.find("..") != std::string::npos)
            return Status::untrusted("symlink " + name + " -> " + target + " points out of the cookbook");
          if (::symlink(target.c_str(), path.c_str()) != 0) return Status::io("symlink " + path, errno);
          continue;
        }
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        out.close();
        if (!out) return Status::io("write " + path, errno);
        if (::chmod(path.c_str(), mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644) != 0)
          return Status::io("chmod " + path, errno);
      } else {
        return Status::unsupported("tree entry " + name + ": submodules are not supported in cookbooks");
      }
    }
    return Status::ok();
  }

  std::string url_;
  GitUrl git_;
  Cache cache_;
  bool untrusted_ = false;  // the cache is inside a --root tree
  GitTransferSettings transfer_;
  bool sanitized_ = false;
  std::string clone_name_, clone_dir_;
  Repo repo_;
  bool scanned_ = false;
  std::vector<CookbookRef> refs_;
  std::map<std::string, std::pair<std::string, std::string>> where_;  // name@version -> {commit, folder}
  std::map<std::string, std::string> materialised_;                  // commit:name -> digest
  GitFetchStats stats_;
};

}  // namespace

bool is_scp_like(std::string_view url) {
  // git's rule: USER@HOST:PATH, a colon before any slash and no "://" (a folder path never has
  // "@" before its first ":" unless written so; use dir:PATH for such a folder).
  if (url.find("://") != std::string_view::npos) return false;
  size_t at = url.find('@'), colon = url.find(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || at == 0 || colon < at + 2) return false;
  if (url.substr(0, colon).find('/') != std::string_view::npos) return false;
  if (url.substr(0, at).find_first_of(" \t:") != std::string_view::npos) return false;
  return colon + 1 < url.size();
}

bool is_git_source_url(std::string_view url) {
  return starts_with(url, "git+") || starts_with(url, "git://") || is_scp_like(url);
}

Result<std::unique_ptr<Source>> open_git_source(const std::string& url, const SourceContext& ctx) {
  ROUX_TRY(libs::git2().status());
  ROUX_ASSIGN_OR_RETURN(GitUrl g, parse_git_url(url));
  if (starts_with(g.remote, "file://")) {
    // Relative file URLs are not a thing; say so rather than letting libgit2 guess.
    if (g.remote.size() <= 7 || g.remote[7] != '/')
      return Status::invalid_input("git source " + redact::strip_url_credentials(url) + ": file URLs need an absolute path (git+file:///path)");
  }
  std::string cache_root = ctx.cache_dir.empty() ? (fs::temp_directory_path() / "roux-cache").string() : ctx.cache_dir;
  // The source's url() (the cookbooks' source: lockfile, reports, messages) never holds the
  // credentials of https://user:password@host/; libgit2 gets them through git_.remote.
  return std::unique_ptr<Source>(new GitSource(redact::strip_url_credentials(url), std::move(g),
                                               Cache(cache_root, ctx.confine_root), ctx.cache_untrusted(), ctx));
}

const GitFetchStats* git_fetch_stats(const Source& source) {
  auto* g = dynamic_cast<const GitSource*>(&source);
  return g ? &g->stats() : nullptr;
}

}  // namespace roux::sources
