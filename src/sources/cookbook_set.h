#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/semver.h"
#include "base/status.h"
#include "sources/resolver.h"
#include "sources/source.h"

namespace roux::sources {

/// One cookbook a lockfile pins: by name, version and content digest; `source` is where it came
/// from when locked, a hint, not a requirement (compiler/lockfile.h's LockedCookbook is this).
struct PinnedCookbook {
  std::string name;
  Version version;
  std::string source;  // the source URL it came from
  std::string sha256;  // content_digest of its folder (sources/cache.h)
  std::string commit;  // git sources: the commit the tag pointed to ("" otherwise)
  std::map<std::string, std::string> depends;
};

/// A cookbook chosen for this run and where its files are.
struct ResolvedCookbook {
  CookbookRef ref;   // as the lockfile pins it, or as the source offered it
  std::string path;  // a local folder holding exactly it
  /// Provenance: "cache" (the content-addressed cache, verified) or the URL of the source it was
  /// fetched from (a mirror's when the lockfile's own source could not provide it).
  std::string from;
  /// Its content digest: verified against the pin (locked), or computed when asked (resolve with
  /// digests, for `roux lock`); "" otherwise.
  std::string sha256;
};

/// What the compiler reads: the chosen cookbooks in resolution order (run-list roots first,
/// which is also the order their default attributes merge in), or every error.
struct CookbookSet {
  std::vector<ResolvedCookbook> cookbooks;
  std::vector<Status> errors;
  /// resolve(): the last error is the resolver's (no version satisfies, not found), about this
  /// cookbook ("" = the run list's first): the caller points it at that cookbook's constraint.
  bool unresolvable = false;
  std::string failed_cookbook;
  bool ok() const { return errors.empty(); }
  const ResolvedCookbook* find(const std::string& name) const;
};

/// The run's sources, opened once: the search list (--source URLs, then the policy's), plus the
/// sources a lockfile names, opened when first needed. Turns a policy's wishes or a lockfile's
/// pins into a CookbookSet; the compiler only reads that set. Not thread-safe; one per run.
class SourceSet {
 public:
  explicit SourceSet(SourceContext ctx) : ctx_(std::move(ctx)) {}

  /// Opens each URL of the search list, in order. A password in a URL is registered with the
  /// redactor first (sources keep it out of url(), so out of the lockfile, reports and messages).
  /// Returns every URL's error (an unknown scheme, a missing folder, ...).
  std::vector<Status> open(const std::vector<std::string>& urls);

  /// Without a lockfile: the newest version of every needed cookbook satisfying `requirements`
  /// and each chosen version's depends (sources/resolver.h), each fetched from its source. With
  /// `digests`, each one's content digest too (what `roux lock` pins).
  CookbookSet resolve(const std::vector<std::string>& roots, const std::vector<Requirement>& requirements,
                      bool digests = false);

  /// With a lockfile: exactly the pinned cookbooks, from the cache when there, else from the
  /// pin's source, else from any source of the search list that offers the same name, version
  /// and content (a mirror, another git remote); each verified against its digest before use.
  /// An unreachable source is a warning while the cache suffices; one that fails verification
  /// is said so, loudly. Errors: a cookbook nobody can provide (kNotFound, with what each source
  /// said), a digest mismatch (kUntrusted).
  CookbookSet fetch_locked(const std::vector<PinnedCookbook>& pins);

  /// One line per git source: "URL: fetched N objects (B bytes)" or "not fetched (...)".
  std::vector<std::string> fetch_notes() const;

  const SourceContext& context() const { return ctx_; }

 private:
  Source* source_for(const std::string& url, std::vector<Status>* errors);
  std::string fetch_elsewhere(const std::vector<Source*>& search, const Source* skip, const PinnedCookbook& c,
                              std::vector<std::string>* tried, std::string* from);

  SourceContext ctx_;
  std::vector<std::unique_ptr<Source>> sources_;
};

}  // namespace roux::sources
