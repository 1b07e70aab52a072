// roux keygen and roux supermarket publish|mirror|search|show|sign: the signed supermarket's
// command side. The work is in sources/supermarket*.cc and sources/trust.cc; this file parses
// options, gathers the trusted keys (client config + --trust) and prints results.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "base/redact.h"
#include "base/strings.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "compiler/compile.h"
#include "compiler/lockfile.h"
#include "facts/facts.h"
#include "resources/builtin.h"
#include "sources/local_file.h"
#include "sources/policy_groups.h"
#include "sources/supermarket.h"
#include "sources/trust.h"

namespace roux::cli {
namespace {

namespace fs = std::filesystem;

struct SupermarketCli {
  std::string out_prefix;                 // keygen
  std::string cookbook_dir, to, key;      // publish, mirror
  std::string from;                       // mirror, search, show
  std::string term, name, file;           // search, show, sign
  std::string policy, group;              // publish-policy
  std::vector<std::string> trust;
  std::string ca_bundle;
  std::string config = "/etc/roux/client.yaml";
  int expires_days = sources::kDefaultIndexExpiryDays;  // publish, refresh
};

// `supermarket mirror`: the upstream could not be read or failed verification, and the mirror
// kept serving its last good copy (docs/supermarket.md "mirror").
constexpr int kExitMirrorStale = 3;

int fail(const Status& s) {
  std::cerr << "roux: error: " << escape_controls(redact::redact(s.to_string())) << "\n";
  return kExitNoRun;
}

// Trusted keys and CA bundle: the client config's, plus the command line's.
Result<sources::SupermarketOptions> options(const SupermarketCli& o) {
  ROUX_ASSIGN_OR_RETURN(ClientConfig cfg, load_client_config(o.config));
  std::vector<std::string> keys = cfg.trusted_keys;
  keys.insert(keys.end(), o.trust.begin(), o.trust.end());
  sources::SupermarketOptions opts;
  ROUX_ASSIGN_OR_RETURN(opts.trust, sources::TrustStore::load(keys));
  opts.ca_bundle = o.ca_bundle.empty() ? cfg.ca_bundle : o.ca_bundle;
  opts.transfer = cfg.http;
  return opts;
}

// --from, or the first supermarket URL among the client config's sources.
Result<std::string> supermarket_url(const SupermarketCli& o) {
  if (!o.from.empty()) return o.from;
  ROUX_ASSIGN_OR_RETURN(ClientConfig cfg, load_client_config(o.config));
  for (const auto& s : cfg.sources)
    if (starts_with(s, "http://") || starts_with(s, "https://") || starts_with(s, "file://")) return s;
  return Status::invalid_input("no supermarket: pass --from URL or list one in sources: of " + o.config);
}

int keygen(const SupermarketCli& o) {
  auto id = sources::generate_key_pair(o.out_prefix);
  if (!id.is_ok()) return fail(id.status());
  std::cout << "wrote " << o.out_prefix << ".key (private, 0600) and " << o.out_prefix << ".pub (public)\nkey id "
            << *id << "\n";
  return kExitClean;
}

int publish(const SupermarketCli& o) {
  // Validate as `roux validate COOKBOOK` does: metadata, then every recipe compiled alone.
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  facts::Facts facts = facts::gather();
  std::vector<std::string> recipes;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(o.cookbook_dir) / "recipes", ec))
    if (e.path().extension() == ".yaml") recipes.push_back(e.path().stem().string());
  std::sort(recipes.begin(), recipes.end());
  if (!fs::exists(fs::path(o.cookbook_dir) / "metadata.yaml", ec))
    return fail(Status::invalid_input(o.cookbook_dir + ": not a cookbook folder (no metadata.yaml)"));
  if (recipes.empty()) return fail(Status::invalid_input(o.cookbook_dir + ": cookbook has no recipes/*.yaml"));
  size_t errors = 0;
  for (const auto& r : recipes) {
    auto res = compiler::compile_cookbook_recipe(o.cookbook_dir, r, registry, facts);
    for (const auto& e : res.errors) std::cerr << escape_controls(e.to_string()) << "\n";
    errors += res.errors.size();
  }
  if (errors) {
    std::cerr << "roux: " << errors << " error" << (errors == 1 ? "" : "s") << "; nothing was published\n";
    return kExitNoRun;
  }
  auto key = sources::SigningKey::load(o.key);
  if (!key.is_ok()) return fail(key.status());
  auto r = sources::publish_cookbook(o.cookbook_dir, o.to, *key, o.expires_days);
  if (!r.is_ok()) return fail(r.status());
  const auto& e = r->entry;
  if (r->already_published)
    std::cout << e.name << " " << e.version.to_string() << " is already published with this content; nothing to do\n";
  else
    std::cout << "published " << e.name << " " << e.version.to_string() << " to " << o.to << "/" << e.download_url
              << "\n  sha256 " << e.sha256 << "\n  content_sha256 " << e.content_sha256 << "\n  signed by key "
              << e.key_id << "\n";
  return kExitClean;
}

int publish_policy(const SupermarketCli& o) {
  std::string policy_file = o.policy;
  if (std::error_code ec; fs::is_directory(policy_file, ec)) policy_file = (fs::path(policy_file) / "policy.yaml").string();
  // The policy must parse and its lockfile match it: a host converges exactly what it pins.
  auto policy_name = compiler::check_policy_lockfile(policy_file);
  if (!policy_name.is_ok()) return fail(policy_name.status());
  const std::string lock_file = compiler::lockfile_path(policy_file);
  auto lock = compiler::read_lockfile(lock_file);
  if (!lock.is_ok()) return fail(lock.status());
  std::vector<sources::PolicyPin> pins;
  for (const auto& c : lock->cookbooks) pins.push_back({c.name, c.version.to_string(), c.sha256, c.source});
  auto key = sources::SigningKey::load(o.key);
  if (!key.is_ok()) return fail(key.status());
  const std::string name = o.name.empty() ? *policy_name : o.name;
  const std::string group = o.group.empty() ? sources::kDefaultPolicyGroup : o.group;
  if (sources::is_git_policy_source(o.to)) {
    // A git policy repository: the lock (by content digest) and the group's signed pointer, one commit.
    const bool remote = sources::is_remote_policy_repo(o.to);
    auto repo = remote ? Result<std::string>(redact::strip_url_credentials(o.to)) : sources::local_policy_repo(o.to);
    if (!repo.is_ok()) return fail(repo.status());
    sources::PolicyFiles files;
    auto yaml = sources::read_local_file(policy_file, size_t(8) << 20);
    if (!yaml.is_ok()) return fail(yaml.status());
    auto lock_text = sources::read_local_file(lock_file, size_t(8) << 20);
    if (!lock_text.is_ok()) return fail(lock_text.status());
    files.policy_yaml = *yaml;
    files.lock_json = *lock_text;
    Result<sources::GitPublishResult> g = Status::internal("unset");
    if (remote) {  // fetched into a private clone, committed there, pushed with client.yaml git: settings
      auto cfg = load_client_config(o.config);
      if (!cfg.is_ok()) return fail(cfg.status());
      sources::ScratchDir scratch("publish");
      if (scratch.path.empty()) return fail(Status::io("mkdtemp", errno));
      g = sources::publish_policy_to_remote_git(o.to, name, group, files, *key, scratch.path,
                                                {cfg->git, cfg->ca_bundle, cfg->http.timeout_s});
    } else {
      g = sources::publish_policy_to_git(*repo, name, group, files, *key);
    }
    if (!g.is_ok()) return fail(g.status());
    if (!g->moved) {
      std::cout << "group " << group << " of policy " << name << " already runs lock sha256:" << g->group.lock_sha256
                << "; nothing to do\n";
      return kExitClean;
    }
    std::cout << "published policy " << name << " to git repository " << *repo << " (" << lock->cookbooks.size()
              << " locked cookbook" << (lock->cookbooks.size() == 1 ? "" : "s") << ")\n  lock sha256:"
              << g->group.lock_sha256 << "\n  content_sha256 " << g->group.content_sha256 << "\n  signed by key "
              << key->id() << ", commit " << g->commit << "\ngroup " << group
              << " -> this lock (hosts of that group get it on their next run)\n";
    return kExitClean;
  }
  auto r = sources::publish_policy(policy_file, lock_file, name, pins, o.to, *key, group, o.expires_days);
  if (!r.is_ok()) return fail(r.status());
  const auto& rev = r->revision;
  if (r->new_revision)
    std::cout << "published policy " << name << " revision " << rev.revision << " to " << o.to << "/"
              << rev.download_url << " (" << lock->cookbooks.size() << " locked cookbook"
              << (lock->cookbooks.size() == 1 ? "" : "s") << ")\n  sha256 " << rev.sha256 << "\n  content_sha256 "
              << rev.content_sha256 << "\n  signed by key " << key->id() << "\n";
  else
    std::cout << "policy " << name << " revision " << rev.revision << " already has this content\n";
  if (r->group_moved)
    std::cout << "group " << group << " -> revision " << rev.revision << " (hosts of that group get it on their next run)\n";
  else
    std::cout << "group " << group << " already at revision " << rev.revision << "; nothing to do\n";
  return kExitClean;
}

int refresh(const SupermarketCli& o) {
  auto key = sources::SigningKey::load(o.key);
  if (!key.is_ok()) return fail(key.status());
  auto r = sources::refresh_index(o.to, *key, o.expires_days);
  if (!r.is_ok()) return fail(r.status());
  std::cout << "re-signed " << o.to << "/" << sources::kIndexFile << ": serial " << r->serial << ", expires "
            << r->expires << " (key " << key->id() << ")\n";
  return kExitClean;
}

int mirror(const SupermarketCli& o) {
  auto opts = options(o);
  if (!opts.is_ok()) return fail(opts.status());
  std::optional<sources::SigningKey> key;
  if (!o.key.empty()) {
    auto k = sources::SigningKey::load(o.key);
    if (!k.is_ok()) return fail(k.status());
    key.emplace(std::move(*k));
  }
  auto r = sources::mirror_supermarket(o.from, o.to, *opts, key ? &*key : nullptr);
  if (!r.is_ok()) return fail(r.status());
  const std::string from = redact::strip_url_credentials(o.from);
  if (r->stale) {
    // Not a failure of the mirror: it serves what it served before, complete and verified.
    std::cerr << "roux: warning: " << escape_controls(r->why) << "\nroux: warning: the mirror " << o.to
              << " keeps its last good copy (index serial " << r->serial << ", unchanged); " << r->copied
              << " new version" << (r->copied == 1 ? "" : "s") << " copied before the stop\n";
    return kExitMirrorStale;
  }
  std::cout << "mirrored " << from << " into " << o.to << ": " << r->copied << " version"
            << (r->copied == 1 ? "" : "s") << " copied, " << r->kept << " already present";
  if (r->not_modified) std::cout << "; upstream index not modified (304)";
  if (r->resumed)
    std::cout << "; " << r->resumed << " interrupted download" << (r->resumed == 1 ? "" : "s") << " resumed ("
              << r->resumed_bytes << " bytes not downloaded again)";
  std::cout << "\n";
  return kExitClean;
}

int search_or_show(const SupermarketCli& o, bool show) {
  auto opts = options(o);
  if (!opts.is_ok()) return fail(opts.status());
  auto url = supermarket_url(o);
  if (!url.is_ok()) return fail(url.status());
  auto idx = sources::fetch_index(*url, *opts);
  if (!idx.is_ok()) return fail(idx.status());
  const auto& books = idx->index.cookbooks;
  if (show) {
    auto it = books.find(o.name);
    if (it == books.end()) return fail(Status::not_found(*url + ": no cookbook " + o.name));
    std::vector<const sources::IndexEntry*> vs;
    for (const auto& [t, e] : it->second) vs.push_back(&e);
    std::sort(vs.begin(), vs.end(), [](auto* a, auto* b) { return a->version > b->version; });
    std::cout << o.name << (vs.front()->description.empty() ? "" : ": " + vs.front()->description) << "\n";
    for (const auto* e : vs) {
      std::cout << "  " << e->version.to_string() << "  " << e->download_url << "\n    sha256 " << e->sha256
                << "\n    content_sha256 " << e->content_sha256 << "\n";
      if (!e->key_id.empty()) std::cout << "    signed by key " << e->key_id << "\n";
      for (const auto& [d, c] : e->dependencies) std::cout << "    depends " << d << " " << c << "\n";
    }
    return kExitClean;
  }
  std::string term = o.term;
  for (auto& c : term) c = char(std::tolower(static_cast<unsigned char>(c)));
  int found = 0;
  for (const auto& [name, versions] : books) {
    const sources::IndexEntry* newest = nullptr;
    for (const auto& [t, e] : versions)
      if (!newest || e.version > newest->version) newest = &e;
    if (!newest) continue;
    std::string hay = name + " " + newest->description;
    for (auto& c : hay) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (hay.find(term) == std::string::npos) continue;
    ++found;
    std::cout << name << " " << newest->version.to_string() << " (" << versions.size() << " version"
              << (versions.size() == 1 ? "" : "s") << ")" << (newest->description.empty() ? "" : "  " + newest->description)
              << "\n";
  }
  if (!found) std::cerr << "no cookbook matches \"" << o.term << "\"\n";
  return kExitClean;
}

int sign(const SupermarketCli& o) {
  auto key = sources::SigningKey::load(o.key);
  if (!key.is_ok()) return fail(key.status());
  auto data = sources::read_local_file(o.file);
  if (!data.is_ok()) return fail(data.status());
  auto sig = key->sign(*data);
  if (!sig.is_ok()) return fail(sig.status());
  Status s = sources::write_local_file_atomic(o.file + ".sig", *sig, 0644);
  if (!s.is_ok()) return fail(s);
  std::cout << "wrote " << o.file << ".sig (key " << key->id() << ")\n";
  return kExitClean;
}

}  // namespace

void add_supermarket_commands(CLI::App& app, int* exit_code) {
  auto* o = new SupermarketCli();  // lives as long as the app's callbacks
  auto* kg = app.add_subcommand("keygen", "write an Ed25519 key pair for signing cookbooks (PREFIX.key, PREFIX.pub)");
  kg->add_option("--out", o->out_prefix, "path prefix of the two files")->required();
  kg->callback([o, exit_code] { *exit_code = keygen(*o); });

  auto* sm = app.add_subcommand("supermarket", "publish, mirror and browse a signed cookbook supermarket");
  sm->require_subcommand(1);
  auto trust_opts = [o](CLI::App* c) {
    c->add_option("--trust", o->trust, "trust this Ed25519 public key (.pub) (repeatable; adds to trusted_keys:)");
    c->add_option("--ca-bundle", o->ca_bundle, "HTTPS: CA bundle file instead of the system's");
    c->add_option("--config", o->config, "client config (default /etc/roux/client.yaml; optional)");
  };

  auto* pub = sm->add_subcommand("publish", "validate, pack (reproducibly), sign and add a cookbook to a supermarket folder");
  pub->add_option("cookbook", o->cookbook_dir, "cookbook folder")->required();
  pub->add_option("--to", o->to, "supermarket folder")->required();
  pub->add_option("--key", o->key, "private key (from roux keygen)")->required();
  pub->add_option("--expires-days", o->expires_days, "the new index expires this many days from now (default 30)")
      ->check(CLI::Range(1, 3650));
  pub->callback([o, exit_code] { *exit_code = publish(*o); });

  auto* pp = sm->add_subcommand(
      "publish-policy",
      "sign and add a policy (policy.yaml + its lockfile) to a supermarket folder, as a new revision; point a group at it");
  pp->add_option("policy", o->policy, "policy file, or a folder holding policy.yaml (its lockfile must be beside it and match)")
      ->required();
  pp->add_option("--to", o->to,
                 "supermarket folder, or a git policy repository (git+file:///PATH, or a remote one: git+https://, "
                 "git+ssh://, git+USER@HOST:PATH, pushed with the client config's git: settings)")
      ->required();
  pp->add_option("--config", o->config, "client config (git: credentials, ca_bundle, http: timeout; default /etc/roux/client.yaml; optional)");
  pp->add_option("--key", o->key, "private key (from roux keygen)")->required();
  pp->add_option("--name", o->name, "publish under this name (default: the policy's name:)");
  pp->add_option("--group", o->group,
                 "point this group at the revision (default: \"default\", what hosts naming no group get)");
  pp->add_option("--expires-days", o->expires_days, "the new index expires this many days from now (default 30)")
      ->check(CLI::Range(1, 3650));
  pp->footer(
      "Every cookbook the lockfile pins must be published in the same supermarket with the same content\n"
      "(or come from a git source). Publishing identical content again reuses its revision, so\n"
      "`publish-policy DIR --group production` promotes what staging runs. Hosts fetch it with\n"
      "`roux bootstrap --source URL --policy NAME [--group GROUP] --trust KEY.pub`.");
  pp->callback([o, exit_code] { *exit_code = publish_policy(*o); });

  auto* ref = sm->add_subcommand("refresh", "re-sign a supermarket folder's index: serial + 1, a new expiry (run it before the index expires)");
  ref->add_option("--to", o->to, "supermarket folder")->required();
  ref->add_option("--key", o->key, "private key (from roux keygen)")->required();
  ref->add_option("--expires-days", o->expires_days, "the index expires this many days from now (default 30)")
      ->check(CLI::Range(1, 3650));
  ref->callback([o, exit_code] { *exit_code = refresh(*o); });

  auto* mir = sm->add_subcommand("mirror", "copy new versions of a supermarket, verified, into a folder");
  mir->add_option("--from,-s,--source", o->from,
                  "upstream supermarket URL (http://, https://, file://; -s/--source as in converge and bootstrap)")
      ->required();
  mir->add_option("--to", o->to, "mirror folder")->required();
  mir->add_option("--key", o->key, "re-sign the mirror's index with this key (needed only when rewriting URLs)");
  trust_opts(mir);
  mir->footer(
      "Exit codes: 0 the mirror holds the upstream's current index; 3 the upstream could not be read or\n"
      "failed verification: a warning says why, and the mirror keeps serving its last good copy, unchanged;\n"
      "1 could not run (no earlier copy to keep, bad options, a local write error).");
  mir->callback([o, exit_code] { *exit_code = mirror(*o); });

  auto* se = sm->add_subcommand("search", "list the cookbooks whose name or description contains TERM");
  se->add_option("term", o->term, "text to look for (case-insensitive)")->required();
  se->add_option("--from,-s,--source", o->from,
                 "supermarket URL (default: the first one in the client config's sources; -s/--source as in converge and bootstrap)");
  trust_opts(se);
  se->callback([o, exit_code] { *exit_code = search_or_show(*o, false); });

  auto* sh = sm->add_subcommand("show", "list every version of a cookbook with its dependencies and checksums");
  sh->add_option("name", o->name, "cookbook name")->required();
  sh->add_option("--from,-s,--source", o->from,
                 "supermarket URL (default: the first one in the client config's sources; -s/--source as in converge and bootstrap)");
  trust_opts(sh);
  sh->callback([o, exit_code] { *exit_code = search_or_show(*o, true); });

  auto* sg = sm->add_subcommand("sign", "write FILE.sig, a detached Ed25519 signature of FILE");
  sg->add_option("file", o->file, "file to sign")->required();
  sg->add_option("--key", o->key, "private key (from roux keygen)")->required();
  sg->callback([o, exit_code] { *exit_code = sign(*o); });
}

}  // namespace roux::cli
