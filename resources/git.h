#pragma once
// The run's git transfer settings for the `git` resource (client.yaml `git:`, `ca_bundle`,
// `http: {timeout}`), set once by the CLI before the walk, as for git sources.
#include "sources/git_auth.h"

namespace roux::resources {

void set_git_transfer_settings(sources::GitTransferSettings settings);

}  // namespace roux::resources
