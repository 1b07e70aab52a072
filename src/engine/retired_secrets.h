#pragma once
#include <set>
#include <string>

#include "base/status.h"
#include "engine/graph.h"
#include "host/host.h"

namespace roux::engine {

// Retired secrets. A file that held a secret stays secret after the recipe stops saying so: when
// `sensitive: true` is dropped, or a secret is swapped for public text, the next run's diff would
// otherwise show the old secret as its "before". So every run that applies records the names of
// its sensitive resources (the path, for a file or a template) in STATE/sensitive-paths (one per
// line, mode 0600, written atomically). A later resource of that name that is not sensitive
// itself still shows no "before" value ("(sensitive)") and its diff has no removed lines (the new
// content's lines, and mode and owner, stay shown).
// The name is forgotten only after a run that is not sensitive rewrote its content: from then
// on the file holds the new, public text. Names are kept otherwise (a resource removed from the
// policy leaves its file, secret and all, on disk).

/// The file's name inside the state folder.
inline constexpr const char* kSensitivePathsFile = "sensitive-paths";

/// The recorded names; none when the file is missing or unreadable (never an error: the list
/// only ever hides more).
std::set<std::string> load_sensitive_names(const host::Host& host, const std::string& state_dir);

/// Hides the "before" value and the diff's removed lines of every non-public change of every node
/// that is not sensitive but whose resource name is in `names`. Call after the walk, before
/// reporting.
void hide_retired_secrets(Graph& graph, const std::set<std::string>& names);
/// The same for one node: hides in `changes` (its changes, or a copy of them printed as the run
/// goes) what hide_retired_secrets would. Idempotent.
void hide_retired_secrets(const Node& node, std::vector<Change>& changes, const std::set<std::string>& names);

/// After an apply: `names` plus every sensitive node's name, minus the names whose content a
/// non-sensitive node has just rewritten. Writes the file only when the set changed.
Status record_sensitive_names(host::Host& host, const std::string& state_dir, const Graph& graph,
                              const std::set<std::string>& names);

}  // namespace roux::engine
