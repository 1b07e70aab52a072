#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/semver.h"
#include "base/status.h"
#include "sources/http.h"

namespace roux::sources {

/// One version of one cookbook as a source offers it.
struct CookbookRef {
  std::string name;
  Version version;
  std::map<std::string, std::string> depends;  // name -> constraint text
  std::string source;                          // the URL of the source that offers it
  std::string sha256;                          // content digest when the source knows it
  std::string revision;                        // git commit, when from git
};

/// Where cookbooks come from: a local folder (development), a git repository, a supermarket.
/// A source lists what it offers (the "universe") and fetches one version into a local folder.
/// Not thread-safe; one per run.
class Source {
 public:
  virtual ~Source() = default;
  /// The URL as the policy wrote it, resolved ("dir:/srv/cookbooks").
  virtual const std::string& url() const = 0;
  /// Every version of every cookbook offered. May use the network (git fetch, HTTP).
  virtual Result<std::vector<CookbookRef>> universe() = 0;
  /// A local folder holding exactly `ref` unpacked and verified. Idempotent; may use a cache.
  virtual Result<std::string> fetch(const CookbookRef& ref) = 0;
};

/// How git sources log in and whom they trust (client.yaml `git:`, docs/sources-and-lockfile.md
/// "Private sources"). Paths are on the machine running roux; "" = not set.
struct GitOptions {
  std::string netrc;                    // https: credentials file in netrc format (then ~/.netrc)
  std::string credential_helper;        // https: a git credential helper command, asked last
  std::string ssh_key;                  // ssh: private key file ("" = the ssh agent)
  std::string ssh_passphrase_file;      // ssh: the key's passphrase, if it has one
  std::string known_hosts;              // ssh: host keys file ("" = ~/.ssh/known_hosts)
};

/// Settings every source may need. Paths are on the machine running roux.
/// Trust (docs/security.md): `cache_dir` may be inside a --root tree (`confine_root`), which is
/// someone else's image: nothing read from it decides anything until verified now (a cache entry
/// re-hashed, an index copy matched against the trusted record, a git clone's config reset and its
/// offline fallback refused), and every path in it is resolved inside the root. `trusted_dir` is
/// never inside such a tree: it holds what roux must remember to refuse a rollback.
struct SourceContext {
  std::string cache_dir;     // content-addressed cache of fetched cookbooks
  std::string base_dir;      // relative source paths resolve against this (the policy's folder)
  std::vector<std::string> trusted_keys;  // Ed25519 public key files (.pub) signed sources must match
  std::string ca_bundle;     // HTTPS: CA bundle file instead of the system's ("" = system)
  std::string confine_root;  // the --root tree cache_dir is inside ("" = none: the host's own state)
  std::string trusted_dir;   // roux's own trusted records (supermarket serials); "" = none
  TransferLimits transfer;   // download deadlines
  GitOptions git;            // git sources' credentials and known hosts
  bool cache_untrusted() const { return !confine_root.empty() && confine_root != "/"; }
};

/// Opens a source from its URL: "dir:PATH" or a plain path (a folder of cookbook folders, or one
/// cookbook). Unknown schemes are an error naming the supported ones.
Result<std::unique_ptr<Source>> open_source(const std::string& url, const SourceContext& ctx);

/// A folder source (development): every subfolder with a metadata.yaml is a cookbook, or the
/// folder itself when it has one.
Result<std::unique_ptr<Source>> open_dir_source(const std::string& path);

/// A supermarket (a static tree: index "universe" + signed tarballs) at http://, https:// or
/// file:// (supermarket_source.cc). Every tarball and the index are verified against
/// ctx.trusted_keys before use.
Result<std::unique_ptr<Source>> open_supermarket_source(const std::string& url, const SourceContext& ctx);

}  // namespace roux::sources
