// The supermarket's write side: reproducible packing, publishing, mirroring.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <functional>

#include "base/sha256.h"
#include "base/strings.h"
#include "libs/archive_api.h"
#include "sources/cache.h"
#include "sources/http.h"
#include "sources/local_file.h"
#include "sources/metadata.h"
#include "sources/supermarket.h"

namespace roux::sources {
namespace {

namespace fs = std::filesystem;

la_ssize_t append_out(archive*, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return la_ssize_t(n);
}

// Holds an exclusive flock on a file for its lifetime.
class FileLock {
 public:
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status acquire(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::io("open " + path, errno);
    if (::flock(fd_, LOCK_EX) != 0) return Status::io("lock " + path, errno);
    return Status::ok();
  }

 private:
  int fd_ = -1;
};

// A temporary folder removed on scope exit.
struct TempDir {
  std::string path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

Result<SupermarketIndex> read_local_index(const std::string& dir) {
  std::string path = dir + "/" + kIndexFile;
  if (std::error_code ec; !fs::exists(path, ec)) return SupermarketIndex{};
  ROUX_ASSIGN_OR_RETURN(std::string text, read_local_file(path));
  return parse_index(text, path);
}

}  // namespace

Result<std::string> pack_cookbook(const std::string& dir) {
  ROUX_ASSIGN_OR_RETURN(const libs::Archive* loaded, libs::archive());
  const libs::Archive& lib = *loaded;
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    paths.push_back(fs::relative(it->path(), dir));
  }
  if (ec) return Status::io("read " + dir, ec.value());
  std::sort(paths.begin(), paths.end(), [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });

  std::string out;
  std::unique_ptr<archive, decltype(lib.archive_write_free)> a(lib.archive_write_new(), lib.archive_write_free);
  lib.archive_write_set_format_pax_restricted(a.get());
  lib.archive_write_add_filter_gzip(a.get());
  if (lib.archive_write_set_options(a.get(), "gzip:!timestamp,gzip:compression-level=9") != ARCHIVE_OK ||
      lib.archive_write_open(a.get(), &out, nullptr, append_out, nullptr) != ARCHIVE_OK)
    return Status::internal("pack: " + libs::archive_error(lib, a.get()));
  for (const auto& rel : paths) {
    std::string full = dir + "/" + rel.string();
    struct stat st;
    if (::lstat(full.c_str(), &st) != 0) return Status::io("stat " + full, errno);
    std::unique_ptr<archive_entry, decltype(lib.archive_entry_free)> e(lib.archive_entry_new(), lib.archive_entry_free);
    lib.archive_entry_set_pathname(e.get(), rel.string().c_str());
    lib.archive_entry_set_mtime(e.get(), 0, 0);
    lib.archive_entry_set_uid(e.get(), 0);
    lib.archive_entry_set_gid(e.get(), 0);
    lib.archive_entry_set_uname(e.get(), "root");
    lib.archive_entry_set_gname(e.get(), "root");
    std::string content;
    if (S_ISDIR(st.st_mode)) {
      lib.archive_entry_set_filetype(e.get(), AE_IFDIR);
      lib.archive_entry_set_perm(e.get(), 0755);
    } else if (S_ISREG(st.st_mode)) {
      ROUX_ASSIGN_OR_RETURN(content, read_local_file(full));
      lib.archive_entry_set_filetype(e.get(), AE_IFREG);
      lib.archive_entry_set_perm(e.get(), (st.st_mode & 0111) ? 0755 : 0644);
      lib.archive_entry_set_size(e.get(), la_int64_t(content.size()));
    } else if (S_ISLNK(st.st_mode)) {
      lib.archive_entry_set_filetype(e.get(), AE_IFLNK);
      lib.archive_entry_set_perm(e.get(), 0777);
      lib.archive_entry_set_symlink(e.get(), fs::read_symlink(full, ec).string().c_str());
    } else {
      return Status::invalid_input(full + ": not a regular file, folder or symlink; cannot be published");
    }
    if (lib.archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        (!content.empty() && lib.archive_write_data(a.get(), content.data(), content.size()) < 0))
      return Status::internal("pack " + full + ": " + libs::archive_error(lib, a.get()));
  }
  if (lib.archive_write_close(a.get()) != ARCHIVE_OK) return Status::internal("pack: " + libs::archive_error(lib, a.get()));
  return out;
}

namespace {

/// Bumps the serial, sets the expiry, signs; writes the signature then the index, each atomically.
Status sign_and_write_index(SupermarketIndex& index, const std::string& to, const SigningKey& key, int expiry_days) {
  if (expiry_days < 1) return Status::invalid_input("the index expiry must be at least 1 day");
  index.serial += 1;
  index.expires = format_utc(static_cast<int64_t>(::time(nullptr)) + int64_t(expiry_days) * 86400);
  std::string json = index_to_json(index);
  ROUX_ASSIGN_OR_RETURN(std::string index_sig, key.sign(json));
  ROUX_TRY(write_local_file_atomic(to + "/" + kIndexFile + ".sig", index_sig, 0644));
  ROUX_TRY(write_local_file_atomic(to + "/" + kIndexFile, json, 0644));
  return Status::ok();
}

}  // namespace

Result<SupermarketIndex> refresh_index(const std::string& to, const SigningKey& key, int expiry_days) {
  if (!fs::exists(to + "/" + kIndexFile)) return Status::not_found(to + ": no supermarket index (" + kIndexFile + ") to re-sign");
  FileLock lock;
  ROUX_TRY(lock.acquire(to + "/.publish.lock"));
  ROUX_ASSIGN_OR_RETURN(SupermarketIndex index, read_local_index(to));
  ROUX_TRY(sign_and_write_index(index, to, key, expiry_days));
  return index;
}

Status edit_index(const std::string& to, const SigningKey& key, int expiry_days, const TrustStore& trust,
                  const std::function<Result<bool>(SupermarketIndex& index)>& edit) {
  const std::string path = to + "/" + kIndexFile;
  if (std::error_code ec; !fs::exists(path, ec)) return Status::not_found(to + ": no supermarket index (" + kIndexFile + ")");
  FileLock lock;
  ROUX_TRY(lock.acquire(to + "/.publish.lock"));
  ROUX_ASSIGN_OR_RETURN(std::string bytes, read_local_file(path));
  // Re-signing vouches for the whole index: it must be one a trusted key signed, checked before
  // a byte of it is parsed.
  ROUX_ASSIGN_OR_RETURN(std::string sig, read_local_file(path + ".sig", 1 << 16));
  if (auto v = trust.verify(bytes, sig, path); !v.is_ok())
    return Status::untrusted("index signature check failed: " + v.status().message());
  ROUX_ASSIGN_OR_RETURN(SupermarketIndex index, parse_index(bytes, path));
  ROUX_ASSIGN_OR_RETURN(bool changed, edit(index));
  if (!changed) return Status::ok();
  return sign_and_write_index(index, to, key, expiry_days);
}

Result<PublishResult> publish_cookbook(const std::string& dir, const std::string& to, const SigningKey& key,
                                       int expiry_days) {
  ROUX_ASSIGN_OR_RETURN(Metadata md, read_metadata(dir));
  ROUX_ASSIGN_OR_RETURN(std::string tar, pack_cookbook(dir));
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Status::io("create " + to, ec.value());

  // The content digest as a client will compute it: unpack our own tarball and hash the result.
  TempDir work{to + "/.publish-" + std::to_string(::getpid())};
  fs::remove_all(work.path, ec);
  fs::create_directories(work.path, ec);
  ROUX_TRY(unpack_archive(tar, work.path + "/c", "the packed tarball"));
  ROUX_ASSIGN_OR_RETURN(std::string content, content_digest(work.path + "/c"));

  FileLock lock;
  ROUX_TRY(lock.acquire(to + "/.publish.lock"));
  ROUX_ASSIGN_OR_RETURN(SupermarketIndex index, read_local_index(to));
  PublishResult result;
  IndexEntry& e = result.entry;
  e.name = md.name;
  e.version = md.version;
  e.dependencies = md.depends;
  e.download_url = tarball_name(md.name, md.version);
  e.sha256 = sha256_hex(tar);
  e.content_sha256 = content;
  e.key_id = key.id();
  e.description = md.description;
  if (const IndexEntry* old = index.find(md.name, md.version)) {
    if (old->content_sha256 == content) {
      result.entry = *old;
      result.already_published = true;
      return result;
    }
    return Status::conflict(md.name + " " + md.version.to_string() + " is already published in " + to +
                            " with different content (content sha256 " + old->content_sha256 + ", now " + content +
                            "); a published version never changes: bump the version in metadata.yaml");
  }
  ROUX_ASSIGN_OR_RETURN(std::string tar_sig, key.sign(tar));
  ROUX_TRY(write_local_file_atomic(to + "/" + e.download_url, tar, 0644));
  ROUX_TRY(write_local_file_atomic(to + "/" + e.download_url + ".sig", tar_sig, 0644));
  index.cookbooks[md.name][md.version.to_string()] = e;
  ROUX_TRY(sign_and_write_index(index, to, key, expiry_days));
  return result;
}

Result<PolicyPublishResult> publish_policy(const std::string& policy_file, const std::string& lock_file,
                                           const std::string& name,
                                           const std::vector<PolicyPin>& pins, const std::string& to,
                                           const SigningKey& key, const std::string& group, int expiry_days) {
  if (!is_valid_cookbook_name(name)) return Status::invalid_input("\"" + name + "\" is not a valid policy name");
  if (!is_valid_cookbook_name(group)) return Status::invalid_input("\"" + group + "\" is not a valid group name");
  std::error_code ec;
  fs::create_directories(to + "/policies", ec);
  if (ec) return Status::io("create " + to + "/policies", ec.value());
  // Exactly the two files a host needs, packed as a cookbook is (reproducible bytes): a policy
  // folder may hold development sources (cookbooks/) that are no business of a host's.
  TempDir work{to + "/.publish-policy-" + std::to_string(::getpid())};
  fs::remove_all(work.path, ec);
  fs::create_directories(work.path + "/p", ec);
  if (ec) return Status::io("create " + work.path, ec.value());
  std::string lock_sha256;
  for (const auto& [from, f] : {std::pair{policy_file, "policy.yaml"}, std::pair{lock_file, "policy.lock.json"}}) {
    ROUX_ASSIGN_OR_RETURN(std::string data, read_local_file(from, size_t(8) << 20));
    ROUX_TRY(write_local_file_atomic(work.path + "/p/" + f, data, 0644));
    if (std::string_view(f) == "policy.lock.json") lock_sha256 = sha256_hex(data);
  }
  ROUX_ASSIGN_OR_RETURN(std::string tar, pack_cookbook(work.path + "/p"));
  ROUX_TRY(unpack_archive(tar, work.path + "/c", "the packed policy tarball"));
  ROUX_ASSIGN_OR_RETURN(std::string content, content_digest(work.path + "/c"));

  FileLock lock;
  ROUX_TRY(lock.acquire(to + "/.publish.lock"));
  ROUX_ASSIGN_OR_RETURN(SupermarketIndex index, read_local_index(to));
  // A host fetches every pinned cookbook from its lockfile source: it must be there, verbatim.
  for (const auto& pin : pins) {
    if (starts_with(pin.source, "git+")) continue;
    auto v = Version::parse(pin.version);
    const IndexEntry* e = v.is_ok() ? index.find(pin.name, *v) : nullptr;
    if (!e)
      return Status::not_found("the lockfile pins cookbook " + pin.name + " " + pin.version + " (from " + pin.source +
                               "), which is not published in " + to + "; publish it first (roux supermarket publish)");
    if (e->content_sha256 != pin.content_sha256)
      return Status::conflict("the lockfile pins cookbook " + pin.name + " " + pin.version + " with content sha256 " +
                              pin.content_sha256 + ", but " + to + " publishes it with " + e->content_sha256 +
                              "; run `roux update` against the supermarket, then publish the policy");
  }
  PublishedPolicy& pol = index.policies[name];
  PolicyPublishResult result;
  result.group = group;
  for (const auto& [n, r] : pol.revisions)
    if (r.content_sha256 == content) result.revision = r;
  if (result.revision.revision == 0) {
    PolicyRevision& r = result.revision;
    r.revision = pol.revisions.empty() ? 1 : pol.revisions.rbegin()->first + 1;
    r.download_url = "policies/" + name + "-" + std::to_string(r.revision) + ".tar.gz";
    r.sha256 = sha256_hex(tar);
    r.content_sha256 = content;
    r.key_id = key.id();
    r.published = format_utc(static_cast<int64_t>(::time(nullptr)));
    r.lock_sha256 = lock_sha256;
    ROUX_ASSIGN_OR_RETURN(std::string sig, key.sign(tar));
    ROUX_TRY(write_local_file_atomic(to + "/" + r.download_url, tar, 0644));
    ROUX_TRY(write_local_file_atomic(to + "/" + r.download_url + ".sig", sig, 0644));
    pol.revisions[r.revision] = r;
    result.new_revision = true;
  }
  auto g = pol.groups.find(group);
  result.group_moved = g == pol.groups.end() || g->second != result.revision.revision;
  if (!result.new_revision && !result.group_moved) return result;
  pol.groups[group] = result.revision.revision;
  pol.group_locks[group] = {result.revision.revision, lock_sha256, format_utc(static_cast<int64_t>(::time(nullptr))),
                            key.id(), "publish-policy"};
  ROUX_TRY(sign_and_write_index(index, to, key, expiry_days));
  return result;
}

Result<MirrorResult> mirror_supermarket(const std::string& from, const std::string& to,
                                        const SupermarketOptions& upstream_opts, const SigningKey* resign) {
  std::error_code ec;
  const std::string state = to + "/" + kMirrorStateDir;
  fs::create_directories(state + "/partial", ec);
  if (ec) return Status::io("create " + state + "/partial", ec.value());
  FileLock lock;
  ROUX_TRY(lock.acquire(to + "/.publish.lock"));
  // The upstream's validators, its trusted record (highest serial) and the verified copy of its
  // index live in the mirror's state folder: a second run asks "changed since?" and gets a 304.
  SupermarketOptions opts = upstream_opts;
  if (opts.index_cache_dir.empty()) opts.index_cache_dir = state;
  if (opts.record_file.empty()) opts.record_file = state + "/upstream.json";
  opts.offline_fallback = false;  // unreachable is said, not papered over with the cached copy

  MirrorResult result;
  auto current = read_local_file(to + "/" + kIndexFile);
  if (current.is_ok())
    if (auto mine = parse_index(*current, to + "/" + kIndexFile); mine.is_ok()) result.serial = mine->serial;
  // Whatever the upstream did wrong, a mirror that has an index keeps serving it: the index is
  // swapped in last, so what it serves is still complete and verified.
  auto stale = [&](const Status& why) -> Result<MirrorResult> {
    if (!current.is_ok()) return why;  // nothing to keep serving
    result.stale = true;
    result.why = why.message();
    return result;
  };
  auto fetched = fetch_index(from, opts);
  if (!fetched.is_ok()) return stale(fetched.status());
  FetchedIndex& up = *fetched;
  result.not_modified = up.not_modified;
  bool standard = true;
  for (const auto& [name, versions] : up.index.cookbooks)
    for (const auto& [vtext, e] : versions)
      if (e.download_url != tarball_name(name, e.version) ||
          (!e.signature_url.empty() && e.signature_url != e.download_url + ".sig"))
        standard = false;
  if (!standard && !resign)
    return Status::invalid_input(from + ": the index uses non-standard download URLs; pass --key so the mirror can "
                                        "rewrite and re-sign its index");
  // Downloads go through a part file of the state folder, so a cut one resumes where it stopped.
  auto download = [&](const std::string& rel, auto&& get) -> Result<VerifiedTarball> {
    std::string flat = rel;
    std::replace(flat.begin(), flat.end(), '/', '_');
    size_t resumed = 0;
    auto t = get(state + "/partial/" + flat + ".part", &resumed);
    if (t.is_ok() && resumed > 0) {
      ++result.resumed;
      result.resumed_bytes += resumed;
    }
    return t;
  };
  SupermarketIndex out = up.index;
  for (auto& [name, versions] : out.cookbooks) {
    for (auto& [vtext, e] : versions) {
      const std::string rel = tarball_name(name, e.version), file = to + "/" + rel;
      auto have = read_local_file(file);
      if (have.is_ok() && sha256_hex(*have) == e.sha256 && fs::exists(file + ".sig", ec)) {
        ++result.kept;
      } else {
        // (A structured binding is named through a reference: clang before 16 cannot capture one.)
        const auto& entry = e;
        auto t = download(rel, [&](const std::string& part, size_t* resumed) {
          return download_tarball(from, entry, opts, part, resumed);
        });
        if (!t.is_ok()) return stale(t.status());
        ROUX_TRY(write_local_file_atomic(file + ".sig", t->signature, 0644));
        ROUX_TRY(write_local_file_atomic(file, t->bytes, 0644));
        ++result.copied;
      }
      e.download_url = rel;
      e.signature_url.clear();
    }
  }
  // Published policies: their tarballs too (relative "policies/NAME-REV.tar.gz" only).
  for (const auto& [name, pol] : out.policies) {
    for (const auto& [n, r] : pol.revisions) {
      if (r.download_url.find("://") != std::string::npos || r.download_url.find("..") != std::string::npos ||
          !starts_with(r.download_url, "policies/"))
        return stale(Status::invalid_input(from + ": policy " + name + " revision " + std::to_string(n) +
                                           ": download URL " + r.download_url + " is not a relative policies/ path"));
      std::string file = to + "/" + r.download_url;
      auto have = read_local_file(file);
      if (have.is_ok() && sha256_hex(*have) == r.sha256 && fs::exists(file + ".sig", ec)) {
        ++result.kept;
        continue;
      }
      const std::string url = r.download_url, sha = r.sha256;
      const std::string what = "policy " + name + " revision " + std::to_string(n);
      auto t = download(url, [&](const std::string& part, size_t* resumed) {
        return download_signed(from, url, "", sha, what, opts, part, resumed);
      });
      if (!t.is_ok()) return stale(t.status());
      fs::create_directories(to + "/policies", ec);
      ROUX_TRY(write_local_file_atomic(file + ".sig", t->signature, 0644));
      ROUX_TRY(write_local_file_atomic(file, t->bytes, 0644));
      ++result.copied;
    }
  }
  // Swap the index in last, so it never names a tarball that is not there yet.
  std::string bytes = up.bytes, sig = up.signature;
  if (!standard) {
    bytes = index_to_json(out);
    ROUX_ASSIGN_OR_RETURN(sig, resign->sign(bytes));
  }
  if (current.is_ok() && *current == bytes) return result;
  // Never move the mirror back: its clients would refuse the older index anyway.
  if (current.is_ok() && result.serial > up.index.serial)
    return stale(Status::untrusted(from + ": index rollback refused: upstream serves serial " +
                                   std::to_string(up.index.serial) + ", older than the mirror's serial " +
                                   std::to_string(result.serial)));
  ROUX_TRY(write_local_file_atomic(to + "/" + kIndexFile + ".sig", sig, 0644));
  ROUX_TRY(write_local_file_atomic(to + "/" + kIndexFile, bytes, 0644));
  result.serial = up.index.serial;
  return result;
}

}  // namespace roux::sources
