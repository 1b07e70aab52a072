// roux bootstrap: a blank host to a converged one with one command. Reads as its passes:
// check the arguments and what is already there, take the run lock, write the client config and
// the trusted key, fetch and verify the published policy and its cookbooks, converge until a
// pass changes nothing, and print a summary a person can read at 3 a.m.
#include "cli/bootstrap.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <algorithm>
#include <map>
#include <sstream>

#include "base/json.h"
#include "base/redact.h"
#include "base/strings.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "compiler/compile.h"
#include "engine/run_lock.h"
#include "host/host.h"
#include "report/run_report.h"
#include "sources/cache.h"
#include "sources/local_file.h"
#include "sources/metadata.h"
#include "sources/policy_groups.h"
#include "sources/trust.h"

namespace roux::cli {

namespace fs = std::filesystem;

// ---- the pure parts (bootstrap.h; the client config: bootstrap_config.cc) ----

bool another_pass(const std::vector<PassOutcome>& passes, int max_passes) {
  if (passes.empty()) return true;
  int last = passes.back().exit_code;
  return (last == kExitChanges || last == kExitBoth) && int(passes.size()) < max_passes;
}

LoopVerdict judge_passes(const std::vector<PassOutcome>& passes) {
  LoopVerdict v;
  if (passes.empty() || passes.back().exit_code == kExitNoRun) {
    v.exit_code = kExitNoRun;
    return v;
  }
  int last = passes.back().exit_code;
  v.settled = last == kExitClean || last == kExitFailures;
  bool changed = false;
  for (const auto& p : passes) changed |= p.exit_code == kExitChanges || p.exit_code == kExitBoth;
  bool failed = last == kExitFailures || last == kExitBoth || !v.settled;
  v.exit_code = (changed ? kExitChanges : 0) | (failed ? kExitFailures : 0);
  return v;
}

// ---- the command ----

namespace {

using Clock = std::chrono::steady_clock;

struct BootstrapOptions {
  std::string source, policy, group;
  std::vector<std::string> trust;
  std::string root = "/";
  std::string state_dir = "/var/lib/roux";
  std::string format = "text";
  bool force = false, fetch_only = false;
  int passes = 3;
  int lock_wait = 0;
  std::string config;  // --config: a client config whose settings are used and written
};

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string seconds(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000.0);
  return buf;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

/// What the summary and the JSON output say; filled as the passes go.
struct Summary {
  std::string source, policy, group, config_path, config_action;
  std::vector<std::string> key_ids;
  sources::FetchedPolicy fetched;
  size_t cookbooks = 0;
  std::map<std::string, int> resources_by_type;
  size_t resources = 0;
  std::vector<PassOutcome> passes;
  std::vector<std::string> failure_errors;  // "id: error" of the last pass's failed resources
  std::vector<engine::VerifyResult> verify;
  std::vector<std::string> errors;          // why it could not run
  std::vector<std::string> next;            // what to do next
  LoopVerdict verdict;
  double total_ms = 0;
};

std::string action_text(ConfigAction a) {
  return a == ConfigAction::kWrite ? "written" : a == ConfigAction::kKeep ? "kept (already the same)" : "replaced (--force)";
}

void print_text(const Summary& s, const BootstrapOptions& o) {
  std::ostringstream out;
  const std::string group = s.group.empty() ? sources::kDefaultPolicyGroup : s.group;
  out << "roux bootstrap: policy " << s.policy << " (group " << group;
  if (s.fetched.revision) out << ", revision " << s.fetched.revision;
  out << ") from " << redact::strip_url_credentials(s.source) << (o.root == "/" ? "" : " into --root " + o.root) << "\n";
  if (!s.config_action.empty())
    out << "  config    " << s.config_path << " " << s.config_action << "; trusts key " << join(s.key_ids) << "\n";
  if (s.fetched.from_cache) out << "  policy    the supermarket was unreachable: used the signed copy cached earlier\n";
  if (s.cookbooks) out << "  fetched   " << s.cookbooks << " cookbook" << (s.cookbooks == 1 ? "" : "s") << ", verified\n";
  if (s.resources) {
    std::vector<std::string> kinds;
    for (const auto& [t, n] : s.resources_by_type) kinds.push_back(std::to_string(n) + " " + t);
    out << "  built     " << s.resources << " resource" << (s.resources == 1 ? "" : "s") << " (" << join(kinds) << ")\n";
  }
  for (size_t i = 0; i < s.passes.size(); ++i) {
    const auto& p = s.passes[i];
    out << "  pass " << i + 1 << "    " << seconds(p.duration_ms) << "  ";
    if (p.exit_code == kExitNoRun) {
      out << "could not run\n";
      continue;
    }
    out << p.changed.size() << " changed, " << p.failed.size() << " failed";
    if (p.changed.empty() && p.failed.empty()) out << ": nothing left to change";
    out << "\n";
    // A pass after the first that still changes things names them: that is what does not settle.
    if (i > 0 && !p.changed.empty()) out << "            changed: " << join(p.changed) << "\n";
    if (!p.failed.empty()) out << "            failed: " << join(p.failed) << "\n";
  }
  if (!s.verify.empty()) {
    size_t ok = 0;
    for (const auto& v : s.verify) ok += v.status == "passed";
    out << "  verify    " << ok << " of " << s.verify.size() << " check" << (s.verify.size() == 1 ? "" : "s") << " passed\n";
    for (const auto& v : s.verify)
      out << "            " << (v.status == "passed" ? "ok    " : "FAILED") << " " << v.name
          << (v.message.empty() ? "" : ": " + v.message) << "\n";
  }
  for (const auto& e : s.failure_errors) out << "  error     " << e << "\n";
  for (const auto& e : s.errors) out << "  error     " << e << "\n";
  const int rc = s.verdict.exit_code;
  out << "  result    ";
  if (rc == kExitNoRun) out << "could not run";
  else if (o.fetch_only) out << "fetched, converged nothing (--fetch-only)";
  else if (!s.verdict.settled) out << "NOT SETTLED after " << s.passes.size() << " passes";
  else if (rc & kExitFailures) out << "converged with failures in " << s.passes.size() << " pass" << (s.passes.size() == 1 ? "" : "es");
  else out << "converged in " << s.passes.size() << " pass" << (s.passes.size() == 1 ? "" : "es");
  out << ", " << seconds(s.total_ms) << " in all (exit " << rc << ")\n";
  for (const auto& n : s.next) out << "  next      " << n << "\n";
  std::cout << redact::redact(escape_controls(out.str()));
  std::cout.flush();
}

void print_json(const Summary& s) {
  nlohmann::ordered_json j;
  j["policy"] = {{"name", s.policy},
                 {"group", s.group.empty() ? sources::kDefaultPolicyGroup : s.group},
                 {"revision", s.fetched.revision},
                 {"sha256", s.fetched.sha256},
                 {"source", redact::strip_url_credentials(s.source)},
                 {"from_cache", s.fetched.from_cache}};
  j["config"] = {{"path", s.config_path}, {"action", s.config_action}};
  j["trusted_key_ids"] = s.key_ids;
  j["cookbooks"] = s.cookbooks;
  j["resources"] = s.resources;
  j["resources_by_type"] = s.resources_by_type;
  j["passes"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < s.passes.size(); ++i)
    j["passes"].push_back({{"pass", i + 1},
                           {"exit_code", s.passes[i].exit_code},
                           {"duration_ms", s.passes[i].duration_ms},
                           {"changed", s.passes[i].changed},
                           {"failed", s.passes[i].failed}});
  j["settled"] = s.verdict.settled;
  j["verify"] = nlohmann::ordered_json::array();
  for (const auto& v : s.verify)
    j["verify"].push_back({{"name", v.name}, {"kind", v.kind}, {"status", v.status}, {"message", v.message}});
  j["errors"] = s.errors;
  j["failures"] = s.failure_errors;
  j["next_steps"] = s.next;
  j["duration_ms"] = s.total_ms;
  j["exit_code"] = s.verdict.exit_code;
  std::cout << redact::redact(json_dump(j, 2)) << "\n";
  std::cout.flush();
}

int finish(Summary& s, const BootstrapOptions& o, Clock::time_point t0) {
  s.total_ms = ms_since(t0);
  if (o.format == "json") print_json(s);
  else print_text(s, o);
  return s.verdict.exit_code;
}

/// Could not run: the reason, what to do, exit 1.
int could_not_run(Summary& s, const BootstrapOptions& o, Clock::time_point t0, const Status& why,
                  std::vector<std::string> next) {
  std::fprintf(stderr, "roux: error: %s\n", escape_controls(redact::redact(why.to_string())).c_str());
  s.errors.push_back(why.to_string());
  s.next = std::move(next);
  s.verdict = {false, kExitNoRun};
  return finish(s, o, t0);
}

/// A file (config, key) inside the root: its content, nullopt when absent.
Result<std::optional<std::string>> read_existing(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return std::optional<std::string>();
  if (fs::is_symlink(fs::symlink_status(path, ec)))
    return Status::untrusted(path + " is a symbolic link; bootstrap writes real files only (remove it)");
  ROUX_ASSIGN_OR_RETURN(std::string text, sources::read_local_file(path, size_t(1) << 20));
  return std::optional<std::string>(std::move(text));
}

int bootstrap(BootstrapOptions o) {
  const auto t0 = Clock::now();
  Summary s;
  s.source = o.source;
  s.policy = o.policy;
  s.group = o.group;
  const std::string retry = "then run the same `roux bootstrap` again: it is safe to repeat";

  // 1. The arguments. A published policy lives in a supermarket or a git policy repository.
  while (o.source.size() > 8 && o.source.back() == '/') o.source.pop_back();
  if (!starts_with(o.source, "http://") && !starts_with(o.source, "https://") && !starts_with(o.source, "file://") &&
      !sources::is_git_policy_source(o.source))
    return could_not_run(s, o, t0,
                         Status::invalid_input("--source " + redact::strip_url_credentials(o.source) +
                                               ": a published policy is fetched from a supermarket (http://, https:// "
                                               "or file://) or a git policy repository (git+...)"),
                         {"publish the policy with `roux supermarket publish-policy` and pass that supermarket's URL"});
  if (!sources::is_valid_cookbook_name(o.policy))
    return could_not_run(s, o, t0, Status::invalid_input("--policy \"" + o.policy + "\" is not a valid policy name"), {});
  if (!o.config.empty())  // --config's policy_name must agree; its policy_group is the group when --group is not given
    if (auto cfg = load_client_config(o.config); cfg.is_ok()) {
      if (!cfg->policy_name.empty() && cfg->policy_name != o.policy)
        return could_not_run(s, o, t0,
                             Status::invalid_input("--policy " + o.policy + " but --config " + o.config +
                                                   " says policy_name: " + cfg->policy_name),
                             {"drop one of them, or make them agree"});
      if (o.group.empty()) {
        o.group = s.group = cfg->policy_group;
      } else if (!cfg->policy_group.empty() && o.group != cfg->policy_group) {
        return could_not_run(s, o, t0,
                             Status::invalid_input("--group " + o.group + " but --config " + o.config +
                                                   " says policy_group: " + cfg->policy_group),
                             {"drop one of them, or make them agree"});
      }
    }
  if (!o.group.empty() && !sources::is_valid_cookbook_name(o.group))
    return could_not_run(s, o, t0, Status::invalid_input("--group \"" + o.group + "\" is not a valid group name"), {});
  auto store = sources::TrustStore::load(o.trust);
  if (!store.is_ok())
    return could_not_run(s, o, t0, store.status(), {"pass the publisher's public key file (.pub) with --trust"});
  auto state_dir = host::normalize_path(o.state_dir);
  if (!state_dir.is_ok()) return could_not_run(s, o, t0, state_dir.status().with_context("--state-dir"), {});
  if (o.root != "/") {
    std::error_code ec;
    if (!fs::is_directory(o.root, ec))
      return could_not_run(s, o, t0, Status::not_found("--root " + o.root + ": no such folder"), {});
    o.root = fs::absolute(o.root).lexically_normal().string();
    while (o.root.size() > 1 && o.root.back() == '/') o.root.pop_back();
  }
  const std::string in_root = o.root == "/" ? "" : o.root;

  // 2. What bootstrap writes, and whether what is there may be kept or replaced: decided in
  // full before anything is written, so a refusal changes nothing.
  BootstrapConfig want{o.source, o.policy, o.group, {}, {}};
  ClientConfig given;  // --config: every setting the host needs (git credentials, ca_bundle, http, handlers, ...)
  if (!o.config.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(o.config, ec))
      return could_not_run(s, o, t0, Status::not_found("--config " + o.config + ": no such file"), {});
    auto text = sources::read_local_file(o.config, size_t(1) << 20);
    if (!text.is_ok()) return could_not_run(s, o, t0, text.status().with_context("--config"), {});
    auto cfg = parse_client_config(*text, o.config);  // validated as converge reads it: file:line:col
    if (!cfg.is_ok()) return could_not_run(s, o, t0, cfg.status().with_context("--config"), {});
    auto others = other_config_settings(*text, o.config);
    if (!others.is_ok()) return could_not_run(s, o, t0, others.status().with_context("--config"), {});
    if (!cfg->state_dir.empty() && cfg->state_dir != *state_dir)
      return could_not_run(s, o, t0,
                           Status::invalid_input("--config " + o.config + " sets state_dir: " + cfg->state_dir +
                                                 ", but bootstrap fills " + *state_dir + "; pass --state-dir " +
                                                 cfg->state_dir),
                           {});
    given = *cfg;
    want.git = cfg->git;
    want.settings = *others;
    want.from_config = true;
  }
  std::vector<std::pair<std::string, std::string>> keys;  // (path in root, content)
  for (const auto& k : o.trust) {
    std::string base = fs::path(k).filename().string();
    if (base.empty() || base == "." || base == "..")
      return could_not_run(s, o, t0, Status::invalid_input("--trust " + k + ": not a key file name"), {});
    auto content = sources::read_local_file(k, 1 << 16);
    if (!content.is_ok()) return could_not_run(s, o, t0, content.status(), {});
    want.trusted_keys.push_back("/etc/roux/trusted/" + base);
    keys.emplace_back("/etc/roux/trusted/" + base, *content);
  }
  // What bootstrap writes must read back as a valid client config.
  if (auto back = parse_client_config(render_bootstrap_config(want), "the client.yaml bootstrap would write"); !back.is_ok())
    return could_not_run(s, o, t0, back.status(), {});
  s.key_ids = store->ids();  // what a person compares with the publisher's `roux keygen` output
  auto etc = sources::confined_dir(o.root, "/etc/roux", false);
  if (!etc.is_ok()) return could_not_run(s, o, t0, etc.status(), {});
  s.config_path = in_root + "/etc/roux/client.yaml";
  auto existing = read_existing(*etc + "/client.yaml");
  if (!existing.is_ok()) return could_not_run(s, o, t0, existing.status(), {});
  auto action = decide_config(*existing, s.config_path, want, o.force);
  if (!action.is_ok())
    return could_not_run(s, o, t0, action.status(),
                         {"compare " + s.config_path + " with the arguments; rerun with --force to replace it"});
  for (const auto& [path, content] : keys) {
    auto have = read_existing(*etc + "/trusted/" + fs::path(path).filename().string());
    if (!have.is_ok()) return could_not_run(s, o, t0, have.status(), {});
    if (*have && **have != content && !o.force)
      return could_not_run(s, o, t0,
                           Status::conflict(in_root + path + " exists with another key; nothing was changed; pass "
                                            "--force to replace it"),
                           {"check which key the publisher signs with (roux supermarket show prints key ids)"});
  }

  // 3. The state folder and the run lock, held to the end: no timer run interleaves.
  auto state = sources::confined_dir(o.root, *state_dir, true, 0700);
  if (!state.is_ok()) return could_not_run(s, o, t0, state.status().with_context("state folder"), {});
  engine::RunLock lock;
  if (Status st = lock.acquire(*state + "/run.lock", o.lock_wait, true); !st.is_ok())
    return could_not_run(s, o, t0, st, {"wait for the other roux run to finish (or pass --lock-wait SECONDS), " + retry});
  lock.mark_running();

  // 4. The trusted keys and the config.
  auto trusted = sources::confined_dir(o.root, "/etc/roux/trusted", true);
  if (!trusted.is_ok()) return could_not_run(s, o, t0, trusted.status(), {});
  std::vector<std::string> key_files;  // the copies, as this process reads them
  for (const auto& [path, content] : keys) {
    std::string file = *trusted + "/" + fs::path(path).filename().string();
    auto have = read_existing(file);
    bool same = have.is_ok() && *have && **have == content;  // a repeated bootstrap writes nothing
    if (!same)
      if (Status st = sources::write_local_file_atomic(file, content, 0644); !st.is_ok())
        return could_not_run(s, o, t0, st, {});
    key_files.push_back(file);
  }
  {
    auto copies = sources::TrustStore::load(key_files);
    if (!copies.is_ok()) return could_not_run(s, o, t0, copies.status(), {});
  }
  if (*action != ConfigAction::kKeep) {
    if (Status st = sources::write_local_file_atomic(*etc + "/client.yaml", render_bootstrap_config(want), 0644); !st.is_ok())
      return could_not_run(s, o, t0, st, {});
  }
  s.config_action = action_text(*action);

  // 5. The policy: its signed revision for the group, verified, installed under the state folder.
  HostPolicyRequest req{o.source, o.policy, o.group, o.root, *state_dir};
  req.trusted_keys = key_files;
  req.git = want.git;
  req.ca_bundle = given.ca_bundle;
  req.transfer = given.http;
  auto fetched = fetch_host_policy(req);
  if (!fetched.is_ok())
    return could_not_run(s, o, t0, fetched.status(),
                         {"check the URL answers (curl " + redact::strip_url_credentials(o.source) +
                              "/universe), the policy and group are published there (roux supermarket show), and "
                              "--trust is the publisher's key; " + retry,
                          "without a network: bake the cache beforehand with `roux bootstrap --fetch-only --root IMAGE`"});
  s.fetched = *fetched;
  const std::string policy_file = fetched->dir + "/policy.yaml";

  // 6. Its cookbooks, exactly as the lockfile pins them, verified into the cache.
  compiler::CompileOptions copts{policy_file, {}, "", in_root + *state_dir + "/cache"};
  copts.trusted_keys = key_files;
  copts.git = want.git;
  copts.ca_bundle = given.ca_bundle;
  copts.transfer = given.http;
  copts.confine_root = o.root == "/" ? "" : o.root;
  copts.trusted_dir = trusted_dir_for(o.root, in_root + *state_dir);
  compiler::LockResult books = compiler::fetch_locked_policy(copts);
  if (!books.ok()) {
    for (const auto& e : books.errors) s.errors.push_back(e.to_string());
    std::string first = s.errors.front();
    s.errors.erase(s.errors.begin());
    return could_not_run(s, o, t0, Status::not_found(first),
                         {"the policy's lockfile pins cookbooks its sources cannot provide: publish them to the "
                          "supermarket the lockfile names, or re-lock the policy against it; " + retry});
  }
  s.cookbooks = books.lock.cookbooks.size();
  if (o.fetch_only) {
    s.verdict = {true, kExitClean};
    s.next.push_back("boot the image, then run `roux bootstrap` with the same arguments (works without the network)");
    return finish(s, o, t0);
  }

  // 7. Converge until a pass changes nothing (at most --passes).
  ConvergeOptions co;
  co.policy = policy_file;
  co.trust = key_files;
  co.root = o.root;
  co.state_dir = *state_dir;
  co.config = o.root == "/" ? "/etc/roux/client.yaml" : "";  // --root: the image's config names image paths
  co.no_color = true;
  co.caller_holds_lock = true;
  co.silent = true;
  co.policy_group = o.group.empty() ? sources::kDefaultPolicyGroup : o.group;
  while (another_pass(s.passes, o.passes)) {
    report::RunReport rep;
    auto pt = Clock::now();
    int rc = run_converge(co, &rep);
    PassOutcome p;
    p.exit_code = rc;
    p.duration_ms = ms_since(pt);
    s.failure_errors.clear();
    for (const auto& r : rep.resources) {
      if (r.status == "changed") p.changed.push_back(r.id);
      if (r.status == "failed") {
        p.failed.push_back(r.id);
        s.failure_errors.push_back(r.id + ": " + r.error);
      }
    }
    if (s.passes.empty()) {
      s.resources = rep.resources.size();
      for (const auto& r : rep.resources) ++s.resources_by_type[r.type];
    }
    for (const auto& e : rep.errors) s.errors.push_back(e);
    s.verify = rep.verify;
    s.passes.push_back(std::move(p));
  }
  s.verdict = judge_passes(s.passes);

  // 8. What to do next, when something is left.
  const PassOutcome& last = s.passes.back();
  if (last.exit_code == kExitNoRun) {
    s.next.push_back("fix the error above (a compile error is at file:line:col), then " + retry);
  } else {
    if (!s.verdict.settled)
      s.next.push_back("these resources change on every run: " + join(last.changed) +
                       "; give each a guard (not_if/only_if, creates) or content that does not vary, republish the "
                       "policy, then " + retry);
    if (!last.failed.empty())
      s.next.push_back("fix the failed resources (details: " + in_root + *state_dir +
                       "/last_run.json, or `roux history`), then " + retry);
    bool verify_failed = false;
    for (const auto& v : s.verify) verify_failed |= v.status != "passed";
    if (verify_failed) s.next.push_back("a verify check failed: the host converged but does not work as the policy expects; see the checks above");
    if (s.verdict.exit_code == kExitClean || s.verdict.exit_code == kExitChanges)
      s.next.push_back("nothing: the host is converged; the timer (or cron) keeps it so with `roux converge`");
  }
  return finish(s, o, t0);
}

}  // namespace

std::string first_supermarket(const std::vector<std::string>& list) {
  for (const auto& u : list)
    if (starts_with(u, "http://") || starts_with(u, "https://") || starts_with(u, "file://")) return u;
  // No supermarket: a git policy repository (docs/supermarket.md "Policy groups and promotion").
  for (const auto& u : list)
    if (sources::is_git_policy_source(u)) return u;
  return "";
}

Result<sources::FetchedPolicy> fetch_host_policy(const HostPolicyRequest& r) {
  if (r.url.empty())
    return Status::invalid_input("policy_name " + r.name +
                                 ": a published policy needs a supermarket (http://, https://, file://) or a git "
                                 "policy repository (git+...) in sources:");
  if (!sources::is_valid_cookbook_name(r.name))
    return Status::invalid_input("policy_name \"" + r.name + "\" is not a valid policy name");
  const std::string in_root = r.root == "/" ? "" : r.root;
  sources::SourceContext ctx;
  ctx.cache_dir = in_root + r.state_dir + "/cache";
  ctx.trusted_keys = r.trusted_keys;
  ctx.ca_bundle = r.ca_bundle;
  ctx.confine_root = r.root == "/" ? "" : r.root;
  ctx.trusted_dir = trusted_dir_for(r.root, in_root + r.state_dir);
  ctx.transfer = r.transfer;
  redact::add_secret(redact::url_password(r.url));
  sources::Cache cache(ctx.cache_dir, ctx.confine_root);
  ROUX_ASSIGN_OR_RETURN(std::string cache_dir, cache.subdir("policies/" + r.name, true));
  if (sources::is_git_policy_source(r.url)) {
    // A git policy repository: the group's signed pointer and its lock, from a clone in the cache.
    std::vector<std::string> keys = r.trusted_keys;
    ROUX_ASSIGN_OR_RETURN(sources::TrustStore trust, sources::TrustStore::load(keys));
    ROUX_ASSIGN_OR_RETURN(std::string clones, cache.subdir("git", true));
    return sources::fetch_git_policy(r.url, r.name, r.group.empty() ? sources::kDefaultPolicyGroup : r.group, trust,
                                     clones, cache_dir + "/policy", ctx.trusted_dir,
                                     {r.git, r.ca_bundle, r.transfer.timeout_s});
  }
  ROUX_ASSIGN_OR_RETURN(sources::SupermarketOptions opts, sources::supermarket_options(r.url, ctx));
  // Installed inside the cache too: plan writes nothing of roux's own but the source cache.
  return sources::fetch_published_policy(r.url, r.name, r.group, opts, cache_dir, cache_dir + "/policy");
}

void add_bootstrap_command(CLI::App& app, int* exit_code) {
  auto* o = new BootstrapOptions();  // lives as long as the app's callbacks
  auto* b = app.add_subcommand(
      "bootstrap",
      "make a blank host converge to a published policy: write client.yaml and the trusted key, fetch and "
      "verify the policy and its cookbooks, converge until nothing changes, run the verify checks");
  b->add_option("--source,-s", o->source, "supermarket URL the policy is published in (http://, https://, file://)")
      ->required();
  b->add_option("--policy,-p", o->policy, "published policy name (roux supermarket publish-policy)")->required();
  b->add_option("--group,-g", o->group, "policy group: selects the revision (default: the group \"default\")");
  b->add_option("--trust", o->trust, "the publisher's Ed25519 public key (.pub); copied to /etc/roux/trusted/ (repeatable)")
      ->required();
  b->add_option("--root", o->root, "bootstrap this folder as if it were / (an image, a chroot)");
  b->add_option("--state-dir", o->state_dir, "state folder inside the root (default /var/lib/roux)");
  b->add_flag("--force", o->force, "replace an existing client.yaml or trusted key that differs");
  b->add_option("--passes", o->passes, "converge at most N times, until a pass changes nothing (default 3)")
      ->check(CLI::Range(1, 20));
  b->add_flag("--fetch-only", o->fetch_only,
              "write the config and key, fetch and verify the policy and cookbooks into the cache, converge nothing "
              "(bakes an image that bootstraps without the network)");
  b->add_option("--config", o->config,
                "a client config whose settings the host needs (git: credentials, ca_bundle, http, handlers, "
                "reboot, secret_key, ...): bootstrap fetches with them and writes them all into the client.yaml it "
                "makes (its sources, policy and trusted_keys come from the arguments)");
  b->add_option("--lock-wait", o->lock_wait, "wait up to SECONDS for another run's lock (default 0)");
  b->add_option("--format", o->format, "output format of the summary (json: passes, verify, next_steps, exit_code)")
      ->check(CLI::IsMember({"text", "json"}));
  b->footer(
      "Exit codes as for converge: 0 nothing to change, 2 converged (changes made), 4 failures (a resource\n"
      "or a verify check failed), 6 changes and failures (also: never settled within --passes), 1 could\n"
      "not run (bad arguments, a different config without --force, source unreachable with nothing\n"
      "cached, a signature or checksum that does not verify). Safe to repeat. See docs/bootstrap.md.");
  b->callback([o, exit_code] { *exit_code = bootstrap(*o); });
}

}  // namespace roux::cli
