// Policy groups and promotion: reading a group's exact lock from a supermarket or a git policy
// repository (verified), pointing another group at it (signed), and a host fetching its group's
// lock from git. The supermarket's own publish path is supermarket_publish.cc.
#include "sources/policy_groups.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/json.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "libs/git2_write_api.h"
#include "sources/cache.h"
#include "sources/git_auth.h"
#include "sources/local_file.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

std::string now_utc() { return format_utc(static_cast<int64_t>(::time(nullptr))); }

template <class M>
std::string key_list(const M& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k;
  return out.empty() ? "none" : out;
}

/// The content digest of a policy's two files (the same digest a supermarket revision records).
Result<std::string> files_digest(const std::string& policy_yaml, const std::string& lock_json) {
  ScratchDir d("policy");
  if (d.path.empty()) return Status::io("mkdtemp", errno);
  ROUX_TRY(write_local_file_atomic(d.path + "/policy.yaml", policy_yaml, 0644));
  ROUX_TRY(write_local_file_atomic(d.path + "/policy.lock.json", lock_json, 0644));
  return content_digest(d.path);
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// ---- libgit2 ----

const libs::Git2& git_lib() { return libs::must(libs::git2()); }
const libs::Git2Write& git_write() { return libs::must(libs::git2_write()); }

std::string git_error(int rc) {
  const ::git_error* e = git_lib().git_error_last();
  return (e && e->message) ? std::string(e->message) : "libgit2 error " + std::to_string(rc);
}

/// RAII for one libgit2 object, freed by `free`.
template <class T>
struct Git {
  T* p = nullptr;
  void (*free)(T*) = nullptr;
  explicit Git(void (*f)(T*)) : free(f) {}
  Git(const Git&) = delete;
  Git& operator=(const Git&) = delete;
  ~Git() {
    if (p && free) free(p);
  }
};

/// A repository opened, with branch main's tree (null when the branch does not exist yet).
struct RepoAtMain {
  Git<git_repository> repo{nullptr};
  Git<git_commit> commit{nullptr};
  Git<git_tree> tree{nullptr};
  std::string where;
};

Status open_at_main(const std::string& dir, RepoAtMain* r) {
  ROUX_TRY(libs::git2().status());
  r->repo.free = git_lib().git_repository_free;
  r->commit.free = git_lib().git_commit_free;
  r->tree.free = git_lib().git_tree_free;
  r->where = dir;
  ROUX_TRY(libs::git2_write().status());
  if (int rc = git_write().git_repository_open(&r->repo.p, dir.c_str()); rc != 0)
    return Status::not_found(dir + ": not a git repository (" + git_error(rc) + ")");
  git_oid oid;
  if (git_write().git_reference_name_to_id(&oid, r->repo.p, kPolicyBranch) != 0) return Status::ok();
  if (int rc = git_lib().git_commit_lookup(&r->commit.p, r->repo.p, &oid); rc != 0)
    return Status::io_msg(dir + ": " + kPolicyBranch + ": " + git_error(rc));
  if (int rc = git_lib().git_commit_tree(&r->tree.p, r->commit.p); rc != 0)
    return Status::io_msg(dir + ": " + git_error(rc));
  return Status::ok();
}

/// The file at `path` of branch main; kNotFound when it is not there.
Result<std::string> read_blob(const RepoAtMain& r, const std::string& path) {
  if (!r.tree.p) return Status::not_found(r.where + ": branch main does not exist (nothing published)");
  Git<git_tree_entry> e(git_lib().git_tree_entry_free);
  if (git_lib().git_tree_entry_bypath(&e.p, r.tree.p, path.c_str()) != 0 || git_lib().git_tree_entry_type(e.p) != GIT_OBJECT_BLOB)
    return Status::not_found(r.where + ": branch main has no file " + path);
  Git<git_blob> b(git_lib().git_blob_free);
  if (int rc = git_lib().git_blob_lookup(&b.p, r.repo.p, git_lib().git_tree_entry_id(e.p)); rc != 0)
    return Status::io_msg(r.where + ": " + path + ": " + git_error(rc));
  size_t n = static_cast<size_t>(git_lib().git_blob_rawsize(b.p));
  if (n > (size_t(8) << 20)) return Status::invalid_input(r.where + ": " + path + " is larger than 8 MiB");
  return std::string(static_cast<const char*>(git_lib().git_blob_rawcontent(b.p)), n);
}

/// One commit on branch main of `r` adding or replacing `files` (path -> bytes).
Result<std::string> commit_files(RepoAtMain& r, const std::vector<std::pair<std::string, std::string>>& files,
                                 const std::string& message) {
  const auto& g = git_write();
  Git<git_index> index(g.git_index_free);
  if (int rc = g.git_index_new(&index.p); rc != 0) return Status::internal("git_index_new: " + git_error(rc));
  if (r.tree.p)
    if (int rc = g.git_index_read_tree(index.p, r.tree.p); rc != 0) return Status::io_msg(r.where + ": " + git_error(rc));
  for (const auto& [path, data] : files) {
    git_index_entry e{};
    if (int rc = g.git_blob_create_from_buffer(&e.id, r.repo.p, data.data(), data.size()); rc != 0)
      return Status::io_msg(r.where + ": write " + path + ": " + git_error(rc));
    e.mode = GIT_FILEMODE_BLOB;
    e.path = path.c_str();
    if (int rc = g.git_index_add(index.p, &e); rc != 0) return Status::io_msg(r.where + ": add " + path + ": " + git_error(rc));
  }
  git_oid tree_oid, commit_oid;
  if (int rc = g.git_index_write_tree_to(&tree_oid, index.p, r.repo.p); rc != 0)
    return Status::io_msg(r.where + ": write tree: " + git_error(rc));
  Git<git_tree> tree(git_lib().git_tree_free);
  if (int rc = git_lib().git_tree_lookup(&tree.p, r.repo.p, &tree_oid); rc != 0) return Status::io_msg(r.where + ": " + git_error(rc));
  Git<git_signature> who(g.git_signature_free);
  if (int rc = g.git_signature_now(&who.p, "roux", "roux@localhost"); rc != 0) return Status::internal(git_error(rc));
  const git_commit* parents[] = {r.commit.p};
  // Moves main only if it is still the commit read above (libgit2 checks the first parent).
  if (int rc = g.git_commit_create(&commit_oid, r.repo.p, kPolicyBranch, who.p, who.p, nullptr, message.c_str(), tree.p,
                                   r.commit.p ? 1 : 0, parents);
      rc != 0)
    return Status::conflict(r.where + ": commit on main: " + git_error(rc) + " (another publisher moved main? run it again)");
  char hex[GIT_OID_HEXSZ + 1];
  git_lib().git_oid_tostr(hex, sizeof hex, &commit_oid);
  return std::string(hex);
}

std::string pointer_path(const std::string& name, const std::string& group) {
  return "policies/" + name + "/groups/" + group + ".json";
}
std::string lock_dir(const std::string& name, const std::string& content) { return "policies/" + name + "/locks/" + content; }

/// The signed pointer text of a group.
std::string pointer_json(const std::string& name, const GroupView& g) {
  nlohmann::ordered_json j;
  j["policy"] = name;
  j["group"] = g.group;
  j["serial"] = g.serial;
  j["content_sha256"] = g.content_sha256;
  j["lock_sha256"] = g.lock_sha256;
  j["since"] = g.since;
  j["key_id"] = g.key_id;
  j["via"] = g.via;
  return json_dump(j, 2) + "\n";
}

/// Writes group `g` (its lock, when new, and its signed pointer) in one commit.
/// The pointer's serial is the one it replaces + 1 (1 for a new group or one written before serials).
Result<std::string> commit_group(RepoAtMain& r, const std::string& name, GroupView& g, const SigningKey& key,
                                 const std::string& message) {
  g.serial = 1;
  if (auto old = read_blob(r, pointer_path(name, g.group)); old.is_ok()) {
    nlohmann::json j = nlohmann::json::parse(*old, nullptr, false);
    if (j.is_object() && j.contains("serial") && j["serial"].is_number_integer() && j["serial"].get<int64_t>() > 0)
      g.serial = j["serial"].get<int64_t>() + 1;
  }
  std::string ptr = pointer_json(name, g);
  ROUX_ASSIGN_OR_RETURN(std::string sig, key.sign(ptr));
  std::vector<std::pair<std::string, std::string>> files;
  const std::string dir = lock_dir(name, g.content_sha256);
  if (!read_blob(r, dir + "/policy.lock.json").is_ok()) {
    files.emplace_back(dir + "/policy.yaml", g.files.policy_yaml);
    files.emplace_back(dir + "/policy.lock.json", g.files.lock_json);
  }
  files.emplace_back(pointer_path(name, g.group), ptr);
  files.emplace_back(pointer_path(name, g.group) + ".sig", sig);
  return commit_files(r, files, message);
}

Result<GroupView> read_group_at(const RepoAtMain& r, const std::string& name, const std::string& group,
                                const TrustStore& trust) {
  const std::string path = pointer_path(name, group);
  auto ptr = read_blob(r, path);
  if (!ptr.is_ok()) {
    if (ptr.status().code() != Code::kNotFound) return ptr.status();
    if (r.tree.p) {
      Git<git_tree_entry> e(git_lib().git_tree_entry_free);
      std::string dir = "policies/" + name + "/groups";
      if (git_lib().git_tree_entry_bypath(&e.p, r.tree.p, dir.c_str()) != 0)
        return Status::not_found(r.where + ": no published policy " + name);
    }
    return Status::not_found(r.where + ": policy " + name + " has no group " + group);
  }
  const std::string what = r.where + ": " + path;
  ROUX_ASSIGN_OR_RETURN(std::string sig, read_blob(r, path + ".sig"));
  ROUX_ASSIGN_OR_RETURN(std::string signer, trust.verify(*ptr, sig, what));
  nlohmann::json j = nlohmann::json::parse(*ptr, nullptr, false);
  auto str = [&](const char* k) { return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  GroupView g;
  g.group = group;
  g.content_sha256 = str("content_sha256");
  g.lock_sha256 = str("lock_sha256");
  g.since = str("since");
  g.key_id = signer;
  g.via = str("via");
  if (!j.is_object() || !is_hex64(g.content_sha256) || !is_hex64(g.lock_sha256))
    return Status::invalid_input(what + ": not a group pointer (content_sha256 and lock_sha256 must be 64 hex digits)");
  if (j.contains("serial")) {  // absent: written before serials
    if (!j["serial"].is_number_integer() || j["serial"].get<int64_t>() < 1)
      return Status::invalid_input(what + ": not a group pointer (\"serial\" must be an integer >= 1)");
    g.serial = j["serial"].get<int64_t>();
  }
  // Signed for this policy and this group: a pointer copied from another group is refused.
  if (str("policy") != name || str("group") != group)
    return Status::untrusted(what + ": pointer check failed: it is signed for policy " + str("policy") + " group " +
                             str("group") + ", not " + name + " group " + group);
  const std::string dir = lock_dir(name, g.content_sha256);
  ROUX_ASSIGN_OR_RETURN(g.files.policy_yaml, read_blob(r, dir + "/policy.yaml"));
  ROUX_ASSIGN_OR_RETURN(g.files.lock_json, read_blob(r, dir + "/policy.lock.json"));
  ROUX_ASSIGN_OR_RETURN(g.files.content_sha256, files_digest(g.files.policy_yaml, g.files.lock_json));
  if (g.files.content_sha256 != g.content_sha256)
    return Status::untrusted(r.where + ": " + dir + ": content check failed: its content sha256 is " +
                             g.files.content_sha256 + " but group " + group + " points at " + g.content_sha256);
  ROUX_TRY(check_group_lock(g.files, g.lock_sha256, r.where + ": " + dir));
  return g;
}

}  // namespace

/// Freshness of a verified git group pointer (the supermarket index's rollback rule): never older
/// than the serial this host verified before for the same repository, policy and group, and never
/// other content under the same serial, recorded in RECORD_DIR/git-policy/ID.json (outside any
/// --root tree), which is raised on success.
Status check_pointer_serial(const std::string& record_dir, const std::string& shown, const std::string& name,
                            const GroupView& g) {
  const std::string id = sha256_hex(shown + "\n" + name + "\n" + g.group).substr(0, 16);
  const std::string file = record_dir + "/git-policy/" + id + ".json";
  int64_t seen = 0;
  std::string seen_content;  // "" in a record written before contents were recorded
  if (auto text = read_local_file(file, 1 << 16); text.is_ok()) {
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object() && j.contains("serial") && j["serial"].is_number_integer()) {
      seen = j["serial"].get<int64_t>();
      if (j.contains("content_sha256") && j["content_sha256"].is_string()) seen_content = j["content_sha256"].get<std::string>();
    } else {
      log::warn(file + ": unreadable trusted record of a git policy group; starting a new one");
    }
  }
  const std::string what = shown + ": policies/" + name + "/groups/" + g.group + ".json: pointer rollback refused: ";
  const std::string why = " verified from this repository before (" + file + "); someone may have rewound the repository";
  if (g.serial == 0 && seen > 0)
    return Status::untrusted(what + "the signed pointer has no serial, but serial " + std::to_string(seen) + " was" + why);
  if (g.serial < seen)
    return Status::untrusted(what + "the signed pointer has serial " + std::to_string(g.serial) + ", older than serial " +
                             std::to_string(seen) + why);
  // The same serial naming other content: a rewound repository moved forward again (or a forked
  // history shown to this host): the pointer this host runs was replaced without a newer serial.
  if (g.serial > 0 && g.serial == seen && !seen_content.empty() && seen_content != g.content_sha256)
    return Status::untrusted(shown + ": policies/" + name + "/groups/" + g.group +
                             ".json: pointer refused: the signed pointer has serial " + std::to_string(g.serial) +
                             " with content sha256:" + g.content_sha256 + ", but serial " + std::to_string(seen) +
                             " with content sha256:" + seen_content + why + " and written again on top");
  if (g.serial > seen || (g.serial == seen && g.serial > 0 && seen_content.empty())) {
    std::error_code ec;
    fs::create_directories(record_dir + "/git-policy", ec);
    nlohmann::json j = {{"url", shown}, {"policy", name}, {"group", g.group}, {"serial", g.serial},
                        {"content_sha256", g.content_sha256}};
    if (Status s = write_local_file_atomic(file, json_dump(j, 2) + "\n", 0600); !s.is_ok())
      log::warn("could not record the git policy pointer serial: " + s.to_string());
  }
  return Status::ok();
}

bool is_git_policy_source(const std::string& url) { return starts_with(url, "git+"); }

// ---- supermarket ----

Result<GroupView> read_supermarket_group(const std::string& base_url, const SupermarketIndex& index,
                                         const std::string& name, const std::string& group,
                                         const SupermarketOptions& opts) {
  const std::string shown = redact::strip_url_credentials(base_url);
  auto p = index.policies.find(name);
  if (p == index.policies.end())
    return Status::not_found(shown + ": no published policy " + name + " (published: " + key_list(index.policies) + ")");
  auto g = p->second.groups.find(group);
  if (g == p->second.groups.end())
    return Status::not_found(shown + ": policy " + name + " has no group " + group + " (groups: " +
                             key_list(p->second.groups) + ")");
  const PolicyRevision& rev = p->second.revisions.at(g->second);
  const std::string what = "policy " + name + " group " + group + " (revision " + std::to_string(rev.revision) + ", " +
                           redact::strip_url_credentials(resolve_url(base_url, rev.download_url)) + ")";
  ROUX_ASSIGN_OR_RETURN(VerifiedTarball t, download_signed(base_url, rev.download_url, "", rev.sha256, what, opts));
  ScratchDir work("policy");
  if (work.path.empty()) return Status::io("mkdtemp", errno);
  GroupView v;
  ROUX_ASSIGN_OR_RETURN(v.files, unpack_policy_tarball(t.bytes, rev.content_sha256, work.path, what));
  ROUX_TRY(check_group_lock(v.files, group_lock_of(p->second, group), what));
  v.group = group;
  v.revision = rev.revision;
  v.content_sha256 = rev.content_sha256;
  v.lock_sha256 = sha256_hex(v.files.lock_json);
  if (auto l = p->second.group_locks.find(group); l != p->second.group_locks.end()) {
    v.since = l->second.since;
    v.key_id = l->second.key_id;
    v.via = l->second.via;
  } else {
    v.since = rev.published;
    v.key_id = rev.key_id;
  }
  return v;
}

Result<PromoteResult> promote_in_supermarket(const std::string& dir_in, const std::string& name, const std::string& from,
                                             const std::string& to, const SigningKey& key, const TrustStore& trust,
                                             int expiry_days) {
  std::string dir = starts_with(dir_in, "file://") ? dir_in.substr(7) : dir_in;
  std::error_code ec;
  dir = fs::absolute(dir, ec).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  SupermarketOptions opts;
  opts.trust = trust;
  const std::string base = "file://" + dir;
  PromoteResult out;
  ROUX_TRY(edit_index(dir, key, expiry_days, trust, [&](SupermarketIndex& index) -> Result<bool> {
    ROUX_ASSIGN_OR_RETURN(out.from, read_supermarket_group(base, index, name, from, opts));
    PublishedPolicy& pol = index.policies.at(name);
    if (pol.groups.count(to)) {
      auto before = read_supermarket_group(base, index, name, to, opts);
      if (before.is_ok()) out.to_before = std::move(*before);
      else out.to_before_problem = before.status().message();
    }
    auto l = pol.group_locks.find(to);
    if (out.to_before && out.to_before->revision == out.from.revision && l != pol.group_locks.end() &&
        l->second.lock_sha256 == out.from.lock_sha256)
      return false;
    pol.groups[to] = out.from.revision;
    pol.group_locks[to] = {out.from.revision, out.from.lock_sha256, now_utc(), key.id(), "promote from " + from};
    out.moved = true;
    return true;
  }));
  return out;
}

// ---- git ----

Result<std::string> local_policy_repo(const std::string& source) {
  std::string p = source;
  if (starts_with(p, "git+file://")) p = p.substr(11);
  else if (starts_with(p, "file://")) p = p.substr(7);
  else if (p.find("://") != std::string::npos)
    return Status::unsupported(redact::strip_url_credentials(source) +
                               ": roux writes to a git policy repository on this machine (git+file:///PATH or a "
                               "path); push the commit to a remote with git");
  if (p.empty() || p[0] != '/') {
    std::error_code ec;
    p = fs::absolute(p, ec).lexically_normal().string();
  }
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

Result<GitPublishResult> publish_policy_to_git(const std::string& repo, const std::string& name, const std::string& group,
                                               const PolicyFiles& files, const SigningKey& key) {
  RepoAtMain r;
  ROUX_TRY(open_at_main(repo, &r));
  GitPublishResult out;
  GroupView& g = out.group;
  g.group = group;
  g.files = files;
  ROUX_ASSIGN_OR_RETURN(g.content_sha256, files_digest(files.policy_yaml, files.lock_json));
  g.files.content_sha256 = g.content_sha256;
  g.lock_sha256 = sha256_hex(files.lock_json);
  auto ptr = read_blob(r, pointer_path(name, group));
  if (ptr.is_ok()) {
    nlohmann::json j = nlohmann::json::parse(*ptr, nullptr, false);
    if (j.is_object() && j.value("content_sha256", "") == g.content_sha256) return out;  // already there
  }
  g.since = now_utc();
  g.key_id = key.id();
  g.via = "publish-policy";
  ROUX_ASSIGN_OR_RETURN(out.commit, commit_group(r, name, g, key,
                                                 "publish policy " + name + " to group " + group + " (lock sha256:" +
                                                     g.lock_sha256.substr(0, 12) + ")"));
  out.moved = true;
  return out;
}

Result<PromoteResult> promote_in_git(const std::string& repo, const std::string& name, const std::string& from,
                                     const std::string& to, const SigningKey& key, const TrustStore& trust) {
  RepoAtMain r;
  ROUX_TRY(open_at_main(repo, &r));
  PromoteResult out;
  ROUX_ASSIGN_OR_RETURN(out.from, read_group_at(r, name, from, trust));
  if (read_blob(r, pointer_path(name, to)).is_ok()) {
    auto before = read_group_at(r, name, to, trust);
    if (before.is_ok()) out.to_before = std::move(*before);
    else out.to_before_problem = before.status().message();
  }
  if (out.to_before && out.to_before->content_sha256 == out.from.content_sha256) return out;
  GroupView g = out.from;
  g.group = to;
  g.since = now_utc();
  g.key_id = key.id();
  g.via = "promote from " + from;
  ROUX_ASSIGN_OR_RETURN(out.commit, commit_group(r, name, g, key,
                                                 "promote policy " + name + ": " + from + " -> " + to + " (lock sha256:" +
                                                     g.lock_sha256.substr(0, 12) + ")"));
  out.moved = true;
  return out;
}

Result<GroupView> read_git_group(const std::string& repo_dir, const std::string& name, const std::string& group,
                                 const TrustStore& trust, const std::string& shown) {
  RepoAtMain r;
  ROUX_TRY(open_at_main(repo_dir, &r));
  if (!shown.empty()) r.where = shown;
  return read_group_at(r, name, group, trust);
}

Result<std::vector<std::string>> git_group_names(const std::string& repo_dir, const std::string& name) {
  RepoAtMain r;
  ROUX_TRY(open_at_main(repo_dir, &r));
  if (!r.tree.p) return Status::not_found(repo_dir + ": branch main does not exist (nothing published)");
  Git<git_tree_entry> e(git_lib().git_tree_entry_free);
  const std::string dir = "policies/" + name + "/groups";
  if (git_lib().git_tree_entry_bypath(&e.p, r.tree.p, dir.c_str()) != 0 || git_lib().git_tree_entry_type(e.p) != GIT_OBJECT_TREE)
    return Status::not_found(repo_dir + ": no published policy " + name);
  Git<git_tree> t(git_lib().git_tree_free);
  if (int rc = git_lib().git_tree_lookup(&t.p, r.repo.p, git_lib().git_tree_entry_id(e.p)); rc != 0)
    return Status::io_msg(repo_dir + ": " + git_error(rc));
  std::vector<std::string> out;
  for (size_t i = 0; i < git_lib().git_tree_entrycount(t.p); ++i) {
    std::string f = git_lib().git_tree_entry_name(git_lib().git_tree_entry_byindex(t.p, i));
    if (f.size() > 5 && f.compare(f.size() - 5, 5, ".json") == 0) out.push_back(f.substr(0, f.size() - 5));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> update_policy_clone(const std::string& url, const std::string& clone_parent,
                                        const PolicyRepoAccess& access, bool must_fetch) {
  ROUX_TRY(libs::git2().status());
  ROUX_TRY(libs::git2_write().status());
  const std::string remote = url.substr(4);  // "git+"
  const std::string shown = redact::strip_url_credentials(url);
  std::error_code ec;
  fs::create_directories(clone_parent, ec);
  if (ec) return Status::io("create " + clone_parent, ec.value());
  const std::string dir = clone_parent + "/policy-" + sha256_hex(remote).substr(0, 16) + ".git";
  bool existed = fs::exists(dir + "/HEAD", ec);
  {
    Git<git_repository> repo(git_lib().git_repository_free);
    int rc = existed ? git_lib().git_repository_open_bare(&repo.p, dir.c_str())
                     : git_lib().git_repository_init(&repo.p, dir.c_str(), 1);
    if (rc != 0) return Status::io_msg("git clone " + dir + ": " + git_error(rc));
    Git<git_remote> rem(git_lib().git_remote_free);
    if (int r2 = git_lib().git_remote_create_anonymous(&rem.p, repo.p, remote.c_str()); r2 != 0)
      return Status::invalid_input(shown + ": " + git_error(r2));
    git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    // Credentials (netrc, credential helper, ssh key), host key and TLS checks, the deadline.
    GitTransferGuard guard(access.git, remote, access.ca_bundle, access.timeout_s);
    guard.install(&fo.callbacks);
    if (!access.ca_bundle.empty())  // process-wide in libgit2, as for git cookbook sources
      if (int r3 = git_lib().git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, access.ca_bundle.c_str(), nullptr); r3 != 0)
        return Status::invalid_input(shown + ": ca_bundle " + access.ca_bundle + ": " + git_error(r3));
    char spec[] = "+refs/heads/main:refs/heads/main";
    char* specs[] = {spec};
    git_strarray refspecs = {specs, 1};
    rc = git_lib().git_remote_fetch(rem.p, &refspecs, &fo, nullptr);
    if (rc != 0) {
      std::string why = guard.failure(git_error(rc));
      if (must_fetch) return Status::io_msg(shown + ": cannot fetch the policy repository (" + why + ")");
      if (!existed) {
        fs::remove_all(dir, ec);
        return Status::io_msg(shown + ": cannot fetch the policy repository (" + why + ") and no clone is cached");
      }
      log::warn(shown + ": cannot fetch the policy repository (" + why +
                "); using the clone fetched by an earlier run (its pointers and locks are verified again)");
    }
  }
  return dir;
}

Result<FetchedPolicy> fetch_git_policy(const std::string& url, const std::string& name, const std::string& group,
                                       const TrustStore& trust, const std::string& clone_parent,
                                       const std::string& dest_dir, const std::string& record_dir,
                                       const PolicyRepoAccess& access) {
  ROUX_ASSIGN_OR_RETURN(std::string clone, update_policy_clone(url, clone_parent, access));
  const std::string shown = redact::strip_url_credentials(url);
  ROUX_ASSIGN_OR_RETURN(GroupView g0, read_git_group(clone, name, group, trust, shown));
  const GroupView* g = &g0;
  if (!record_dir.empty()) ROUX_TRY(check_pointer_serial(record_dir, shown, name, *g));
  std::error_code ec;
  fs::create_directories(dest_dir, ec);
  if (ec) return Status::io("create " + dest_dir, ec.value());
  ROUX_TRY(write_local_file_atomic(dest_dir + "/policy.lock.json", g->files.lock_json, 0644));
  ROUX_TRY(write_local_file_atomic(dest_dir + "/policy.yaml", g->files.policy_yaml, 0644));
  FetchedPolicy out;
  out.group = group;
  out.sha256 = g->content_sha256;
  out.lock_sha256 = g->lock_sha256;
  out.dir = dest_dir;
  return out;
}

}  // namespace roux::sources
