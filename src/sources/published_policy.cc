// A published policy, host side: fetched from a supermarket's signed index, verified like a
// cookbook tarball (signature, sha256, safe unpack, content digest) and installed where converge
// reads it. The write side is publish_policy (supermarket_publish.cc).
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "sources/cache.h"
#include "sources/local_file.h"
#include "sources/supermarket.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

std::string names_of(const std::map<std::string, int64_t>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k;
  return out.empty() ? "none" : out;
}

/// Writes the two files into `dest_dir`, each atomically, after checking the lockfile is the
/// exact lock the group points at (`want_lock`, "" = the index records none).
Status install(const PolicyFiles& files, const std::string& want_lock, const std::string& dest_dir,
               const std::string& what) {
  ROUX_TRY(check_group_lock(files, want_lock, what));
  std::error_code ec;
  fs::create_directories(dest_dir, ec);
  if (ec) return Status::io("create " + dest_dir, ec.value());
  ROUX_TRY(write_local_file_atomic(dest_dir + "/policy.lock.json", files.lock_json, 0644));
  ROUX_TRY(write_local_file_atomic(dest_dir + "/policy.yaml", files.policy_yaml, 0644));
  return Status::ok();
}

/// The signed copy kept from the last fetch, for runs without the network. The copy may sit in
/// a --root tree made by someone else: it is used only when the index copy kept with it is signed
/// by a key trusted now, names this policy with `group` pointing at a revision, and the tarball is
/// that revision's (sha256, then its own signature, then the content digest). The index's expiry
/// is not checked here: an image baked months ago must still rebuild a host without the network.
Result<FetchedPolicy> from_cache(const std::string& name, const std::string& group, const SupermarketOptions& opts,
                                 const std::string& cache_dir, const std::string& dest_dir, const Status& why) {
  auto tar = read_local_file(cache_dir + "/policy.tar.gz", size_t(64) << 20);
  auto sig = read_local_file(cache_dir + "/policy.tar.gz.sig", 1 << 16);
  auto index = read_local_file(cache_dir + "/universe", size_t(32) << 20);
  auto index_sig = read_local_file(cache_dir + "/universe.sig", 1 << 16);
  if (!tar.is_ok() || !sig.is_ok() || !index.is_ok() || !index_sig.is_ok())
    return Status::io_msg(why.message() + "; and no copy of policy " + name + " was cached by an earlier fetch (" +
                          cache_dir + ")");
  const std::string what = "policy " + name + " (cached copy " + cache_dir + "/policy.tar.gz)";
  ROUX_TRY(opts.trust.verify(*index, *index_sig, "the cached index of " + what).status());
  ROUX_ASSIGN_OR_RETURN(SupermarketIndex idx, parse_index(*index, cache_dir + "/universe"));
  auto p = idx.policies.find(name);
  auto g = p == idx.policies.end() ? std::map<std::string, int64_t>::const_iterator() : p->second.groups.find(group);
  if (p == idx.policies.end() || g == p->second.groups.end())
    return Status::not_found(why.message() + "; and the cached index has no policy " + name + " in group " + group);
  const PolicyRevision& rev = p->second.revisions.at(g->second);
  if (sha256_hex(*tar) != rev.sha256)
    return Status::untrusted(what + ": sha256 check failed: it is not revision " + std::to_string(rev.revision) +
                             ", which the cached index names for group " + group);
  ROUX_TRY(opts.trust.verify(*tar, *sig, what).status());
  FetchedPolicy out;
  out.group = group;
  out.revision = rev.revision;
  out.sha256 = rev.sha256;
  out.from_cache = true;
  out.dir = dest_dir;
  ROUX_ASSIGN_OR_RETURN(PolicyFiles files, unpack_policy_tarball(*tar, rev.content_sha256, cache_dir, what));
  ROUX_TRY(install(files, group_lock_of(p->second, group), dest_dir, what));
  out.lock_sha256 = sha256_hex(files.lock_json);
  log::warn(why.message() + "; using policy " + name + " revision " + std::to_string(rev.revision) + " (group " + group +
            ") cached by an earlier fetch (signatures checked again)");
  return out;
}

}  // namespace

std::string group_lock_of(const PublishedPolicy& policy, const std::string& group) {
  if (auto l = policy.group_locks.find(group); l != policy.group_locks.end()) return l->second.lock_sha256;
  auto g = policy.groups.find(group);
  return g == policy.groups.end() ? "" : policy.revisions.at(g->second).lock_sha256;
}

Status check_group_lock(const PolicyFiles& files, const std::string& want_lock, const std::string& what) {
  if (!want_lock.empty() && sha256_hex(files.lock_json) != want_lock)
    return Status::untrusted(what + ": lock check failed: its policy.lock.json has sha256 " + sha256_hex(files.lock_json) +
                             " but the group points at lock " + want_lock);
  return Status::ok();
}

Result<PolicyFiles> unpack_policy_tarball(const std::string& tar, const std::string& want_digest,
                                          const std::string& work_parent, const std::string& what) {
  const std::string work = work_parent + "/.unpack-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(work, ec);
  struct Cleanup {
    std::string p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{work};
  ROUX_TRY(unpack_archive(tar, work, what));
  ROUX_ASSIGN_OR_RETURN(std::string digest, content_digest(work));
  if (!want_digest.empty() && digest != want_digest)
    return Status::untrusted(what + ": content check failed: the unpacked policy's sha256 is " + digest +
                             " but the index says " + want_digest);
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(work, ec)) {
    const std::string f = e.path().filename().string();
    if ((f != "policy.yaml" && f != "policy.lock.json") || !e.is_regular_file(ec) || e.is_symlink(ec))
      return Status::untrusted(what + ": a published policy holds exactly policy.yaml and policy.lock.json; it has " + f);
    ++n;
  }
  if (ec) return Status::io("read " + work, ec.value());
  if (n != 2) return Status::untrusted(what + ": a published policy holds exactly policy.yaml and policy.lock.json");
  PolicyFiles out;
  out.content_sha256 = digest;
  ROUX_ASSIGN_OR_RETURN(out.policy_yaml, read_local_file(work + "/policy.yaml", size_t(8) << 20));
  ROUX_ASSIGN_OR_RETURN(out.lock_json, read_local_file(work + "/policy.lock.json", size_t(8) << 20));
  return out;
}

Result<FetchedPolicy> fetch_published_policy(const std::string& base_url, const std::string& name,
                                             const std::string& group_in, const SupermarketOptions& opts,
                                             const std::string& cache_dir, const std::string& dest_dir) {
  const std::string group = group_in.empty() ? kDefaultPolicyGroup : group_in;
  const std::string shown = redact::strip_url_credentials(base_url);
  auto idx = fetch_index(base_url, opts);
  if (!idx.is_ok()) {
    // Unreachable: the signed copy of an earlier fetch will do. Anything that failed a check
    // (a bad signature, a rollback, an expired index) stops the run.
    if (idx.status().code() == Code::kUntrusted || idx.status().code() == Code::kInvalidInput) return idx.status();
    return from_cache(name, group, opts, cache_dir, dest_dir, idx.status());
  }
  auto p = idx->index.policies.find(name);
  if (p == idx->index.policies.end()) {
    std::string have;
    for (const auto& [n, x] : idx->index.policies) have += (have.empty() ? "" : ", ") + n;
    return Status::not_found(shown + ": no published policy " + name + " (published: " + (have.empty() ? "none" : have) +
                             "); publish it with `roux supermarket publish-policy`");
  }
  auto g = p->second.groups.find(group);
  if (g == p->second.groups.end())
    return Status::not_found(shown + ": policy " + name + " has no group " + group + " (groups: " +
                             names_of(p->second.groups) + ")");
  const PolicyRevision& rev = p->second.revisions.at(g->second);
  const std::string what = "policy " + name + " revision " + std::to_string(rev.revision) + " (" +
                           redact::strip_url_credentials(resolve_url(base_url, rev.download_url)) + ")";
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) return Status::io("create " + cache_dir, ec.value());
  // The cached copy when it is this revision's bytes (re-checked), else a verified download.
  VerifiedTarball tar;
  auto have = read_local_file(cache_dir + "/policy.tar.gz", size_t(64) << 20);
  auto have_sig = read_local_file(cache_dir + "/policy.tar.gz.sig", 1 << 16);
  if (have.is_ok() && have_sig.is_ok() && sha256_hex(*have) == rev.sha256 &&
      opts.trust.verify(*have, *have_sig, what).is_ok()) {
    tar = {std::move(*have), std::move(*have_sig)};
  } else {
    auto got = download_signed(base_url, rev.download_url, "", rev.sha256, what, opts);
    if (!got.is_ok()) {
      if (got.status().code() == Code::kUntrusted || got.status().code() == Code::kNotFound) return got.status();
      return from_cache(name, group, opts, cache_dir, dest_dir, got.status());
    }
    tar = std::move(*got);
  }
  ROUX_ASSIGN_OR_RETURN(PolicyFiles files, unpack_policy_tarball(tar.bytes, rev.content_sha256, cache_dir, what));
  ROUX_TRY(install(files, group_lock_of(p->second, group), dest_dir, what));
  // Kept for offline runs: the tarball and its signature, and the signed index that names it.
  Status s = write_local_file_atomic(cache_dir + "/policy.tar.gz.sig", tar.signature, 0644);
  if (s.is_ok()) s = write_local_file_atomic(cache_dir + "/policy.tar.gz", tar.bytes, 0644);
  if (s.is_ok()) s = write_local_file_atomic(cache_dir + "/universe.sig", idx->signature, 0644);
  if (s.is_ok()) s = write_local_file_atomic(cache_dir + "/universe", idx->bytes, 0644);
  if (!s.is_ok()) log::warn("could not cache policy " + name + " for offline runs: " + s.to_string());
  FetchedPolicy out;
  out.revision = rev.revision;
  out.group = group;
  out.sha256 = rev.sha256;
  out.lock_sha256 = sha256_hex(files.lock_json);
  out.dir = dest_dir;
  return out;
}

}  // namespace roux::sources
