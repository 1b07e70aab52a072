#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sources/source.h"

namespace roux::sources {

/// What the last git fetch of a git source transferred (libgit2's indexer statistics).
struct GitFetchStats {
  bool fetched = false;          // false when the remote was unreachable (offline, cached clone used)
  unsigned received_objects = 0;
  size_t received_bytes = 0;
};

/// A git repository of cookbooks (git_source.cc, libgit2). URLs:
///   git+file:///srv/cookbooks.git   git+https://host/repo.git   git+ssh://git@host/repo.git
///   git://host/repo.git             git@host:ops/repo.git (scp-style ssh)
/// https credentials, ssh key and known_hosts come from ctx.git (sources/git_auth.h).
/// with an optional folder for a monorepo: "#FOLDER" or "?dir=FOLDER".
/// Versions are tags (docs/sources-and-lockfile.md):
///   vX.Y.Z / X.Y.Z                 the cookbook at FOLDER (or the repository root)
///   NAME-vX.Y.Z / NAME/vX.Y.Z / NAME/X.Y.Z   cookbook NAME in FOLDER/NAME (or FOLDER itself when its
///                                  metadata names NAME)
/// A tag whose metadata.yaml disagrees with it (other name or version) is skipped with a warning.
/// The repository is cloned bare into CACHE/git/ on first use; later runs only `git fetch` the
/// tags (an unchanged remote: one negotiation, no objects). When the remote is unreachable and a
/// clone exists, the clone is used with a warning. Metadata is read from the object database (no
/// checkout); fetch() materialises the pinned commit's folder into the content-addressed cache.
Result<std::unique_ptr<Source>> open_git_source(const std::string& url, const SourceContext& ctx);

/// True for a URL open_source() gives to open_git_source(): "git+...", "git://..." or scp-style
/// "USER@HOST:PATH" (no "://", the "@" and a ":" before any "/").
bool is_git_source_url(std::string_view url);
/// scp-style "USER@HOST:PATH".
bool is_scp_like(std::string_view url);

/// The statistics of the last universe() call of a git source; nullptr for other sources.
const GitFetchStats* git_fetch_stats(const Source& source);

}  // namespace roux::sources
