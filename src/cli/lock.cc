// roux lock / roux update / roux fetch: resolve the policy into its lockfile, re-resolve some or
// all of it, and fill the cache with exactly what the lockfile pins.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "base/strings.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "compiler/compile.h"
#include "compiler/lockfile.h"
#include "host/host.h"

namespace roux::cli {
namespace {

namespace fs = std::filesystem;

enum class LockCommand { kLock, kUpdate, kFetch };

struct LockOptions {
  ConvergeOptions common;
  std::vector<std::string> names;  // roux update NAME...
  bool all = false;                // roux update --all
};

void add_options(CLI::App* cmd, LockOptions* o) {
  cmd->add_option("--policy,-p", o->common.policy, "policy file, or a folder holding policy.yaml");
  cmd->add_option("--source,-s", o->common.sources, "cookbook source URL (repeatable; searched first)");
  cmd->add_option("--trust", o->common.trust, "trust this Ed25519 public key (.pub) for signed sources (repeatable)");
  cmd->add_option("--root", o->common.root, "the cache lives in ROOT/STATE_DIR/cache (as for converge --root)");
  cmd->add_option("--state-dir", o->common.state_dir, "state folder inside the root (default /var/lib/roux)");
  cmd->add_option("--config", o->common.config, "client config (default /etc/roux/client.yaml; optional)");
  cmd->add_option("--lock-wait", o->common.lock_wait, "wait up to SECONDS for a running converge's lock (default 0)");
}

int print_errors(const std::vector<Status>& errors, const char* what) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", escape_controls(e.to_string()).c_str());
  std::fprintf(stderr, "roux %s: %zu error%s; the lockfile was not changed\n", what, errors.size(),
               errors.size() == 1 ? "" : "s");
  return kExitNoRun;
}

std::string short_pin(const compiler::LockedCookbook& c) {
  std::string s = c.name + " " + c.version.to_string() + "  " + c.source + "  sha256:" + c.sha256.substr(0, 12);
  if (!c.commit.empty()) s += "  commit:" + c.commit.substr(0, 12);
  return s;
}

int run(LockOptions o, LockCommand cmd) {
  const char* what = cmd == LockCommand::kLock ? "lock" : cmd == LockCommand::kUpdate ? "update" : "fetch";
  // The same policy, sources, trust and cache as converge would use.
  auto config = load_client_config(o.common.config);
  if (!config.is_ok()) return print_errors({config.status()}, what);
  if (o.common.policy.empty()) o.common.policy = config->policy;
  if (o.common.sources.empty()) o.common.sources = config->sources;
  if (o.common.state_dir == "/var/lib/roux" && !config->state_dir.empty()) o.common.state_dir = config->state_dir;
  if (o.common.policy.empty() && !config->policy_name.empty() && cmd != LockCommand::kFetch)
    return print_errors({Status::invalid_input(o.common.config + " runs the published policy " + config->policy_name +
                                               ": its publisher locks it (roux lock on the policy's own folder)")},
                        what);
  if (o.common.policy.empty() && config->policy_name.empty())
    return print_errors({Status::invalid_input("no policy: pass --policy FILE or set policy: in " + o.common.config)}, what);
  if (std::error_code ec; !o.common.policy.empty() && fs::is_directory(o.common.policy, ec))
    o.common.policy = (fs::path(o.common.policy) / "policy.yaml").string();
  auto state_dir = host::normalize_path(o.common.state_dir);
  if (!state_dir.is_ok()) return print_errors({state_dir.status().with_context("--state-dir")}, what);
  if (o.common.policy.empty()) {
    // roux fetch of a published policy (client.yaml policy_name): the policy, then its cookbooks.
    HostPolicyRequest req{first_supermarket(o.common.sources), config->policy_name, config->policy_group,
                          o.common.root, *state_dir};
    req.trusted_keys = config->trusted_keys;
    req.trusted_keys.insert(req.trusted_keys.end(), o.common.trust.begin(), o.common.trust.end());
    req.ca_bundle = config->ca_bundle;
    req.transfer = config->http;
    req.git = config->git;
    auto fetched = fetch_host_policy(req);
    if (!fetched.is_ok()) return print_errors({fetched.status()}, what);
    std::cout << "policy " << config->policy_name << " revision " << fetched->revision << " (group "
              << fetched->group << ")" << (fetched->from_cache ? " from the cached signed copy" : "") << ": verified\n";
    o.common.policy = fetched->dir + "/policy.yaml";
  }
  std::string real_state = (o.common.root == "/" ? "" : o.common.root) + *state_dir;

  compiler::CompileOptions copts{o.common.policy, o.common.sources, "", real_state + "/cache"};
  copts.trusted_keys = config->trusted_keys;
  copts.trusted_keys.insert(copts.trusted_keys.end(), o.common.trust.begin(), o.common.trust.end());
  copts.ca_bundle = config->ca_bundle;
  copts.confine_root = o.common.root == "/" ? "" : o.common.root;
  copts.trusted_dir = trusted_dir_for(o.common.root, real_state);
  copts.transfer = config->http;
  copts.git = config->git;
  std::string lock_path = compiler::lockfile_path(o.common.policy);
  // Never under a running converge: it reads the lockfile and the cache this command rewrites.
  StateLock held;
  if (Status s = take_state_lock(o.common.root, o.common.state_dir, o.common.lock_wait, &held); !s.is_ok())
    return print_errors({s}, what);

  if (cmd == LockCommand::kFetch) {
    compiler::LockResult r = compiler::fetch_locked_policy(copts);
    for (const auto& n : r.notes) std::cout << n << "\n";
    if (!r.ok()) return print_errors(r.errors, what);
    std::cout << "fetched " << r.lock.cookbooks.size() << " cookbook" << (r.lock.cookbooks.size() == 1 ? "" : "s")
              << " pinned by " << lock_path << " into " << real_state << "/cache (verified)\n";
    return kExitClean;
  }

  // A pinned cookbook moves only when asked: `lock` keeps every pin of an existing lockfile and
  // resolves only what is new; `update NAME...` re-resolves those; `update --all` everything.
  if (cmd == LockCommand::kUpdate && o.names.empty() && !o.all)
    return print_errors({Status::invalid_input("roux update: name the cookbooks to re-resolve, or pass --all for every one")}, what);
  if (cmd == LockCommand::kUpdate && !o.names.empty() && o.all)
    return print_errors({Status::invalid_input("roux update: --all or cookbook names, not both")}, what);
  compiler::LockRequest req{copts, nullptr, o.names};
  req.keep_all = cmd == LockCommand::kLock;
  std::optional<compiler::Lockfile> previous;
  {
    auto prev = compiler::read_lockfile(lock_path);
    if (prev.is_ok()) {
      previous = std::move(*prev);
      if (!o.all) req.previous = &*previous;
    } else if (prev.status().code() != Code::kNotFound || !o.names.empty()) {
      return print_errors({prev.status()}, what);
    }
  }
  compiler::LockResult r = compiler::lock_policy(req);
  for (const auto& n : r.notes) std::cout << n << "\n";
  if (!r.ok()) return print_errors(r.errors, what);
  if (Status s = compiler::write_lockfile(lock_path, r.lock); !s.is_ok()) return print_errors({s}, what);
  std::cout << "wrote " << lock_path << " (" << r.lock.cookbooks.size() << " cookbook"
            << (r.lock.cookbooks.size() == 1 ? "" : "s") << ")\n";
  for (const auto& c : r.lock.cookbooks) {
    const compiler::LockedCookbook* old = previous ? previous->find(c.name) : nullptr;
    std::string change;
    if (previous && !old) change = "  (new)";
    else if (old && !(old->version == c.version)) change = "  (was " + old->version.to_string() + ")";
    else if (old && old->sha256 != c.sha256) change = "  (content changed)";
    std::cout << "  " << short_pin(c) << change << "\n";
  }
  if (previous)
    for (const auto& c : previous->cookbooks)
      if (!r.lock.find(c.name)) std::cout << "  " << c.name << " " << c.version.to_string() << "  (removed)\n";
  return kExitClean;
}

}  // namespace

void add_lock_commands(CLI::App& app, int* exit_code) {
  auto* lock_opts = new LockOptions();  // lives as long as the app's callbacks
  auto* lock = app.add_subcommand("lock", "write policy.lock.json beside the policy: existing pins are kept, new cookbooks resolved");
  add_options(lock, lock_opts);
  lock->callback([lock_opts, exit_code] { *exit_code = run(*lock_opts, LockCommand::kLock); });

  auto* update_opts = new LockOptions();
  auto* update = app.add_subcommand("update", "re-resolve NAME... (or --all) in the lockfile; the others stay pinned");
  add_options(update, update_opts);
  update->add_option("names", update_opts->names, "cookbooks to re-resolve (the others stay pinned)");
  update->add_flag("--all", update_opts->all, "re-resolve every cookbook");
  update->callback([update_opts, exit_code] { *exit_code = run(*update_opts, LockCommand::kUpdate); });

  auto* fetch_opts = new LockOptions();
  auto* fetch = app.add_subcommand("fetch", "fetch every cookbook the lockfile pins into the cache, verified");
  add_options(fetch, fetch_opts);
  fetch->callback([fetch_opts, exit_code] { *exit_code = run(*fetch_opts, LockCommand::kFetch); });
}

}  // namespace roux::cli
