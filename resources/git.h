#pragma once
// The run's git transfer settings for the `git` resource (client.yaml `git:`, `ca_bundle`,
// `http: {timeout}`), set once by the CLI before the walk, as for git sources.
#include <optional>
#include <string>
#include <string_view>

#include "sources/git_auth.h"

namespace roux::resources {

void set_git_transfer_settings(sources::GitTransferSettings settings);

/// Why `url` is not a repository the `git` resource (or a submodule) may name; nullopt when it is.
/// Accepted: file:///, https://, http://, ssh://, git:// and scp-style USER@HOST:PATH.
std::optional<std::string> check_repository_url(const std::string& url);

/// A submodule's "./" or "../" URL against its superproject's URL, as git resolves it: each "../"
/// drops one path component of `base` ("https://h/a/b.git" + "../c.git" = "https://h/a/c.git";
/// "git@h:a/b.git" + "../c.git" = "git@h:a/c.git"); nullopt when it would climb above the path
/// (into the host) or keeps a ".." further in.
std::optional<std::string> resolve_relative_git_url(std::string base, std::string_view rel);

}  // namespace roux::resources
