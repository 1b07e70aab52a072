#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/semver.h"
#include "base/status.h"
#include "sources/source.h"
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

/// The parsed index: name -> version text -> entry. Plain data.
struct SupermarketIndex {
  std::map<std::string, std::map<std::string, IndexEntry>> cookbooks;
  const IndexEntry* find(const std::string& name, const Version& v) const;
};

/// Parses index JSON; `what` names it in errors. Every entry must carry download_url, sha256 and
/// content_sha256; names and versions must be valid.
Result<SupermarketIndex> parse_index(std::string_view json, const std::string& what);
/// Canonical JSON text of the index (sorted keys, 2-space indent, trailing newline).
std::string index_to_json(const SupermarketIndex& index);

/// Network and trust settings for talking to a supermarket.
struct SupermarketOptions {
  TrustStore trust;
  std::string ca_bundle;
  UnpackLimits limits;
  std::string index_cache_dir;  // where the index and its validators are kept ("" = no caching)
};

/// A supermarket index fetched and verified, plus where it came from.
struct FetchedIndex {
  std::string base_url;
  std::string bytes, signature;  // exactly as served, verified
  SupermarketIndex index;
  bool not_modified = false;     // answered 304 from the cached copy
};

/// Fetches BASE/universe and BASE/universe.sig and verifies the signature against `opts.trust`
/// before parsing. With `opts.index_cache_dir`, the request is conditional (ETag /
/// If-Modified-Since) and a 304 reuses the cached, previously verified copy (one round trip).
Result<FetchedIndex> fetch_index(const std::string& base_url, const SupermarketOptions& opts);

/// The tarball of `entry`, downloaded and verified in memory, in this order, each failure
/// saying which check failed: signature file present, signature by a trusted key and matching
/// the bytes, SHA-256 equal to the index's. Returns the bytes and the signature text.
struct VerifiedTarball {
  std::string bytes, signature;
};
Result<VerifiedTarball> download_tarball(const std::string& base_url, const IndexEntry& entry,
                                         const SupermarketOptions& opts);


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
Result<PublishResult> publish_cookbook(const std::string& dir, const std::string& to, const SigningKey& key);

/// What mirror_supermarket did.
struct MirrorResult {
  int copied = 0, kept = 0;  // versions downloaded, versions already present
};

/// Copies the supermarket at `from` into the folder `to`: only versions not already there (same
/// sha256), each verified (signature and sha256) before it is written; then the upstream index and
/// its signature replace the local ones atomically. Upstream download URLs must be the standard
/// relative "NAME-VERSION.tar.gz", unless `resign` is given: then the index is rewritten with
/// relative URLs and signed with it.
Result<MirrorResult> mirror_supermarket(const std::string& from, const std::string& to, const SupermarketOptions& opts,
                                        const SigningKey* resign);

/// The standard tarball file name "NAME-VERSION.tar.gz".
std::string tarball_name(const std::string& name, const Version& v);

}  // namespace roux::sources
