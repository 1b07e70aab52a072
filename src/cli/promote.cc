// roux promote, roux policy status, roux policy diff: policy groups (docs/supermarket.md "Policy
// groups and promotion"). A policy is locked once; each group points at an exact lock; promote
// moves that lock, signed, from one group to another; status shows which lock each group runs;
// diff shows what differs between two groups, down to the compiled resources. The reading and
// writing of groups is in sources/policy_groups.cc.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "base/json.h"
#include "base/redact.h"
#include "base/strings.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "compiler/compile.h"
#include "compiler/lockfile.h"
#include "facts/facts.h"
#include "host/host.h"
#include "resources/builtin.h"
#include "sources/local_file.h"
#include "sources/metadata.h"
#include "sources/policy_groups.h"

namespace roux::cli {
namespace {

namespace fs = std::filesystem;

struct PolicyCli {
  std::string policy, from, to, source, key;
  std::vector<std::string> trust;
  std::string config = "/etc/roux/client.yaml";
  std::string root = "/", state_dir = "/var/lib/roux";
  std::string format = "text";
  int lock_wait = 0;
  int expires_days = sources::kDefaultIndexExpiryDays;
};

int fail(const Status& s, const std::string& next = "") {
  std::cerr << "roux: error: " << escape_controls(redact::redact(s.to_string())) << "\n";
  if (!next.empty()) std::cerr << "  next: " << next << "\n";
  return kExitNoRun;
}

std::string short_lock(const std::string& digest) { return "sha256:" + digest.substr(0, 12); }

/// The trusted keys: the client config's plus --trust. None is an error: every read is verified.
Result<sources::TrustStore> trust_of(const PolicyCli& o, const ClientConfig& cfg) {
  std::vector<std::string> keys = cfg.trusted_keys;
  keys.insert(keys.end(), o.trust.begin(), o.trust.end());
  if (keys.empty())
    return Status::invalid_input("no trusted keys: pass --trust KEY.pub (the publisher's public key) or list "
                                 "trusted_keys: in " + o.config);
  return sources::TrustStore::load(keys);
}

/// "NAME OLD -> NEW" for each cookbook whose version (or content) differs between two lockfiles,
/// "NAME V (new)" / "NAME V (removed)"; `unchanged` counts the rest. A lockfile that does not
/// parse counts as empty (its cookbooks all show as new or removed).
std::vector<std::string> cookbook_moves(const std::string& old_lock, const std::string& new_lock, int* unchanged,
                                        nlohmann::ordered_json* json = nullptr) {
  auto parse = [](const std::string& text) {
    std::map<std::string, std::pair<std::string, std::string>> m;  // name -> (version, sha256)
    if (text.empty()) return m;
    if (auto l = compiler::parse_lockfile(text, "policy.lock.json"); l.is_ok())
      for (const auto& c : l->cookbooks) m[c.name] = {c.version.to_string(), c.sha256};
    return m;
  };
  auto a = parse(old_lock), b = parse(new_lock);
  std::set<std::string> names;
  for (const auto& [n, v] : a) names.insert(n);
  for (const auto& [n, v] : b) names.insert(n);
  std::vector<std::string> out;
  *unchanged = 0;
  for (const auto& n : names) {
    auto x = a.find(n), y = b.find(n);
    std::string from = x == a.end() ? "" : x->second.first, to = y == b.end() ? "" : y->second.first;
    if (x == a.end()) out.push_back(n + " " + to + " (new)");
    else if (y == b.end()) out.push_back(n + " " + from + " (removed)");
    else if (from != to) out.push_back(n + " " + from + " -> " + to);
    else if (x->second.second != y->second.second)
      out.push_back(n + " " + from + " (content sha256:" + x->second.second.substr(0, 12) + " -> sha256:" +
                    y->second.second.substr(0, 12) + ")");
    else {
      ++*unchanged;
      continue;
    }
    if (json) json->push_back({{"name", n}, {"from", from}, {"to", to}});
  }
  return out;
}

std::string cookbook_list(const std::string& lock_json) {
  std::string out;
  if (auto l = compiler::parse_lockfile(lock_json, "policy.lock.json"); l.is_ok())
    for (const auto& c : l->cookbooks) out += (out.empty() ? "" : ", ") + c.name + " " + c.version.to_string();
  return out;
}

// ---- roux promote ----

int promote(PolicyCli o) {
  auto cfg = load_client_config(o.config);
  if (!cfg.is_ok()) return fail(cfg.status());
  for (const auto* g : {&o.from, &o.to})
    if (!sources::is_valid_cookbook_name(*g)) return fail(Status::invalid_input("\"" + *g + "\" is not a valid group name"));
  if (!sources::is_valid_cookbook_name(o.policy))
    return fail(Status::invalid_input("\"" + o.policy + "\" is not a valid policy name"));
  if (o.from == o.to) return fail(Status::invalid_input("--from-group and --to-group name the same group " + o.from));
  auto trust = trust_of(o, *cfg);
  if (!trust.is_ok()) return fail(trust.status());
  auto key = sources::SigningKey::load(o.key);
  if (!key.is_ok()) return fail(key.status());
  // Promotion writes state (the source, and roux's cache folder): one run at a time.
  StateLock lock;
  if (Status s = take_state_lock(o.root, o.state_dir, o.lock_wait, &lock); !s.is_ok())
    return fail(s, "wait for the other roux run to finish, or pass --lock-wait SECONDS");
  Result<sources::PromoteResult> r = Status::internal("unset");
  std::string where;
  if (sources::is_remote_policy_repo(o.source)) {
    // A remote repository: fetched into a private clone, committed there, pushed with client.yaml git: settings.
    where = "git repository " + redact::strip_url_credentials(o.source);
    sources::ScratchDir scratch("groups");
    if (scratch.path.empty()) return fail(Status::io("mkdtemp", errno));
    r = sources::promote_in_remote_git(o.source, o.policy, o.from, o.to, *key, *trust, scratch.path,
                                       {cfg->git, cfg->ca_bundle, cfg->http.timeout_s});
  } else if (sources::is_git_policy_source(o.source) || fs::exists(o.source + "/.git") || fs::exists(o.source + "/HEAD")) {
    auto repo = sources::local_policy_repo(o.source);
    if (!repo.is_ok()) return fail(repo.status());
    where = "git repository " + *repo;
    r = sources::promote_in_git(*repo, o.policy, o.from, o.to, *key, *trust);
  } else {
    where = "supermarket " + o.source;
    r = sources::promote_in_supermarket(o.source, o.policy, o.from, o.to, *key, *trust, o.expires_days);
  }
  if (!r.is_ok()) {
    std::cerr << "roux: error: " << escape_controls(redact::redact(r.status().to_string())) << "\n";
    std::cerr << "roux: policy " << o.policy << " was not promoted; group " << o.to << " was not changed\n";
    return kExitNoRun;
  }
  const auto& f = r->from;
  if (!r->moved) {
    std::cout << "group " << o.to << " of policy " << o.policy << " already runs lock " << short_lock(f.lock_sha256)
              << " (as " << o.from << " does); nothing to do\n";
    return kExitClean;
  }
  std::ostringstream out;
  out << "promoted policy " << o.policy << " from " << o.from << " to " << o.to << " in " << where << "\n";
  out << "  lock      sha256:" << f.lock_sha256 << (f.revision ? " (revision " + std::to_string(f.revision) + ")" : "")
      << "\n";
  if (r->to_before)
    out << "  was       sha256:" << r->to_before->lock_sha256
        << (r->to_before->revision ? " (revision " + std::to_string(r->to_before->revision) + ")" : "") << "\n";
  else if (!r->to_before_problem.empty())
    out << "  was       unreadable: " << r->to_before_problem << "\n";
  else
    out << "  was       nothing (a new group)\n";
  out << "  signed    by key " << key->id() << (r->commit.empty() ? "" : ", commit " + r->commit) << "\n";
  int unchanged = 0;
  auto moves = cookbook_moves(r->to_before ? r->to_before->files.lock_json : "", f.files.lock_json, &unchanged);
  for (const auto& m : moves) out << "  cookbook  " << m << "\n";
  out << "  " << moves.size() << " cookbook" << (moves.size() == 1 ? "" : "s") << " moved, " << unchanged << " unchanged\n";
  out << "hosts of group " << o.to << " converge to this lock on their next run\n";
  std::cout << escape_controls(out.str());
  return kExitClean;
}

// ---- reading groups for status and diff ----

/// The groups of a policy as a source serves them, each read and verified (or why not).
struct SourceGroups {
  std::string shown;
  std::vector<std::string> names;
  std::map<std::string, Result<sources::GroupView>> groups;
};

/// --source, or the client config's policy source (its first supermarket, else its first git URL).
Result<std::string> source_of(const PolicyCli& o, const ClientConfig& cfg) {
  std::string s = o.source;
  if (s.empty()) {
    s = first_supermarket(cfg.sources);
    for (const auto& u : cfg.sources)
      if (s.empty() && sources::is_git_policy_source(u)) s = u;
  }
  if (s.empty()) return Status::invalid_input("no policy source: pass --source URL or list one in sources: of " + o.config);
  if (s.find("://") == std::string::npos) {  // a supermarket folder
    std::error_code ec;
    s = "file://" + fs::absolute(s, ec).lexically_normal().string();
  }
  return s;
}

/// `only`: the groups wanted (empty = all the policy has).
Result<SourceGroups> read_groups(const PolicyCli& o, const ClientConfig& cfg, const sources::TrustStore& trust,
                                 const std::string& scratch, const std::vector<std::string>& only) {
  ROUX_ASSIGN_OR_RETURN(std::string url, source_of(o, cfg));
  SourceGroups out;
  out.shown = redact::strip_url_credentials(url);
  if (sources::is_git_policy_source(url)) {
    ROUX_ASSIGN_OR_RETURN(std::string clone,
                          sources::update_policy_clone(url, scratch, {cfg.git, cfg.ca_bundle, cfg.http.timeout_s}));
    if (only.empty()) {
      ROUX_ASSIGN_OR_RETURN(out.names, sources::git_group_names(clone, o.policy));
    } else {
      out.names = only;
    }
    for (const auto& g : out.names) out.groups.emplace(g, sources::read_git_group(clone, o.policy, g, trust, out.shown));
    return out;
  }
  sources::SupermarketOptions opts;
  opts.trust = trust;
  opts.ca_bundle = cfg.ca_bundle;
  opts.transfer = cfg.http;
  ROUX_ASSIGN_OR_RETURN(sources::FetchedIndex idx, sources::fetch_index(url, opts));
  auto p = idx.index.policies.find(o.policy);
  if (p == idx.index.policies.end() && only.empty())
    return Status::not_found(out.shown + ": no published policy " + o.policy);
  if (only.empty()) {
    for (const auto& [g, n] : p->second.groups) out.names.push_back(g);
  } else {
    out.names = only;
  }
  for (const auto& g : out.names)
    out.groups.emplace(g, sources::read_supermarket_group(url, idx.index, o.policy, g, opts));
  return out;
}

// ---- roux policy status ----

int status(PolicyCli o) {
  auto cfg = load_client_config(o.config);
  if (!cfg.is_ok()) return fail(cfg.status());
  auto trust = trust_of(o, *cfg);
  if (!trust.is_ok()) return fail(trust.status());
  sources::ScratchDir scratch("groups");
  auto gs = read_groups(o, *cfg, *trust, scratch.path, {});
  if (!gs.is_ok()) return fail(gs.status());
  bool all_ok = true;
  if (o.format == "json") {
    nlohmann::ordered_json j;
    j["policy"] = o.policy;
    j["source"] = gs->shown;
    j["groups"] = nlohmann::ordered_json::array();
    for (const auto& name : gs->names) {
      const auto& g = gs->groups.at(name);
      nlohmann::ordered_json e{{"group", name}};
      if (!g.is_ok()) {
        all_ok = false;
        e["verified"] = false;
        e["error"] = g.status().message();
      } else {
        e["verified"] = true;
        e["lock_sha256"] = g->lock_sha256;
        e["content_sha256"] = g->content_sha256;
        if (g->revision) e["revision"] = g->revision;
        e["since"] = g->since;
        e["key_id"] = g->key_id;
        e["via"] = g->via;
        e["cookbooks"] = nlohmann::ordered_json::array();
        if (auto l = compiler::parse_lockfile(g->files.lock_json, "policy.lock.json"); l.is_ok())
          for (const auto& c : l->cookbooks) e["cookbooks"].push_back({{"name", c.name}, {"version", c.version.to_string()}});
      }
      j["groups"].push_back(e);
    }
    j["exit_code"] = all_ok ? kExitClean : kExitNoRun;
    std::cout << redact::redact(json_dump(j, 2)) << "\n";
    return all_ok ? kExitClean : kExitNoRun;
  }
  std::ostringstream out;
  out << "policy " << o.policy << " in " << gs->shown << "\n";
  // Groups running the same lock are said to: "is production running what staging ran?"
  std::map<std::string, std::vector<std::string>> by_lock;
  for (const auto& name : gs->names)
    if (const auto& g = gs->groups.at(name); g.is_ok()) by_lock[g->lock_sha256].push_back(name);
  for (const auto& name : gs->names) {
    const auto& g = gs->groups.at(name);
    out << "  " << name << "\n";
    if (!g.is_ok()) {
      all_ok = false;
      out << "    NOT VERIFIED: " << g.status().message() << "\n";
      continue;
    }
    out << "    lock      sha256:" << g->lock_sha256 << (g->revision ? " (revision " + std::to_string(g->revision) + ")" : "")
        << "\n";
    out << "    since     " << (g->since.empty() ? "(not recorded)" : g->since) << (g->via.empty() ? "" : ", " + g->via)
        << "\n";
    out << "    key       " << (g->key_id.empty() ? "(not recorded)" : g->key_id) << "\n";
    out << "    cookbooks " << cookbook_list(g->files.lock_json) << "\n";
    std::vector<std::string> same;
    for (const auto& other : by_lock[g->lock_sha256])
      if (other != name) same.push_back(other);
    if (!same.empty()) {
      std::string s;
      for (const auto& x : same) s += (s.empty() ? "" : ", ") + x;
      out << "    same lock as " << s << "\n";
    }
  }
  std::cout << escape_controls(redact::redact(out.str()));
  return all_ok ? kExitClean : kExitNoRun;
}

// ---- roux policy diff ----

/// The compiled policy of one group: resource id -> properties (display text).
struct CompiledGroup {
  std::vector<std::string> ids;  // declaration order
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> props;
};

Result<CompiledGroup> compile_group(const sources::GroupView& g, const std::string& dir, const std::string& cache_dir,
                                    const std::string& confine_root, const std::vector<std::string>& keys,
                                    const ClientConfig& cfg, const facts::Facts& facts, const engine::Registry& registry) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  ROUX_TRY(sources::write_local_file_atomic(dir + "/policy.yaml", g.files.policy_yaml, 0644));
  ROUX_TRY(sources::write_local_file_atomic(dir + "/policy.lock.json", g.files.lock_json, 0644));
  compiler::CompileOptions copts{dir + "/policy.yaml", {}, "", cache_dir};
  copts.trusted_keys = keys;
  copts.ca_bundle = cfg.ca_bundle;
  copts.confine_root = confine_root;
  copts.transfer = cfg.http;
  copts.keep_properties = true;
  compiler::CompileResult c = compiler::compile_policy(copts, registry, facts);
  if (!c.ok()) {
    std::string why;
    for (const auto& e : c.errors) why += "\n    " + e.to_string();
    return Status::invalid_input("group " + g.group + " (lock " + short_lock(g.lock_sha256) + ") does not compile on this host:" + why);
  }
  CompiledGroup out;
  for (const auto& n : c.compiled->graph.nodes()) out.ids.push_back(n->resource->id());
  out.props = std::move(c.compiled->properties);
  return out;
}

std::string clip(const std::string& v) {
  std::string s = one_line(v, 60);
  return "\"" + s + "\"";
}

int diff(PolicyCli o) {
  auto cfg = load_client_config(o.config);
  if (!cfg.is_ok()) return fail(cfg.status());
  auto trust = trust_of(o, *cfg);
  if (!trust.is_ok()) return fail(trust.status());
  std::vector<std::string> keys = cfg->trusted_keys;
  keys.insert(keys.end(), o.trust.begin(), o.trust.end());
  // Compiling fetches cookbooks into the cache, as roux fetch does: the same run lock.
  StateLock lock;
  if (Status s = take_state_lock(o.root, o.state_dir, o.lock_wait, &lock); !s.is_ok())
    return fail(s, "wait for the other roux run to finish, or pass --lock-wait SECONDS");
  sources::ScratchDir scratch("groups");
  auto gs = read_groups(o, *cfg, *trust, scratch.path, {o.from, o.to});
  if (!gs.is_ok()) return fail(gs.status());
  for (const auto& name : {o.from, o.to})
    if (const auto& g = gs->groups.at(name); !g.is_ok()) return fail(g.status());
  const sources::GroupView& a = *gs->groups.at(o.from);
  const sources::GroupView& b = *gs->groups.at(o.to);

  auto state_dir = host::normalize_path(o.state_dir);
  if (!state_dir.is_ok()) return fail(state_dir.status().with_context("--state-dir"));
  const std::string in_root = o.root == "/" ? "" : o.root;
  const std::string cache_dir = in_root + *state_dir + "/cache";
  facts::Facts facts = facts::gather();
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  auto ca = compile_group(a, scratch.path + "/a", cache_dir, o.root == "/" ? "" : o.root, keys, *cfg, facts, registry);
  if (!ca.is_ok()) return fail(ca.status());
  auto cb = compile_group(b, scratch.path + "/b", cache_dir, o.root == "/" ? "" : o.root, keys, *cfg, facts, registry);
  if (!cb.is_ok()) return fail(cb.status());

  int unchanged_books = 0;
  nlohmann::ordered_json books_json = nlohmann::ordered_json::array();
  auto books = cookbook_moves(a.files.lock_json, b.files.lock_json, &unchanged_books, &books_json);
  // Resources: removed (only in A), added (only in B), changed (same id, other properties).
  std::set<std::string> in_a(ca->ids.begin(), ca->ids.end()), in_b(cb->ids.begin(), cb->ids.end());
  std::vector<std::string> removed, added;
  std::vector<std::pair<std::string, std::vector<std::array<std::string, 3>>>> changed;
  for (const auto& id : ca->ids)
    if (!in_b.count(id)) removed.push_back(id);
  for (const auto& id : cb->ids) {
    if (!in_a.count(id)) {
      added.push_back(id);
      continue;
    }
    const auto& pa = ca->props[id];
    const auto& pb = cb->props[id];
    std::map<std::string, std::string> ma(pa.begin(), pa.end()), mb(pb.begin(), pb.end());
    std::vector<std::array<std::string, 3>> diffs;
    for (const auto& [k, v] : pb) {
      auto x = ma.find(k);
      if (x == ma.end()) diffs.push_back({k, "", v});
      else if (x->second != v) diffs.push_back({k, x->second, v});
    }
    for (const auto& [k, v] : pa)
      if (!mb.count(k)) diffs.push_back({k, v, ""});
    if (!diffs.empty()) changed.emplace_back(id, std::move(diffs));
  }
  const bool differ = !books.empty() || !added.empty() || !removed.empty() || !changed.empty() ||
                      a.files.policy_yaml != b.files.policy_yaml;
  const int rc = differ ? kExitChanges : kExitClean;
  if (o.format == "json") {
    nlohmann::ordered_json j;
    j["policy"] = o.policy;
    j["source"] = gs->shown;
    j["from"] = {{"group", o.from}, {"lock_sha256", a.lock_sha256}, {"content_sha256", a.content_sha256}};
    j["to"] = {{"group", o.to}, {"lock_sha256", b.lock_sha256}, {"content_sha256", b.content_sha256}};
    j["host"] = facts.fqdn;
    j["cookbooks"] = books_json;
    j["resources"] = {{"added", added}, {"removed", removed}, {"changed", nlohmann::ordered_json::array()}};
    for (const auto& [id, ds] : changed) {
      nlohmann::ordered_json c{{"id", id}, {"properties", nlohmann::ordered_json::array()}};
      for (const auto& d : ds) c["properties"].push_back({{"property", d[0]}, {"from", d[1]}, {"to", d[2]}});
      j["resources"]["changed"].push_back(c);
    }
    j["differ"] = differ;
    j["exit_code"] = rc;
    std::cout << redact::redact(json_dump(j, 2)) << "\n";
    return rc;
  }
  std::ostringstream out;
  out << "policy " << o.policy << ": " << o.from << " (lock " << short_lock(a.lock_sha256) << ") -> " << o.to << " (lock "
      << short_lock(b.lock_sha256) << ")\n";
  if (!differ) {
    out << "no difference: the same cookbooks, and the same " << ca->ids.size() << " resources compiled for this host\n";
    std::cout << escape_controls(redact::redact(out.str()));
    return rc;
  }
  out << "cookbooks:\n";
  for (const auto& m : books) out << "  " << m << "\n";
  if (books.empty()) out << "  (the same versions)\n";
  out << "resources compiled for this host (" << facts.fqdn << "):\n";
  for (const auto& id : removed) out << "  - " << id << "\n";
  for (const auto& id : added) out << "  + " << id << "\n";
  for (const auto& [id, ds] : changed) {
    out << "  ~ " << id << "\n";
    for (const auto& d : ds)
      out << "      " << d[0] << ": " << (d[1].empty() ? "(unset)" : clip(d[1])) << " -> "
          << (d[2].empty() ? "(unset)" : clip(d[2])) << "\n";
  }
  if (removed.empty() && added.empty() && changed.empty()) out << "  (the same resources)\n";
  out << "cookbooks: " << books.size() << (books.size() == 1 ? " differs, " : " differ, ") << unchanged_books
      << " the same; resources: " << added.size() << " added, " << removed.size() << " removed, " << changed.size()
      << " changed\n";
  std::cout << escape_controls(redact::redact(out.str()));
  return rc;
}

}  // namespace

void add_policy_group_commands(CLI::App& app, int* exit_code) {
  auto* o = new PolicyCli();  // lives as long as the app's callbacks
  auto common = [o](CLI::App* c) {
    c->add_option("--trust", o->trust, "trust this Ed25519 public key (.pub) (repeatable; adds to trusted_keys:)");
    c->add_option("--config", o->config, "client config (default /etc/roux/client.yaml; optional)");
  };
  auto state = [o](CLI::App* c) {
    c->add_option("--root", o->root, "roux's state folder is ROOT/STATE_DIR (as for converge --root)");
    c->add_option("--state-dir", o->state_dir, "state folder inside the root (default /var/lib/roux)");
    c->add_option("--lock-wait", o->lock_wait, "wait up to SECONDS for another run's lock (default 0)");
  };

  auto* pr = app.add_subcommand("promote", "point a policy group at the exact lock another group runs (signed)");
  pr->add_option("policy", o->policy, "published policy name")->required();
  // Groups are --from-group/--to-group: elsewhere (supermarket publish/mirror/refresh) --from and
  // --to name places. The short spellings stay as aliases.
  pr->add_option("--from-group,--from", o->from, "the group whose lock moves (e.g. staging)")->required();
  pr->add_option("--to-group,--to", o->to, "the group that gets it (e.g. production)")->required();
  pr->add_option("--source,-s", o->source,
                 "where the policy is published: a supermarket folder, or a git policy repository (git+file:///PATH, "
                 "git+https://HOST/PATH, git+ssh://HOST/PATH, git+USER@HOST:PATH)")
      ->required();
  pr->add_option("--key", o->key, "private key to sign with (from roux keygen)")->required();
  pr->add_option("--expires-days", o->expires_days, "supermarket: the re-signed index expires this many days from now")
      ->check(CLI::Range(1, 3650));
  common(pr);
  state(pr);
  pr->footer(
      "Verifies the source and the from-group's lock (signatures by a trusted key, digests) before\n"
      "anything is written, prints what moves (cookbook versions old -> new), then writes the target\n"
      "group's pointer, signed: a re-signed index in a supermarket folder, a commit on branch main in\n"
      "a git policy repository (a remote one is fetched, committed on its newest main and pushed with\n"
      "client.yaml git: credentials; redone once if someone else pushed meanwhile; never forced).\n"
      "Exit 0 promoted or nothing to do, 1 refused. See docs/supermarket.md.");
  pr->callback([o, exit_code] { *exit_code = promote(*o); });

  auto* pol = app.add_subcommand("policy", "the groups of a published policy: which lock each runs, and what differs");
  pol->require_subcommand(1);
  auto* st = pol->add_subcommand("status", "show which lock each group of a published policy runs, since when, signed by which key");
  st->add_option("policy", o->policy, "published policy name")->required();
  st->add_option("--source,-s", o->source, "supermarket URL or folder, or git policy repository (default: the client config's)");
  st->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  common(st);
  st->footer("Every group is verified as a host would verify it. Exit 0, or 1 when a group does not verify.");
  st->callback([o, exit_code] { *exit_code = status(*o); });

  auto* df = pol->add_subcommand("diff", "what differs between two groups: cookbook versions, and the compiled resources");
  df->add_option("policy", o->policy, "published policy name")->required();
  df->add_option("from", o->from, "the group a host would leave (e.g. production)")->required();
  df->add_option("to", o->to, "the group whose lock it would get (e.g. staging)")->required();
  df->add_option("--source,-s", o->source, "supermarket URL or folder, or git policy repository (default: the client config's)");
  df->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  common(df);
  state(df);
  df->footer(
      "Compiles both groups' policies against this host's facts (cookbooks fetched into the cache) and lists\n"
      "resources removed (-), added (+) and changed (~, with each changed property FROM -> TO).\n"
      "Exit codes as plan: 0 no difference, 2 they differ, 1 could not run.");
  df->callback([o, exit_code] { *exit_code = diff(*o); });
}

}  // namespace roux::cli
