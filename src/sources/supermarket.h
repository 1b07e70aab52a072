#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/semver.h"
#include "base/status.h"
#include "sources/source.h"
#include "sources/http.h"
#include "sources/trust.h"
#include "sources/unpack.h"

namespace roux::sources {

// A supermarket is a static tree of plain files (docs/supermarket.md):
//   universe               the index (JSON, Chef Supermarket /universe shape + sha256/signature)
//   universe.sig           detached signature of the index bytes (sources/trust.h format)
//   NAME-VERSION.tar.gz    reproducible cookbook tarballs
//   NAME-VERSION.tar.gz.sig

inline constexpr const char* kIndexFile = "universe";

/// One version of one cookbook in the index.
struct IndexEntry {
  std::string name;
  Version version;
  std::map<std::string, std::string> dependencies;  // name -> constraint text
  std::string download_url;    // relative to the supermarket URL, or absolute
  std::string signature_url;   // "" = download_url + ".sig"
  std::string sha256;          // of the tarball bytes
  std::string content_sha256;  // of the unpacked cookbook (sources/cache.h content_digest), = the lockfile's
  std::string key_id;          // the key that signed the tarball
  std::string description;
};

/// One revision of a published policy (docs/supermarket.md "Publishing policies"): a reproducible
/// tarball holding exactly policy.yaml and policy.lock.json, signed like a cookbook tarball.
struct PolicyRevision {
  int64_t revision = 0;        // 1, 2, ... per policy name
  std::string download_url;    // relative to the supermarket URL ("policies/NAME-REV.tar.gz")
  std::string sha256;          // of the tarball bytes
  std::string content_sha256;  // content_digest of the unpacked folder
  std::string key_id;          // informational; the .sig is authoritative
  std::string published;       // UTC time of publishing (informational)
  std::string lock_sha256;     // sha256 of its policy.lock.json bytes: the lock ("" = published before
                               // roux recorded it)
};

/// The exact lock a group runs, and who pointed it there ("group_locks" of a published policy,
/// docs/supermarket.md "Policy groups and promotion"). Signed with the rest of the index.
struct GroupLock {
  int64_t revision = 0;        // the revision holding that lock (= groups[GROUP])
  std::string lock_sha256;     // sha256 of the revision's policy.lock.json bytes
  std::string since;           // UTC time the group was pointed at it
  std::string key_id;          // the key that signed the index that moved it
  std::string via;             // "publish-policy" or "promote from GROUP"
};

/// A published policy: its revisions and its groups (group name -> revision). The group
/// "default" is what a host that names no group gets.
struct PublishedPolicy {
  std::map<int64_t, PolicyRevision> revisions;
  std::map<std::string, int64_t> groups;
  /// Per group: its exact lock, when and by whom (absent for groups pointed by an older roux).
  std::map<std::string, GroupLock> group_locks;
};

inline constexpr const char* kDefaultPolicyGroup = "default";

/// The parsed index: name -> version text -> entry, plus the signed freshness fields of the
/// "_index" object (docs/supermarket.md): a serial that every publish bumps and an expiry. A
/// client refuses an index older (lower serial) than one it verified before (rollback) and an
/// index past its expiry (freeze), as TUF does. Plain data.
struct SupermarketIndex {
  std::map<std::string, std::map<std::string, IndexEntry>> cookbooks;
  int64_t serial = 0;        // 0 = none (an index written before serials existed)
  std::string expires;       // "YYYY-MM-DDTHH:MM:SSZ" (UTC); "" only when serial is 0
  /// "_policies": published policies by name (signed with the rest of the index).
  std::map<std::string, PublishedPolicy> policies;
  const IndexEntry* find(const std::string& name, const Version& v) const;
};

inline constexpr int kDefaultIndexExpiryDays = 30;

/// "YYYY-MM-DDTHH:MM:SSZ" <-> seconds since the epoch (UTC). parse_utc fails on anything else.
Result<int64_t> parse_utc(const std::string& text);
std::string format_utc(int64_t seconds);

/// Parses index JSON; `what` names it in errors. Every entry must carry download_url, sha256 and
/// content_sha256; names and versions must be valid. "_index" (not a cookbook name: those start
/// with a letter) holds {"serial": N >= 1, "expires": "...Z"}; both or neither.
Result<SupermarketIndex> parse_index(std::string_view json, const std::string& what);
/// Canonical JSON text of the index (sorted keys, 2-space indent, trailing newline).
std::string index_to_json(const SupermarketIndex& index);

/// Network and trust settings for talking to a supermarket.
struct SupermarketOptions {
  TrustStore trust;
  std::string ca_bundle;
  UnpackLimits limits;
  TransferLimits transfer;      // deadlines of every download (sources/http.h)
  std::string index_cache_dir;  // where a copy of the verified index is kept ("" = no caching); may be
                                // inside a --root tree: it is used only when its sha256 equals the
                                // trusted record's
  std::string record_file;      // the trusted record of this source (highest serial verified, the
                                // cached copy's sha256, HTTP validators); outside any --root tree;
                                // "" = none (no rollback protection across runs)
  int64_t now = 0;              // the clock for expiry checks (0 = the system clock; tests set it)
  bool offline_fallback = true; // unreachable: use the cached copy (with a warning) instead of failing
};

/// The options a supermarket source at `url` uses in the context `ctx` (trusted keys, CA bundle,
/// transfer limits, the index copy's folder in the cache, the trusted serial record): so whatever
/// else reads that supermarket (a published policy) shares its 304 cache and rollback record.
Result<SupermarketOptions> supermarket_options(const std::string& url, const SourceContext& ctx);

/// A supermarket index fetched and verified, plus where it came from.
struct FetchedIndex {
  std::string base_url;
  std::string bytes, signature;  // exactly as served, verified
  SupermarketIndex index;
  bool not_modified = false;     // answered 304 from the cached copy
};

/// Fetches BASE/universe and BASE/universe.sig and verifies the signature against `opts.trust`
/// before parsing, then its freshness: an expired index is refused (kUntrusted "... expired ...");
/// with `opts.record_file`, an index whose serial is lower than the highest one verified before
/// for this URL, or that has no serial when one was seen before, is refused (kUntrusted
/// "... rollback ..."), and the record is raised to the new serial. With `opts.index_cache_dir`,
/// the request is conditional (ETag / If-Modified-Since) and a 304 reuses the cached, previously
/// verified copy (one round trip) when the record vouches for it.
Result<FetchedIndex> fetch_index(const std::string& base_url, const SupermarketOptions& opts);

/// The tarball of `entry`, downloaded and verified in memory, in this order, each failure
/// saying which check failed: signature file present, signature by a trusted key and matching
/// the bytes, SHA-256 equal to the index's. Returns the bytes and the signature text.
struct VerifiedTarball {
  std::string bytes, signature;
};
/// With `part_file`, the download resumes what an interrupted one left there (fetch_url_resumable)
/// and keeps what arrives until it is verified; a resumed download that fails verification is
/// thrown away and fetched once more from its first byte. `resumed_from` (optional) gets the
/// number of bytes that were not downloaded again.
Result<VerifiedTarball> download_tarball(const std::string& base_url, const IndexEntry& entry,
                                         const SupermarketOptions& opts, const std::string& part_file = "",
                                         size_t* resumed_from = nullptr);
/// The same checks for any signed file of the supermarket: `download_url` (relative to `base_url`
/// or absolute), its signature at `signature_url` ("" = download_url + ".sig"), its sha256.
/// `what` names it in messages.
Result<VerifiedTarball> download_signed(const std::string& base_url, const std::string& download_url,
                                        const std::string& signature_url, const std::string& sha256,
                                        const std::string& what, const SupermarketOptions& opts,
                                        const std::string& part_file = "", size_t* resumed_from = nullptr);


/// Packs the cookbook folder `dir` into a reproducible .tar.gz: entries sorted by path, mtime 0,
/// uid/gid 0, owner "root", modes 0644/0755 (folders 0755), gzip without name or timestamp; so the
/// same content always gives the same bytes. ".git" folders are left out; a device, FIFO or socket
/// is an error.
Result<std::string> pack_cookbook(const std::string& dir);

/// What publish_cookbook did.
struct PublishResult {
  IndexEntry entry;
  bool already_published = false;  // identical content was there: nothing written
};

/// Adds the cookbook in `dir` (already validated by the caller) to the supermarket folder `to`:
/// writes NAME-VERSION.tar.gz and its .sig, then the index and its signature, each atomically,
/// under a lock on TO/.publish.lock. An existing NAME+VERSION with other content is kConflict.
/// The new index gets serial + 1 and an expiry `expiry_days` from now. Identical content already
/// there is a no-op (nothing re-signed: `refresh_index` does that).
Result<PublishResult> publish_cookbook(const std::string& dir, const std::string& to, const SigningKey& key,
                                       int expiry_days = kDefaultIndexExpiryDays);

/// Re-signs the index of the supermarket folder `to` with serial + 1 and a new expiry
/// (`roux supermarket refresh`): what a publisher runs before the index expires. Returns the new
/// index.
Result<SupermarketIndex> refresh_index(const std::string& to, const SigningKey& key, int expiry_days);

/// Under the publish lock of the supermarket folder `to`: checks its index's signature against
/// `trust` (kUntrusted "index signature check failed: ..."), parses it and calls `edit`; when that
/// returns true, the edited index is re-signed with `key` (serial + 1, a new expiry) and written
/// (signature, then index, each atomically). `edit` fails to leave everything as it was.
/// kNotFound when there is no index.
Status edit_index(const std::string& to, const SigningKey& key, int expiry_days, const TrustStore& trust,
                  const std::function<Result<bool>(SupermarketIndex& index)>& edit);

/// What mirror_supermarket did.
struct MirrorResult {
  int copied = 0, kept = 0;    // versions downloaded, versions already present
  bool not_modified = false;   // the upstream index answered 304 to the conditional request
  int resumed = 0;             // downloads that continued an interrupted one
  size_t resumed_bytes = 0;    // bytes those did not download again
  /// The upstream could not be read, or what it served failed verification (signature, sha256,
  /// rollback, expiry, garbage): the mirror's index was left as it was, so the mirror still
  /// serves its last good copy, complete and verified. `why` says what happened.
  bool stale = false;
  std::string why;
  int64_t serial = 0;          // the serial of the index the mirror serves now
};

/// The mirror's own bookkeeping folder inside the mirror folder (not needed by clients): the
/// upstream's validators and trusted record, the verified copy of the upstream index (for 304s),
/// and partial downloads (for resuming).
inline constexpr const char* kMirrorStateDir = ".mirror";

/// Copies the supermarket at `from` into the folder `to`: only versions not already there (same
/// sha256), each verified (signature and sha256) before it is written; then the upstream index and
/// its signature replace the local ones atomically. Upstream download URLs must be the standard
/// relative "NAME-VERSION.tar.gz", unless `resign` is given: then the index is rewritten with
/// relative URLs and signed with it. The index request is conditional (the validators of the
/// last fetch, kept in TO/.mirror/): an unchanged upstream costs one request answered 304. A
/// tarball download cut short is kept in TO/.mirror/partial/ and resumed (Range) by the next
/// attempt. When `to` already holds an index and the upstream cannot be read or fails
/// verification, the result is `stale` (not an error): nothing the mirror serves changed.
/// Errors: no earlier copy to keep, a local write failure, bad options.
Result<MirrorResult> mirror_supermarket(const std::string& from, const std::string& to, const SupermarketOptions& opts,
                                        const SigningKey* resign);

/// A cookbook a policy's lockfile pins, as publish_policy checks it against the supermarket.
struct PolicyPin {
  std::string name, version, content_sha256, source;
};

/// What publish_policy did.
struct PolicyPublishResult {
  PolicyRevision revision;
  std::string group;
  bool new_revision = false;   // false: identical content was already published as that revision
  bool group_moved = false;    // the group now points at this revision (it did not before)
};

/// Publishes the policy file and its lockfile (already checked by the caller to match each other)
/// under `name` into the supermarket folder `to`: a reproducible tarball of exactly those two
/// files, named policy.yaml and policy.lock.json, signed, as revision max+1 (or the existing revision with the
/// same content), and points `group` at it; then re-signs the index (serial + 1), all under the
/// publish lock. Every pin must be published in `to` with the same content sha256, unless its
/// source is a git repository (hosts fetch it from there): else kNotFound naming it. Nothing
/// changes (no re-signing) when the group already points at identical content.
Result<PolicyPublishResult> publish_policy(const std::string& policy_file, const std::string& lock_file,
                                           const std::string& name,
                                           const std::vector<PolicyPin>& pins, const std::string& to,
                                           const SigningKey& key, const std::string& group,
                                           int expiry_days = kDefaultIndexExpiryDays);

/// The two files of one published policy revision, read and checked.
struct PolicyFiles {
  std::string policy_yaml, lock_json;
  std::string content_sha256;  // content_digest of the two (the revision's content_sha256)
};

/// Unpacks a policy tarball (its signature and sha256 already checked) safely (unpack_archive)
/// in a work folder under `work_parent` (removed after), checks its content digest equals
/// `want_digest` (when not "") and that it holds exactly policy.yaml and policy.lock.json as
/// regular files (kUntrusted, saying which check failed). `what` names it in messages.
Result<PolicyFiles> unpack_policy_tarball(const std::string& tar, const std::string& want_digest,
                                          const std::string& work_parent, const std::string& what);

/// The exact lock `group` of `policy` must run: its group_locks record, else its revision's
/// lock_sha256, else "" (published by a roux that recorded neither).
std::string group_lock_of(const PublishedPolicy& policy, const std::string& group);
/// kUntrusted "WHAT: lock check failed: ..." when `want_lock` is set and the lockfile's sha256
/// differs from it.
Status check_group_lock(const PolicyFiles& files, const std::string& want_lock, const std::string& what);

/// A published policy fetched, verified and installed.
struct FetchedPolicy {
  int64_t revision = 0;
  std::string group;
  std::string sha256;
  std::string lock_sha256;  // sha256 of the installed policy.lock.json (the group's exact lock)
  std::string dir;          // where policy.yaml and policy.lock.json were installed
  bool from_cache = false;  // the supermarket was unreachable: the cached signed copy was used
};

/// Fetches policy `name` (the revision `group` points at) from the supermarket at `base_url` and
/// installs policy.yaml and policy.lock.json into `dest_dir` (created; each file written
/// atomically). Checks, in order, before a byte is unpacked: the index (fetch_index: signature,
/// serial, expiry), the tarball's signature by a trusted key, its sha256 against the index; then
/// the archive unpacks safely (unpack_archive) and its content digest equals the index's, and it
/// holds exactly policy.yaml and policy.lock.json as regular files. The signed tarball and the
/// signed index are kept in `cache_dir`; when the supermarket cannot be reached (not: when it
/// answers with something that fails verification), that copy is used instead, with a warning,
/// after the same checks (index signature, the group's revision, sha256, signature, content) but
/// the index's expiry.
Result<FetchedPolicy> fetch_published_policy(const std::string& base_url, const std::string& name,
                                             const std::string& group, const SupermarketOptions& opts,
                                             const std::string& cache_dir, const std::string& dest_dir);

/// The standard tarball file name "NAME-VERSION.tar.gz".
std::string tarball_name(const std::string& name, const Version& v);

}  // namespace roux::sources
