// roux converge / roux plan: the driver. Reads as a list of named passes, each with its why.
#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "base/atomic_file.h"
#include "base/json.h"
#include "base/sha256.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "base/version.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "cli/plan_file.h"
#include "compiler/compile.h"
#include "engine/retired_secrets.h"
#include "engine/run_lock.h"
#include "engine/runner.h"
#include "engine/verify.h"
#include "facts/facts.h"
#include "cli/rehearse.h"
#include "cli/streamer.h"
#include "cli/targeting.h"
#include "host/planned_host.h"
#include "report/handlers/handlers.h"
#include "report/progress.h"
#include "report/run_report.h"
#include "resources/builtin.h"
#include "resources/git.h"
#include "resources/reboot.h"
#include "sources/cache.h"
#include "resources/package_provider.h"
#include "sources/local_file.h"

namespace roux::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void add_common_options(CLI::App* cmd, ConvergeOptions* o) {
  cmd->add_option("--policy,-p", o->policy, "policy file, or a folder holding policy.yaml");
  cmd->add_option("--source,-s", o->sources, "cookbook source URL (repeatable; searched first)");
  cmd->add_option("--trust", o->trust, "trust this Ed25519 public key (.pub) for signed sources (repeatable)");
  cmd->add_option("--root", o->root, "converge this folder as if it were / (an image, a chroot)");
  cmd->add_option("--format", o->format, "output format")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--report", o->report_file, "also write the JSON report to FILE");
  cmd->add_option("--splay", o->splay, "wait up to SECONDS first (a fixed per-host delay, for cron fleets)");
  cmd->add_option("--lock-wait", o->lock_wait, "wait up to SECONDS for another run's lock (default 0)");
  cmd->add_option("-j,--json-attributes", o->node_attributes, "node attributes JSON file");
  cmd->add_option("--state-dir", o->state_dir, "state folder inside the root (default /var/lib/roux)");
  cmd->add_option("--config", o->config, "client config (default /etc/roux/client.yaml; optional)");
  cmd->add_option("--color", o->color, "colour the text output: auto (a terminal, NO_COLOR unset), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_flag("--no-color", o->no_color, "never colour the output (= --color never)");
  cmd->add_option("--ca-bundle", o->ca_bundle, "HTTPS: CA bundle file instead of the system's (default: ca_bundle: in the client config)");
  cmd->add_option("--secret-key", o->secret_key, "X25519 private key (PEM) for ENC[roux,...] secrets (default: secret_key: in the client config)");
}

/// --only/--tags: converge and plan take them; a saved plan keeps its own.
void add_targeting_options(CLI::App* cmd, ConvergeOptions* o) {
  cmd->add_option("--only", o->only,
                  "converge only this resource (\"service[nginx]\") and what it requires, transitively (repeatable)");
  cmd->add_option("--tags", o->tags,
                  "converge only resources carrying one of these tags (tags: of a resource or its recipe, the "
                  "cookbook name, \"cookbook::recipe\"; comma-separated or repeated) and what they require")
      ->delimiter(',');
}

/// What a saved plan pins of the compiled policy: the policy file, the run list, each cookbook's
/// content and the merged attributes. Any change to them moves this digest.
std::string compiled_policy_digest(const compiler::Compiled& c) {
  Sha256 h;
  auto add = [&](std::string_view field) {
    h.update(std::to_string(field.size()) + ":");
    h.update(field);
  };
  auto text = sources::read_local_file(c.policy_file, 16 << 20);
  add(text.is_ok() ? *text : "(unreadable policy file)");
  for (const auto& r : c.run_list) add(r);
  for (const auto& cb : c.cookbooks) {
    add(cb.ref.name);
    add(cb.ref.version.to_string());
    auto digest = sources::content_digest(cb.path);
    add(digest.is_ok() ? *digest : "(unreadable cookbook " + cb.path + ")");
  }
  add(json_dump(c.attributes));
  return h.hex_digest();
}

/// sha256 of the lockfile the run used, or "none" when the policy was resolved in memory.
std::string compiled_lock_digest(const compiler::Compiled& c) {
  if (c.lockfile.empty()) return "none";
  auto text = sources::read_local_file(c.lockfile, 64 << 20);
  return text.is_ok() ? sha256_hex(*text) : "(unreadable lockfile)";
}

/// Why a saved plan cannot be applied here and now, before anything is compiled: another host,
/// root or roux, or too old. "" when it may go on.
std::string saved_plan_mismatch(const SavedPlan& p, const ConvergeOptions& o, const std::string& host,
                                const std::string& state_dir) {
  if (p.host != host) return "it was made on host " + p.host + ", this is " + host;
  if (p.root != o.root) return "it was made for --root " + p.root + ", this run is for " + o.root;
  if (p.state_dir != state_dir) return "it was made with --state-dir " + p.state_dir + ", this run uses " + state_dir;
  if (p.roux_version != kVersion) return "it was made by roux " + p.roux_version + ", this is roux " + kVersion;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (p.created_unix > now + 300) return "it was made in the future (" + p.created + "); check the clock";
  if (o.plan_max_age > 0 && now - p.created_unix > o.plan_max_age)
    return "it is " + std::to_string(now - p.created_unix) + "s old (made " + p.created + "), older than --plan-max-age " +
           std::to_string(o.plan_max_age) + "s; make a new plan";
  return "";
}

/// A per-host delay in [0, splay): hosts spread out, and one host waits the same every day.
int splay_seconds(int splay, const std::string& hostname) {
  if (splay <= 0) return 0;
  uint32_t h = 2166136261u;
  for (char c : hostname) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return static_cast<int>(h % static_cast<uint32_t>(splay));
}

compiler::Compiled* g_finished_graph = nullptr;  // see the end of converge()

/// "file[/etc/motd] mode: 0644 -> 0600" for each change of each resource, and "failed: ID".
std::multiset<std::string> change_lines_of_report(const nlohmann::json& report) {
  std::multiset<std::string> out;
  if (!report.contains("resources") || !report["resources"].is_array()) return out;
  for (const auto& r : report["resources"]) {
    std::string id = r.value("id", "");
    if (r.value("status", "") == "failed") out.insert("failed: " + id);
    if (!r.contains("changes") || !r["changes"].is_array()) continue;
    for (const auto& c : r["changes"])
      out.insert(id + " " + c.value("property", "") + ": " + c.value("before", "") + " -> " + c.value("after", ""));
  }
  return out;
}

/// Runs the converge this plan describes in a throwaway overlay and compares its changes with
/// the plan's: every difference is a plan bug, named.
Result<nlohmann::ordered_json> rehearse_plan(const ConvergeOptions& o, const std::string& plan_json) {
  auto abs = [](const std::string& p) { return p.empty() ? p : fs::absolute(p).lexically_normal().string(); };
  std::vector<std::string> args{"converge", "--format", "json", "--no-color", "--policy", abs(o.policy),
                                "--root",   abs(o.root), "--state-dir", o.state_dir, "--config", abs(o.config)};
  for (const auto& s : o.sources) args.insert(args.end(), {"--source", fs::exists(s) ? abs(s) : s});
  for (const auto& t : o.trust) args.insert(args.end(), {"--trust", abs(t)});
  if (!o.node_attributes.empty()) args.insert(args.end(), {"-j", abs(o.node_attributes)});
  for (const auto& id : o.only) args.insert(args.end(), {"--only", id});
  for (const auto& t : o.tags) args.insert(args.end(), {"--tags", t});
  if (!o.secret_key.empty()) args.insert(args.end(), {"--secret-key", abs(o.secret_key)});
  ROUX_ASSIGN_OR_RETURN(RehearsalRun run, rehearse(args, abs(o.root)));
  nlohmann::ordered_json h;
  h["exit_code"] = run.exit_code;
  auto rehearsed = nlohmann::json::parse(run.report_json, nullptr, false);
  auto planned = nlohmann::json::parse(plan_json, nullptr, false);
  std::vector<std::string> diffs;
  std::multiset<std::string> got, want;
  if (rehearsed.is_discarded() || !rehearsed.is_object()) {
    diffs.push_back("the rehearsed converge gave no report (exit " + std::to_string(run.exit_code) + ")");
  } else {
    got = change_lines_of_report(rehearsed);
    want = change_lines_of_report(planned);
    for (const auto& l : want)
      if (want.count(l) > got.count(l)) diffs.push_back("only in the plan: " + l);
    for (const auto& l : got)
      if (got.count(l) > want.count(l)) diffs.push_back("only in the rehearsal: " + l);
    diffs.erase(std::unique(diffs.begin(), diffs.end()), diffs.end());
  }
  size_t n = 0;
  for (const auto& l : got) n += l.rfind("failed: ", 0) != 0;
  h["changes"] = n;
  h["agrees"] = diffs.empty();
  h["differences"] = diffs;
  return h;
}

/// Where parsed recipes are cached. A cached tree is trusted like the recipe itself (it decides
/// which commands run), so it must never come from the tree being converged: with --root, that
/// tree may be an image someone else made, and exec runs on this machine. So: the state folder
/// when converging / (the host's own, root-only), else this user's cache folder on the machine
/// running roux (XDG_CACHE_HOME, else ~/.cache), else none.
std::string parse_cache_dir(const std::string& root, const std::string& real_state) {
  if (root == "/") return real_state + "/cache/parsed";
  if (const char* xdg = getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') return std::string(xdg) + "/roux/parsed";
  if (const char* home = getenv("HOME"); home && home[0] == '/') return std::string(home) + "/.cache/roux/parsed";
  return "";
}

}  // namespace

Status take_state_lock(const std::string& root, const std::string& state_dir, int wait_seconds, StateLock* held) {
  auto host = host::make_posix_host(root);
  if (!host.is_ok()) return host.status();
  auto dir = host::normalize_path(state_dir);
  if (!dir.is_ok()) return dir.status().with_context("--state-dir");
  ROUX_TRY(host::make_dirs(**host, *dir, 0700).with_context("state folder"));
  auto lock_dir = sources::confined_dir(root, *dir, false);
  if (!lock_dir.is_ok()) return lock_dir.status().with_context("state folder");
  return held->lock.acquire(*lock_dir + "/run.lock", wait_seconds, true);
}

std::string trusted_dir_for(const std::string& root, const std::string& real_state) {
  if (root == "/") return real_state;
  if (const char* xdg = getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') return std::string(xdg) + "/roux";
  if (const char* home = getenv("HOME"); home && home[0] == '/') return std::string(home) + "/.cache/roux";
  return "";
}

namespace {

/// --color (with --no-color and NO_COLOR, https://no-color.org): colour on a terminal only.
bool use_color(const ConvergeOptions& o) {
  if (o.no_color || o.color == "never") return false;
  if (o.color == "always") return true;
  const char* no_color = getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || no_color[0] == '\0');
}

std::string run_id_now() {
  std::string t = report::now_iso8601();
  std::string id;
  for (char c : t)
    if (c != '-' && c != ':') id += c;
  return id + "-" + std::to_string(getpid());
}

/// Removes the temp files a killed run left in the state folder and its backup, report and
/// parse-cache folders (roux's own temp names only; see host::is_roux_temp_name). Best effort.
void sweep_stale_temps(host::Host& host, const std::string& state_dir) {
  std::vector<std::string> dirs = {state_dir, state_dir + "/reports", state_dir + "/cache/parsed"};
  if (auto names = host.list_dir(state_dir + "/backup"); names.is_ok()) {
    dirs.push_back(state_dir + "/backup");
    for (const auto& n : *names) dirs.push_back(state_dir + "/backup/" + n);
  }
  for (const auto& d : dirs)
    if (Status s = host::remove_stale_temps(host, d); !s.is_ok()) log::warn("stale temp files: " + s.to_string());
}

/// The policy name of the newest run in STATE/history.jsonl that had one ("" when none).
std::string last_run_policy(const host::Host& host, const std::string& state_dir) {
  auto text = host.read_file(state_dir + "/history.jsonl", 8 << 20);
  if (!text.is_ok()) return "";
  auto lines = split_lines(*text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    auto j = nlohmann::json::parse(*it, nullptr, false);
    if (j.is_object() && j.contains("policy") && j["policy"].is_string() && !j["policy"].get<std::string>().empty())
      return j["policy"].get<std::string>();
  }
  return "";
}


/// Prints the report and writes --report; returns the exit code. `streamed`: the header and the
/// resources were printed while the run went (text only), so only the footer is left.
int emit(const report::RunReport& rep, const std::string& report_json, const ConvergeOptions& o, bool streamed = false) {
  // Defence in depth: every known secret plaintext is masked in whatever we print or write.
  if (o.silent) {
  } else if (o.format == "json") {
    std::cout << redact::redact(json_dump(report::to_json(rep), 2)) << "\n";
  } else {
    bool color = use_color(o);
    std::cout << redact::redact(streamed ? report::format_footer(rep, color) : report::format_text(rep, color));
    std::cout << redact::redact(targeting_text(rep));
  }
  std::cout.flush();
  if (!o.report_file.empty()) {
    // The one atomic writer: a fresh O_EXCL|O_NOFOLLOW temp, fsync, rename, fsync of the folder.
    if (Status s = write_file_atomic(o.report_file, report_json, 0600); !s.is_ok()) {
      log::error("cannot write report " + o.report_file + ": " + s.to_string());
      return rep.exit_code == 0 ? kExitNoRun : rep.exit_code;
    }
  }
  return rep.exit_code;
}

/// The sha256 of the lockfile at `path` ("" when there is none or it cannot be read).
std::string lock_digest(const std::string& path) {
  if (path.empty()) return "";
  auto text = sources::read_local_file(path);
  return text.is_ok() ? sha256_hex(*text) : "";
}

/// `syslog_record` (optional) is set to the client config's `syslog:` (false: no closing syslog
/// record), once the config is read.
int converge(ConvergeOptions o, report::RunReport* out, bool* syslog_record = nullptr);

int converge(ConvergeOptions o) { return converge(std::move(o), nullptr); }

int converge(ConvergeOptions o, report::RunReport* out, bool* syslog_record) {
  auto t0 = Clock::now();
  auto phase_start = t0;
  report::RunReport rep;
  // The report handed to the caller, however the run ends (moved: `rep` dies right after).
  struct CopyOut {
    report::RunReport* out;
    report::RunReport& rep;
    ~CopyOut() {
      if (out) *out = std::move(rep);
    }
  } copy_out{out, rep};
  rep.run_id = run_id_now();
  rep.roux_version = kVersion;
  rep.mode = o.dry_run ? "plan" : "apply";
  rep.start_time = report::now_iso8601();
  rep.root = o.root;
  rep.policy_group = o.policy_group;
  // Each pass's time goes in the report: a slow run says where its time went.
  // `printing` (the time the pass spent writing its output) is told apart, as a "print" phase
  // after it: a slow terminal or -vv's line per resource is not the pass's own time.
  auto phase_done = [&](const char* name, Clock::duration printing = {}) {
    auto now = Clock::now();
    auto log_phase = [&] {
      if (log::level() > log::Level::kDebug) return;
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.1f", rep.phases_ms.back().second);
      log::debug("phase " + rep.phases_ms.back().first + ": " + ms + " ms");
    };
    printing = std::min(printing, now - phase_start);
    rep.phases_ms.emplace_back(name, std::chrono::duration<double, std::milli>(now - phase_start - printing).count());
    log_phase();
    if (printing > Clock::duration::zero()) {
      rep.phases_ms.emplace_back("print", std::chrono::duration<double, std::milli>(printing).count());
      log_phase();
    }
    phase_start = now;
  };
  auto fail_early = [&](const Status& s) {
    rep.errors.push_back(s.to_string());
    rep.end_time = report::now_iso8601();
    rep.exit_code = kExitNoRun;
    for (const auto& e : rep.errors) std::fprintf(stderr, "roux: error: %s\n", escape_controls(redact::redact(e)).c_str());
    if (o.format == "json" && !o.silent) std::cout << redact::redact(json_dump(report::to_json(rep), 2)) << "\n";
    return kExitNoRun;
  };

  // Client config: where the policy and sources are when the command line does not say.
  auto config = load_client_config(o.config);
  if (!config.is_ok()) return fail_early(config.status());
  if (syslog_record) *syslog_record = config->syslog;
  // The config's log_level: unless the command line said (-v, -vv, --quiet, --log-level).
  if (!log::level_from_command_line() && !config->log_level.empty())
    if (auto l = log::parse_level(config->log_level)) log::set_level(*l);
  o.quiet = log::quiet();
  if (o.policy.empty()) o.policy = config->policy;
  if (o.sources.empty()) o.sources = config->sources;
  if (o.state_dir == "/var/lib/roux" && !config->state_dir.empty()) o.state_dir = config->state_dir;
  if (o.policy.empty() && config->policy_name.empty() && !o.plan_in.empty()) {
    // converge --plan PLAN alone: the policy file the plan was made from. Read here unchecked;
    // the plan's signature (which covers the name) and its policy digest are checked below.
    if (auto text = sources::read_local_file(o.plan_in, 64 << 20); text.is_ok()) {
      auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("policy_file") && j["policy_file"].is_string())
        o.policy = j["policy_file"].get<std::string>();
    }
  }
  if (o.policy.empty() && config->policy_name.empty())
    return fail_early(Status::invalid_input("no policy: pass --policy FILE or set policy: in " + o.config));
  log::debug("client config " + o.config + "; policy " +
             (o.policy.empty() ? "published " + config->policy_name : o.policy) + "; root " + o.root +
             "; state folder " + o.state_dir);
  if (std::error_code ec; !o.policy.empty() && fs::is_directory(o.policy, ec))
    o.policy = (fs::path(o.policy) / "policy.yaml").string();

  // Facts first: the splay and the compiler both need them; gathering spawns nothing.
  facts::Facts facts = facts::gather();
  rep.hostname = facts.fqdn;
  phase_done("facts");

  // Splay before the lock, so a fleet woken by cron does not stampede sources at once.
  if (o.splay > 0) {
    int s = splay_seconds(o.splay, facts.fqdn);
    log::info("splay: sleeping " + std::to_string(s) + "s (this host's delay in 0.." + std::to_string(o.splay - 1) + "s)");
    if (s > 0) std::this_thread::sleep_for(std::chrono::seconds(s));
  }

  // The one door to the host, rooted at --root.
  auto host = host::make_posix_host(o.root);
  if (!host.is_ok()) return fail_early(host.status());
  auto state_dir = host::normalize_path(o.state_dir);
  if (!state_dir.is_ok()) return fail_early(state_dir.status().with_context("--state-dir"));
  std::string real_state = (o.root == "/" ? "" : o.root) + *state_dir;

  // The host the walk converges: the real one, or for a plan the planned host over it, which
  // records every change in memory and shows it to every later read (plan == apply).
  std::unique_ptr<host::PlannedHost> planned;
  if (o.dry_run) planned = std::make_unique<host::PlannedHost>(**host);
  host::Host& walk_host = planned ? static_cast<host::Host&>(*planned) : **host;

  // The state folder, then the run lock, before compiling: two runs must not interleave. A plan
  // makes the folder on its planned host only, and waits for a converge that holds the lock.
  {
    Status s = host::make_dirs(walk_host, *state_dir, 0700);
    if (!s.is_ok()) return fail_early(s.with_context("state folder"));
  }
  // Resolved inside the root like every managed path: a planted ROOT/var -> ../elsewhere never
  // puts the lock (or anything of roux's) outside the tree.
  auto lock_dir = sources::confined_dir(o.root, *state_dir, false);
  if (!lock_dir.is_ok()) return fail_early(lock_dir.status().with_context("state folder"));
  engine::RunLock lock;
  bool after_killed_run = false;
  if (!o.caller_holds_lock) {
    if (Status s = lock.acquire(*lock_dir + "/run.lock", o.lock_wait, !o.dry_run); !s.is_ok()) return fail_early(s);
    // A run killed mid-way (its "running" mark is still in the lock file) may have left temp
    // files: sweep roux's own folders now, and let file resources tidy beside their paths.
    after_killed_run = !o.dry_run && lock.mark_running();
    if (after_killed_run) sweep_stale_temps(**host, *state_dir);
  }
  phase_done("lock");  // includes the splay and any --lock-wait

  // A published policy (client.yaml policy_name): fetched and verified on every run, so the
  // host follows the revision its group points at; offline, the signed copy of the last fetch.
  if (o.policy.empty()) {
    HostPolicyRequest req{first_supermarket(o.sources), config->policy_name, config->policy_group, o.root, *state_dir};
    req.trusted_keys = config->trusted_keys;
    req.trusted_keys.insert(req.trusted_keys.end(), o.trust.begin(), o.trust.end());
    req.ca_bundle = config->ca_bundle;
    req.transfer = config->http;
    req.git = config->git;
    rep.policy_group = config->policy_group.empty() ? sources::kDefaultPolicyGroup : config->policy_group;
    auto fetched = fetch_host_policy(req);
    if (!fetched.is_ok()) return fail_early(fetched.status());
    o.policy = fetched->dir + "/policy.yaml";
    phase_done("policy");
  }

  // A saved plan: its signature, host, root and age are checked before anything is compiled;
  // it brings its own selection. plan --out signs with the host's plan key (made on first use,
  // the one thing a plan writes besides its --out file).
  engine::Selection selection{o.only, o.tags};
  std::string plan_key;
  std::optional<SavedPlan> saved;
  if (!o.plan_in.empty()) {
    if (!selection.empty())
      return fail_early(Status::invalid_input("--only and --tags cannot be given with --plan: the saved plan holds its own selection"));
    auto text = sources::read_local_file(o.plan_in, 64 << 20);
    if (!text.is_ok()) return fail_early(text.status().with_context("--plan"));
    auto key = load_plan_key(**host, *state_dir, false);
    if (!key.is_ok()) return fail_early(key.status().with_context("--plan " + o.plan_in));
    auto p = read_plan_text(*text, *key, o.plan_in);
    if (!p.is_ok()) return fail_early(p.status());
    rep.saved_plan = {{"file", o.plan_in}, {"digest", p->digest}, {"created", p->created}};
    if (o.dry_run) rep.saved_plan["checked"] = true;  // converge --plan P --dry-run: checked, not applied
    if (std::string why = saved_plan_mismatch(*p, o, facts.fqdn, *state_dir); !why.empty())
      return fail_early(Status::conflict("saved plan " + o.plan_in + " refused: " + why + "; nothing was changed"));
    selection = p->selection;
    plan_key = *key;
    saved = std::move(*p);
  } else if (!o.plan_out.empty()) {
    // Where the plan goes is checked before the plan is made, not after it was shown.
    std::error_code ec;
    fs::path out(o.plan_out);
    fs::path folder = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    if (fs::is_directory(out, ec))
      return fail_early(Status::invalid_input("--out " + o.plan_out + ": is a folder; name the plan file to write"));
    if (!fs::is_directory(folder, ec))
      return fail_early(Status::invalid_input("--out " + o.plan_out + ": no folder " + folder.string() + " to write the plan in"));
    Status s = host::make_dirs(**host, *state_dir, 0700);
    auto key = s.is_ok() ? load_plan_key(**host, *state_dir, true) : Result<std::string>(s);
    if (!key.is_ok()) return fail_early(key.status().with_context("--out " + o.plan_out));
    plan_key = *key;
  }
  resources::set_package_refresh_policy({config->apt_update_max_age_s});
  resources::set_git_transfer_settings(
      {config->git, o.ca_bundle.empty() ? config->ca_bundle : o.ca_bundle, config->http.timeout_s});

  // Compile: every error of the phase, each at file:line:col, then stop before any change.
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  compiler::CompileOptions copts{o.policy, o.sources, o.node_attributes, real_state + "/cache"};
  copts.trusted_keys = config->trusted_keys;
  copts.trusted_keys.insert(copts.trusted_keys.end(), o.trust.begin(), o.trust.end());
  copts.ca_bundle = o.ca_bundle.empty() ? config->ca_bundle : o.ca_bundle;
  copts.secret_key_file = o.secret_key.empty() ? config->secret_key : o.secret_key;
  // The recipes compile on the walk's worker count, but on no more threads than cores: the
  // compile waits on nothing, so a thread beyond the cores only costs its start.
  copts.jobs = std::min(o.jobs > 0 ? o.jobs : engine::default_jobs(),
                        std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  // Parsed recipes kept by content: a no-op run skips YAML scanning. plan only reads them.
  copts.parse_cache_dir = parse_cache_dir(o.root, real_state);
  copts.parse_cache_writable = !o.dry_run && !o.verify_only;
  copts.confine_root = o.root == "/" ? "" : o.root;
  copts.trusted_dir = trusted_dir_for(o.root, real_state);
  copts.transfer = config->http;
  copts.git = config->git;
  compiler::CompileResult compiled = compiler::compile_policy(copts, registry, facts);
  phase_done("compile");
  if (compiled.compiled)
    log::debug("compile: " + std::to_string(compiled.compiled->graph.size()) + " resources on " +
               std::to_string(compiled.compiled->compile_threads) + " thread(s)");
  if (!compiled.ok()) {
    for (const auto& e : compiled.errors) {
      std::fprintf(stderr, "%s\n", escape_controls(redact::redact(e.to_string())).c_str());
      rep.errors.push_back(redact::redact(e.to_string()));
    }
    std::fprintf(stderr, "roux: %zu error%s; nothing was changed\n", compiled.errors.size(),
                 compiled.errors.size() == 1 ? "" : "s");
    rep.exit_code = kExitNoRun;
    rep.end_time = report::now_iso8601();
    // The same name as the good runs (a metric's labels stay stable): the policy file's own
    // name when it could be read, else the last run's.
    rep.policy = !compiled.policy_name.empty() ? compiled.policy_name : last_run_policy(**host, *state_dir);
    if (o.format == "json" && !o.silent) std::cout << redact::redact(json_dump(report::to_json(rep), 2)) << "\n";
    if (!o.dry_run && !o.verify_only)
      for (const auto& w : report::run_handlers(rep, report::report_json_text(rep), config->handlers, **host, *state_dir))
        log::warn(w);
    return kExitNoRun;
  }
  compiler::Compiled& c = *compiled.compiled;
  rep.policy = c.policy_name;
  rep.policy_file = fs::absolute(c.policy_file).string();
  for (const auto& cb : c.cookbooks) rep.cookbooks.push_back({cb.ref.name, cb.ref.version.to_string(), cb.ref.source});
  rep.lock_digest = lock_digest(c.lockfile);
  // The last converge's report: which cookbooks moved since, and which resources' desired state.
  report::PreviousRun previous;
  if (auto last = (**host).read_file(*state_dir + "/last_run.json"); last.is_ok())
    previous = report::parse_previous_run(*last);
  if (previous.known) rep.cookbooks_moved = report::moved_cookbooks(previous.cookbooks, rep.cookbooks);
  {
    // The whole policy's desired states (the selection's or not), for the resources the last
    // run's state copy does not list: unchanged then, or outside its selection.
    std::vector<std::pair<std::string, std::string>> id_desired;
    id_desired.reserve(c.graph.nodes().size());
    for (const auto& n : c.graph.nodes()) id_desired.emplace_back(n->resource->id(), n->resource->meta().desired_digest);
    rep.desired_set = report::desired_set_digest(std::move(id_desired));
    previous.same_desired_set = !previous.desired_set.empty() && previous.desired_set == rep.desired_set;
  }

  // Text output streams: the header now, each resource as it settles, the summary at the end.
  bool stream = o.format == "text" && !o.verify_only && !o.silent && o.explain.empty();
  bool color = use_color(o);
  std::unique_ptr<report::Progress> progress;
  if (stream && isatty(STDERR_FILENO) && !o.quiet) progress = std::make_unique<report::Progress>(stderr);
  // Files that held a secret in an earlier run: their old content is never shown as a "before".
  std::set<std::string> formerly_sensitive;
  if (!o.verify_only) formerly_sensitive = engine::load_sensitive_names(**host, *state_dir);
  Streamer streamer(color, &previous, &formerly_sensitive, c.graph.size(), progress.get());
  streamer.quiet = o.quiet;
  if (stream && !o.quiet) std::cout << redact::redact(report::format_header(rep, color)) << std::flush;

  // explain: the resource must exist; a typo gets the nearest id.
  const engine::Node* explained = nullptr;
  if (!o.explain.empty()) {
    explained = c.graph.find(o.explain);
    if (!explained) {
      std::vector<std::string> ids;
      for (const auto& n : c.graph.nodes()) ids.push_back(n->resource->id());
      std::string near = closest_match(o.explain, ids);
      return fail_early(Status::not_found("explain: no resource " + one_line(o.explain, 200) + " in the policy" +
                                          (near.empty() ? std::string() : "; did you mean " + near + "?")));
    }
  }

  // A targeted run (--only, --tags, or a saved plan's): the selection and what it requires.
  if (auto n = c.graph.select(selection); !n.is_ok()) {
    return fail_early(n.status());
  } else if (!selection.empty()) {
    // Verify checks follow the selection: a recipe's checks run when one of its resources is
    // selected (an alert's remediation must not wait on, or fail for, checks of other parts).
    std::set<std::pair<std::string, std::string>> recipes;
    for (const auto& node : c.graph.nodes())
      if (node->selected) recipes.insert({node->resource->meta().cookbook, node->resource->meta().recipe});
    size_t checks = c.verify.size();
    std::erase_if(c.verify, [&](const engine::VerifyCheck& v) { return !recipes.count({v.cookbook, v.recipe}); });
    rep.selection = {{"only", selection.only}, {"tags", selection.tags}, {"selected", *n}, {"of", c.graph.size()},
                     {"verify_selected", c.verify.size()}, {"verify_of", checks}};
  }

  // converge --plan: the policy and lockfile must be the plan's, and a fresh plan made now, by
  // the same code on the same host, must hold exactly the saved plan's changes (the same
  // properties from the same observed befores to the same afters). Anything that moved is named
  // and nothing is changed.
  // Notifications an earlier targeted run could not deliver: delivered now if their target is in.
  const std::vector<engine::PendingNotification> pending = load_pending_notifications(walk_host, *state_dir);

  std::vector<std::string> plan_moved;
  if (saved) {
    if (std::string d = compiled_policy_digest(c); d != saved->policy_digest)
      plan_moved.push_back("the policy changed since the plan (policy digest " + d.substr(0, 12) + ", the plan's " +
                           saved->policy_digest.substr(0, 12) + ")");
    if (std::string d = compiled_lock_digest(c); d != saved->lock_digest)
      plan_moved.push_back("the lockfile changed since the plan (" + d.substr(0, 12) + ", the plan's " +
                           saved->lock_digest.substr(0, 12) + ")");
    if (plan_moved.empty()) {
      // A second graph from the same inputs: the walk fills a graph's outcome once.
      compiler::CompileResult fresh = compiler::compile_policy(copts, registry, facts);
      if (!fresh.ok()) return fail_early(Status::internal("saved plan: the policy compiled once but not twice"));
      (void)fresh.compiled->graph.select(selection);
      engine::RunOptions popts;
      popts.mode = engine::Mode::kPlan;
      popts.state_dir = *state_dir;
      popts.fingerprint_key = plan_key;
      popts.pending = pending;
      engine::converge_graph(fresh.compiled->graph, **host, popts);
      plan_moved = compare_changes(saved->changes, planned_changes(fresh.compiled->graph));
      for (const auto& n : fresh.compiled->graph.nodes())
        if (n->selected && n->status == engine::NodeStatus::kFailed && !n->failure_ignored)
          plan_moved.push_back(n->resource->id() + ": would fail now: " + n->error);
      g_finished_graph = fresh.compiled.release();  // (freed at exit, see the end of converge())
    }
    phase_done("plan check");
    if (!plan_moved.empty()) {
      for (auto& m : plan_moved) m = "saved plan " + o.plan_in + ": " + m;
      rep.errors = plan_moved;
      return fail_early(Status::conflict("saved plan " + o.plan_in + " no longer matches (" +
                                         std::to_string(plan_moved.size()) + " difference" +
                                         (plan_moved.size() == 1 ? "" : "s") + "); nothing was changed; make a new plan"));
    }
  }

  // Converge (or plan): the same walk; only the mode differs.
  engine::RunOptions ropts;
  ropts.mode = o.dry_run ? engine::Mode::kPlan : engine::Mode::kApply;
  ropts.state_dir = *state_dir;
  ropts.tidy_temps = after_killed_run;
  ropts.fingerprint_key = plan_key;
  ropts.pending = pending;
  ropts.jobs = o.jobs > 0 ? o.jobs : engine::default_jobs();
  // converge --plan admits only the saved plan's changes, each once: a change that appeared
  // between the check above and its turn is refused (that resource fails), never made.
  std::map<std::string, std::multiset<std::pair<std::string, std::string>>> admitted;
  if (saved) {
    for (const auto& ch : saved->changes) admitted[ch.id].insert({ch.property, ch.fingerprint});
    ropts.permit = [&admitted](const engine::Node& n, const engine::Change& ch) -> Status {
      auto& left = admitted[n.resource->id()];
      auto it = left.find({ch.property, ch.fingerprint});
      if (it == left.end())
        return Status::conflict("not in the saved plan: " + ch.property + " " + ch.before + " -> " + ch.after +
                                "; refused (make a new plan)");
      left.erase(it);
      return Status::ok();
    };
  }
  if (stream) ropts.on_node_done = [&](const engine::Node& n) { streamer.done(n); };
  streamer.verbose = !o.quiet && log::level() <= log::Level::kInfo;
  if (stream && (streamer.verbose || progress))
    ropts.on_output = [&](const engine::Node& n, std::string_view piece) { streamer.output(n, piece); };
  if (progress) ropts.on_node_start = [&](const engine::Node& n, size_t batch) { progress->start(n.resource->id(), batch); };
  if (progress)
    ropts.on_node_running = [&](const engine::Node& n, bool on) { progress->running(n.resource->id(), on); };
  if (!o.verify_only) {
    engine::converge_graph(c.graph, walk_host, ropts);
    if (progress) progress->stop();
    // The host synced each changed file as it wrote it and each changed folder now, once: no
    // report says a change was made before its name is durable.
    if (Status s = (**host).sync_changed_dirs(); !s.is_ok()) rep.errors.push_back(s.to_string());
    engine::hide_retired_secrets(c.graph, formerly_sensitive);
    if (stream) streamer.finish(c.graph);
    phase_done("converge", streamer.printing());
  }

  // Verify: the recipes' checks prove the converged host works (in plan they are only listed).
  rep.verify = engine::run_verify(c.verify, **host, ropts.mode);
  if (!c.verify.empty()) phase_done("verify");
  if (o.verify_only) {
    rep.mode = "verify";
    rep.end_time = report::now_iso8601();
    rep.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    rep.exit_code = report::compute_exit_code(rep);
    return emit(rep, report::report_json_text(rep), o);
  }

  // Report: totals, exit code, output, and in apply the state folder's record of the run.
  report::add_graph(rep, c.graph, &previous);
  // Reboot requests left pending, and whether this converge reboots at its end (after the
  // report and the handlers; converge_logged runs it). The host's record, with each reboot
  // resource that changed in this run: in apply the record already holds it, in a plan it is
  // what the converge would add, so the plan decides exactly as the converge will.
  {
    std::string record;
    if (auto t = (**host).read_file(resources::kRebootRequestFile, 1 << 20); t.is_ok()) record = *t;
    std::vector<resources::RebootRequest> requests = resources::parse_reboot_requests(record);
    for (const auto& n : c.graph.nodes())
      if (n->selected && (n->status == engine::NodeStatus::kChanged || n->status == engine::NodeStatus::kWouldChange))
        if (auto r = resources::reboot_request_of(*n->resource)) requests = resources::with_reboot_request(requests, *r);
    int failed = 0;
    for (const auto& r : rep.resources) failed += r.status == "failed" && !r.failure_ignored;
    for (const auto& v : rep.verify) failed += v.status == "failed";
    resources::RebootDecision d = resources::decide_reboot(requests, config->reboot, o.root == "/", failed);
    if (d.pending) {
      nlohmann::ordered_json reqs = nlohmann::ordered_json::array();
      for (const auto& r : requests)
        reqs.push_back({{"by", r.by}, {"action", r.action}, {"delay_minutes", r.delay_minutes}, {"reason", r.reason}});
      rep.reboot = {{"pending", true}, {"requests", reqs}, {"decision", d.reboot ? "reboot" : "hold"}};
      if (!d.reboot) rep.reboot["why"] = d.why;
      if (d.reboot) rep.reboot["delay_minutes"] = d.delay_minutes, rep.reboot["command"] = d.command;
    }
  }
  rep.end_time = report::now_iso8601();
  rep.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  // plan --out: the plan, signed, for converge --plan. A plan with failures is not saved: it
  // could never be applied as shown.
  if (!o.plan_out.empty()) {
    if (rep.totals.failed > 0) {
      log::error("plan not saved to " + o.plan_out + ": " + std::to_string(rep.totals.failed) +
                 " resource(s) would fail; fix them and plan again");
    } else {
      SavedPlan p;
      p.roux_version = kVersion;
      p.host = facts.fqdn;
      p.root = o.root;
      p.state_dir = *state_dir;
      p.created = rep.start_time;
      p.created_unix = static_cast<int64_t>(std::time(nullptr));
      p.policy = c.policy_name;
      p.policy_file = rep.policy_file;
      p.policy_digest = compiled_policy_digest(c);
      p.lock_digest = compiled_lock_digest(c);
      p.selection = selection;
      p.changes = planned_changes(c.graph);
      std::string text = write_plan_text(p, plan_key);
      if (Status s = write_file_atomic(o.plan_out, text, 0600); !s.is_ok())
        return fail_early(s.with_context("--out"));
      rep.saved_plan = {{"file", o.plan_out}, {"digest", p.digest}, {"created", p.created}};
    }
  }
  if (o.dry_run && o.rehearse) {
    auto h = rehearse_plan(o, report::report_json_text(rep));
    if (!h.is_ok()) return fail_early(h.status());
    rep.rehearsal = std::move(*h);
  }
  // The state folder keeps the compact report (unchanged resources counted, not listed), written
  // for last_run.json and the history's per-run copy; the whole report, for --report, json_file
  // and webhook, is serialised only when one of them asks for it (stdout's is made by emit).
  // Written in pieces (never the whole text in memory: megabytes after thousands of new files),
  // once for last_run.json and once for the history's copy.
  const host::Host::Pieces state_report = [&rep](const host::Host::PieceSink& sink) {
    return report::write_report_json(rep, /*list_unchanged=*/false, sink);
  };
  bool full = !o.report_file.empty() || report::handlers_need_full_report(config->handlers);
  std::string report_json = full ? report::report_json_text(rep) : std::string();
  if (!o.dry_run) {
    Status s = (**host).write_file_pieces(*state_dir + "/last_run.json", state_report, 0600, std::nullopt, std::nullopt);
    if (!s.is_ok()) log::warn("could not record the run in " + real_state + ": " + s.to_string());
    s = save_pending_notifications(**host, *state_dir, pending, engine::pending_after(c.graph, pending));
    if (!s.is_ok()) log::warn("could not record the undelivered notifications in " + real_state + ": " + s.to_string());
    s = engine::record_sensitive_names(**host, *state_dir, c.graph, formerly_sensitive);
    if (!s.is_ok()) log::warn("could not record the sensitive paths in " + real_state + ": " + s.to_string());
    // Handlers (history, json file, webhook, prometheus, syslog): each on its own; none can
    // fail the run, and each is bounded in time.
    for (const auto& w : report::run_handlers(rep, report_json, config->handlers, **host, *state_dir, &state_report))
      log::warn(w);
    if (Status s2 = (**host).sync_changed_dirs(); !s2.is_ok())
      log::warn("could not sync the state folder " + real_state + ": " + s2.to_string());
  }
  // The process ends right after this run: parking the graph in a global skips freeing it node
  // by node (a twentieth of a 10,000-resource no-op). Still reachable, so not a leak to LSan.
  // (roux bootstrap converges several times in one process: the previous pass's graph goes.)
  delete g_finished_graph;
  g_finished_graph = compiled.compiled.release();
  if (explained) {
    std::cout << explain_text(c, *explained);
    return rep.exit_code;
  }
  return emit(rep, report_json, o, stream);
}

/// Runs the reboot command of `decision` (the report's reboot) through the host door; returns
/// `rc`, or rc with the failure bit when the command could not run or failed.
int run_reboot(const nlohmann::ordered_json& decision, int rc) {
  std::vector<std::string> argv;
  for (const auto& a : decision.value("command", nlohmann::ordered_json::array())) argv.push_back(a.get<std::string>());
  if (argv.empty()) return rc;
  std::string message;
  for (const auto& q : decision.value("requests", nlohmann::ordered_json::array()))
    message += (message.empty() ? "" : "; ") + q.value("reason", "") + " (" + q.value("by", "") + ")";
  log::notice("rebooting: " + join(argv, " "));
  auto host = host::make_posix_host("/");
  if (!host.is_ok()) {
    log::error("reboot: " + host.status().to_string());
    return rc | kExitFailures;
  }
  SubprocessOptions opts;
  opts.argv = argv;
  opts.env = {{"ROUX_REBOOT_DELAY_MINUTES", std::to_string(decision.value("delay_minutes", 0))},
              {"ROUX_REBOOT_MESSAGE", "roux: " + message}};
  opts.timeout = std::chrono::seconds(120);
  auto r = (**host).run(opts);
  if (!r.is_ok() || r->exit_code != 0 || r->signal || r->timed_out) {
    log::error("reboot: " + join(argv, " ") + " failed: " +
               (r.is_ok() ? "exit " + std::to_string(r->exit_code) + ": " + one_line(std::string(trim(r->output)), 400)
                          : r.status().to_string()) +
               "; the request stays pending");
    return rc | kExitFailures;
  }
  return rc;
}

/// converge, then one closing record with the run's identity and outcome as key=value fields, at
/// priority notice: "run finished: run_id=... policy=... mode=... exit_code=N": under systemd
/// (stderr is the journal) a journal entry with ROUX_* fields, elsewhere a syslog record
/// (docs/output.md).
int converge_logged(const ConvergeOptions& o) {
  report::RunReport rep;
  bool syslog_record = true;
  int rc = converge(o, &rep, &syslog_record);
  const std::string reboot = rep.reboot.is_object() ? rep.reboot.value("decision", "hold") : "";
  std::string policy = !rep.policy.empty() ? rep.policy : !o.policy.empty() ? o.policy : "-";
  std::string mode = o.verify_only ? "verify" : o.dry_run ? "plan" : "apply";
  std::string line = "run finished: run_id=" + rep.run_id + " policy=" + policy + " mode=" + mode +
                     " exit_code=" + std::to_string(rc) + (reboot.empty() ? "" : " reboot=" + reboot);
  if (!log::to_journal()) {
    // Not under systemd: the same closing record goes to syslog (facility daemon, priority
    // notice, ident roux), so cron runs leave a trace, unless client.yaml says `syslog: false`.
    // ROUX_SYSLOG_SOCKET names another datagram socket than /dev/log (containers, tests). Best
    // effort: no syslog, no record.
    const char* sock = std::getenv("ROUX_SYSLOG_SOCKET");
    if (syslog_record) (void)report::syslog_send("roux", LOG_NOTICE, escape_controls(redact::redact(line)), sock ? sock : "");
  } else {
    // The same record as journal fields (journalctl ROUX_RUN_ID=...); the plain line when the
    // journal's socket is not reachable.
    if (!log::journal_send(line, {{"ROUX_RUN_ID", rep.run_id}, {"ROUX_POLICY", policy},
                                  {"ROUX_POLICY_GROUP", rep.policy_group}, {"ROUX_MODE", mode},
                                  {"ROUX_EXIT_CODE", std::to_string(rc)},
                                  {"ROUX_CHANGED", std::to_string(rep.totals.changed + rep.totals.would_change)},
                                  {"ROUX_FAILED", std::to_string(rep.totals.failed)},
                                  {"ROUX_REBOOT", reboot.empty() ? "none" : reboot}}))
      log::notice(line);
  }
  // The reboot, last of all: the report, the handlers and the closing record are written. Only
  // a converge of the running machine that decided so (resources::decide_reboot) gets here.
  if (reboot == "reboot" && !o.dry_run && !o.verify_only && o.root == "/") rc = run_reboot(rep.reboot, rc);
  return rc;
}

}  // namespace

int run_converge(ConvergeOptions o, report::RunReport* out) { return converge(std::move(o), out); }

void add_converge_commands(CLI::App& app, int* exit_code) {
  auto* opts = new ConvergeOptions();  // lives as long as the app's callbacks
  auto* conv = app.add_subcommand("converge", "converge the host to its policy (apply)");
  add_common_options(conv, opts);
  conv->add_flag("--dry-run,-n", opts->dry_run, "plan only: change nothing");
  conv->add_option("--jobs", opts->jobs,
                   "converge up to N independent resources at once (default: the number of cores, at least 4); "
                   "files, folders, links, templates and `parallel: true` execs run beside each other, the rest alone; "
                   "a large policy also compiles on up to N threads (at most the cores)")
      ->check(CLI::Range(1, 256));
  add_targeting_options(conv, opts);
  conv->add_option("--plan", opts->plan_in,
                   "apply exactly this saved plan (from `roux plan --out`); refused, changing nothing, when the "
                   "policy, the lockfile or any observed value moved since");
  conv->add_option("--plan-max-age", opts->plan_max_age,
                   "refuse a saved plan older than SECONDS (default 86400; 0 = any age)");
  conv->callback([opts, exit_code] { *exit_code = converge_logged(*opts); });

  auto* plan_opts = new ConvergeOptions();
  auto* plan = app.add_subcommand("plan", "show what converge would change, changing nothing (= converge --dry-run)");
  add_common_options(plan, plan_opts);
  plan->add_flag("--rehearse", plan_opts->rehearse,
                 "also run the real converge in a throwaway copy-on-write overlay of the root (private "
                 "namespaces; needs root) and flag every difference from the plan");
  add_targeting_options(plan, plan_opts);
  plan->add_option("--out", plan_opts->plan_out,
                   "also save the plan to FILE, signed with this host's plan key, for `roux converge --plan FILE`");
  plan->add_option("--jobs", plan_opts->jobs, "compile on up to N threads (at most the cores); a plan always walks one resource at a time")
      ->check(CLI::Range(1, 256));
  plan->add_option("--explain", plan_opts->explain, "tell why resource ID is in the plan (see `roux explain`)");
  plan->callback([plan_opts, exit_code] {
    plan_opts->dry_run = true;
    *exit_code = converge_logged(*plan_opts);
  });

  auto* explain_opts = new ConvergeOptions();
  auto* explain = app.add_subcommand(
      "explain", "tell why a resource is in the plan: what differs, where it was declared, what orders and refreshes it");
  explain->add_option("resource", explain_opts->explain, "resource id, such as \"service[nginx]\"")->required();
  add_common_options(explain, explain_opts);
  explain->callback([explain_opts, exit_code] {
    explain_opts->dry_run = true;
    *exit_code = converge(*explain_opts);
  });

  auto* verify_opts = new ConvergeOptions();
  auto* verify = app.add_subcommand("verify", "run the policy's verify checks alone (no converge); exit 4 when one fails");
  add_common_options(verify, verify_opts);
  verify->callback([verify_opts, exit_code] {
    verify_opts->verify_only = true;
    *exit_code = converge_logged(*verify_opts);
  });
}

}  // namespace roux::cli
