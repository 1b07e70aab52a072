#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/graph.h"
#include "engine/registry.h"
#include "engine/verify.h"
#include "compiler/lockfile.h"
#include "facts/facts.h"
#include "sources/http.h"
#include "sources/cookbook_set.h"
#include "sources/source.h"

namespace roux::compiler {

/// What to compile: a policy file plus the run's own additions.
struct CompileOptions {
  std::string policy_file;                    // policy.yaml
  std::vector<std::string> extra_sources;     // --source URLs, searched before the policy's
  std::string node_attributes_file;           // -j FILE.json ("" = none)
  std::string cache_dir;                      // for sources that fetch
  std::string secret_key_file;                // X25519 private key for ENC[roux,...] values ("" = none)
  std::vector<std::string> trusted_keys;      // public keys for signed sources (supermarket)
  std::string ca_bundle;                      // HTTPS CA bundle ("" = the system's)
  std::string parse_cache_dir;                // parsed recipes kept between runs ("" = none)
  bool parse_cache_writable = false;          // apply writes new entries; plan only reads
  std::string confine_root;                   // --root: cache_dir is inside it, untrusted (sources/source.h)
  std::string trusted_dir;                    // roux's trusted records, never inside --root ("" = none)
  sources::TransferLimits transfer;           // download deadlines (client.yaml http:)
  sources::GitOptions git;                    // git credentials, ssh key, known_hosts (client.yaml git:)
  bool keep_properties = false;               // fill Compiled::properties (roux policy diff)
  /// Threads the recipes' resources are compiled on, at most (the caller caps it at the cores; a
  /// policy of a few hundred resources, or whose recipes hold encrypted secrets, uses only the
  /// calling thread): the graph, its order, the errors and the log are the same whatever the
  /// number. 1 = only the calling thread.
  int jobs = 1;
};

/// A cookbook chosen for this run, where its files are and where they came from (sources/).
using ResolvedCookbook = sources::ResolvedCookbook;

/// The output of compilation: the resource graph and what it was made from.
struct Compiled {
  std::string policy_name;
  std::string policy_file;
  std::vector<std::string> run_list;          // normalised "cookbook::recipe"
  std::vector<ResolvedCookbook> cookbooks;
  std::string lockfile;                       // the lockfile used ("" = resolved in memory)
  nlohmann::json attributes;                  // merged
  /// Which precedence level set each attribute leaf last: "attr.web.port" -> "node attributes
  /// (-j FILE)" (roux explain). Levels: cookbook NAME attributes.yaml < policy attributes (FILE) <
  /// node attributes (-j FILE) < policy override_attributes (FILE).
  std::map<std::string, std::string> attribute_origin;
  engine::Graph graph;
  std::vector<engine::VerifyCheck> verify;    // recipes' verify: checks, in run-list order
  /// With CompileOptions::keep_properties: each resource's properties as compiled, by id, as
  /// display text ("(sensitive)" for a value that holds a secret), in declaration order.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> properties;
  /// Threads the recipes' resources were compiled on (CompileOptions::jobs; -vv prints it).
  int compile_threads = 1;
};

/// Every error of the compile phase (file:line:col each), or a compiled policy.
struct CompileResult {
  std::unique_ptr<Compiled> compiled;
  std::vector<Status> errors;
  /// The policy's name as soon as the policy file is read (also when a later pass fails), so a
  /// failed run is reported under the same name as a good one ("" when the file itself is bad).
  std::string policy_name;
  bool ok() const { return errors.empty() && compiled; }
};

/// Compiles a policy: parse it, open its sources, choose cookbook versions (exactly the lockfile's
/// when policy.lock.json exists beside the policy: refused when it does not match the policy or a
/// cookbook's content does not match its digest), merge attributes
/// (cookbook defaults < policy < node < override), compile the run list's recipes into a graph,
/// add implicit edges and check for cycles. Never touches the managed host.
CompileResult compile_policy(const CompileOptions& options, const engine::Registry& registry,
                             const facts::Facts& facts);

/// What `roux lock` / `roux update` resolve: the policy (and its sources) of `options`; with
/// `previous`, every cookbook not named in `update` stays pinned at its locked version (an empty
/// `update` re-resolves everything).
struct LockRequest {
  CompileOptions options;
  /// The lockfile's pins: every one kept (keep_all, `roux lock`), or all but `update`'s names
  /// (`roux update NAME...`); nullptr re-resolves everything (`update --all`, first lock).
  const Lockfile* previous = nullptr;
  std::vector<std::string> update;
  bool keep_all = false;
};

/// A lockfile (or, for fetch, the one read), every error, and notes for the user (fetch figures).
struct LockResult {
  Lockfile lock;
  std::vector<Status> errors;
  std::vector<std::string> notes;
  bool ok() const { return errors.empty(); }
};

/// Resolves the policy against its sources (ignoring any existing lockfile), fetches every chosen
/// cookbook into the cache and computes its content digest. Writes nothing beside the policy:
/// the caller writes the lockfile. Never touches the managed host.
LockResult lock_policy(const LockRequest& request);

/// Fetches every cookbook the policy's lockfile pins into the cache and verifies each digest.
/// Errors: no lockfile, a lockfile that does not match the policy, a cookbook neither cached nor
/// fetchable, a digest mismatch.
LockResult fetch_locked_policy(const CompileOptions& options);

/// Reads the policy file and its lockfile and checks that they match, as converge does first.
/// Returns the policy's name. Errors: the policy's first error at file:line:col; kNotFound "...:
/// no lockfile (run `roux lock` first)"; kConflict when the lockfile does not match the policy.
Result<std::string> check_policy_lockfile(const std::string& policy_file);

/// Compiles one recipe of the cookbook in `cookbook_dir` with its default attributes, as if a
/// policy ran only it (what `roux validate COOKBOOK` checks, recipe by recipe).
CompileResult compile_cookbook_recipe(const std::string& cookbook_dir, const std::string& recipe,
                                      const engine::Registry& registry, const facts::Facts& facts);

/// Deep-merges `over` into `base`: objects merge key by key, anything else replaces.
void deep_merge(nlohmann::json& base, const nlohmann::json& over);

/// The meta-properties the compiler reads itself on every resource (requires, notify, only_if,
/// tags, ...); schemas/resources/meta.schema.json declares exactly these (a test checks it).
const std::set<std::string>& meta_property_names();

}  // namespace roux::compiler
