// roux converge / roux plan: the driver. Reads as a list of named passes, each with its why.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "base/atomic_file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "base/version.h"
#include "cli/client_config.h"
#include "cli/commands.h"
#include "cli/exit_code.h"
#include "compiler/compile.h"
#include "engine/retired_secrets.h"
#include "engine/run_lock.h"
#include "engine/runner.h"
#include "engine/verify.h"
#include "facts/facts.h"
#include "cli/rehearse.h"
#include "host/planned_host.h"
#include "report/handlers/handlers.h"
#include "report/progress.h"
#include "report/run_report.h"
#include "resources/builtin.h"
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

/// Prints the report and writes --report; returns the exit code. `streamed`: the header and the
/// resources were printed while the run went (text only), so only the footer is left.
int emit(const report::RunReport& rep, const std::string& report_json, const ConvergeOptions& o, bool streamed = false) {
  // Defence in depth: every known secret plaintext is masked in whatever we print or write.
  if (o.format == "json") {
    std::cout << redact::redact(json_dump(report::to_json(rep), 2)) << "\n";
  } else {
    bool color = use_color(o);
    std::cout << redact::redact(streamed ? report::format_footer(rep, color) : report::format_text(rep, color));
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

/// Prints each resource's block as it settles (text output): in the walk's order, which is
/// stable (topological, declaration order breaking ties), and, on a terminal, the resource in
/// progress on a status line (report/progress.h). A node refreshed later by a delayed
/// notification prints again at the end with what the refresh added.
class Streamer {
 public:
  Streamer(bool color, const report::PreviousRun* previous, const std::set<std::string>* retired, size_t nodes,
           report::Progress* progress)
      : color_(color), previous_(previous), retired_(retired), printed_(nodes, 0), shown_(nodes, false), progress_(progress) {}

  /// --quiet: only failed resources.
  bool quiet = false;
  /// -v: commands' output is printed (else only apt's progress is read, for the status line).
  bool verbose = false;

  /// -v: a command's output as it comes, a whole line at a time ("  exec[x] | line"), redacted
  /// and with control bytes escaped like every text from the host.
  void output(const engine::Node& n, std::string_view piece) {
    partial_ += piece;
    size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      output_line(n, partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
  }

  void done(const engine::Node& n) {
    if (!partial_.empty()) output_line(n, partial_), partial_.clear();
    print(n, 0);
    printed_[n.index] = n.changes.size();
    shown_[n.index] = n.status != engine::NodeStatus::kUnchanged;
  }

  /// After the walk: what delayed notifications added, in declaration order.
  void finish(const engine::Graph& graph) {
    for (const auto& n : graph.nodes()) {
      bool news = n->changes.size() > printed_[n->index] ||
                  (!shown_[n->index] && n->status != engine::NodeStatus::kUnchanged &&
                   n->status != engine::NodeStatus::kPending);
      if (news) print(*n, printed_[n->index]);
    }
  }

 private:
  void print(const engine::Node& n, size_t skip_changes) {
    report::ResourceReport r = report::resource_report(n);
    // A file that held a secret in an earlier run shows no old content, as in the report.
    engine::hide_retired_secrets(n, r.changes, *retired_);
    if (previous_) r.cause = report::cause_for(*previous_, r);
    if (quiet && r.status != "failed") return;
    r.changes.erase(r.changes.begin(), r.changes.begin() + static_cast<long>(std::min(skip_changes, r.changes.size())));
    std::string text = redact::redact(report::format_resource(r, color_));
    if (progress_) progress_->print(text);
    else std::cout << text << std::flush;
  }

  void output_line(const engine::Node& n, const std::string& line) {
    // apt's progress (APT::Status-Fd): a percentage on the status line, never printed.
    if (auto pct = report::package_progress_percent(line)) {
      if (progress_) progress_->set_detail("apt " + std::to_string(*pct) + "%");
      return;
    }
    if (!verbose) return;
    std::string text = redact::redact("  " + n.resource->id() + " | " + escape_controls(redact::redact(line)) + "\n");
    if (progress_) progress_->print(text);
    else std::cout << text << std::flush;
  }

  std::string partial_;
  bool color_;
  const report::PreviousRun* previous_;
  const std::set<std::string>* retired_;
  std::vector<size_t> printed_;
  std::vector<bool> shown_;
  report::Progress* progress_;
};

/// What the closing line under journald names (see converge_logged).
struct RunIdentity {
  std::string run_id, policy, mode;
};

int converge(ConvergeOptions o, RunIdentity* id) {
  auto t0 = Clock::now();
  auto phase_start = t0;
  report::RunReport rep;
  rep.run_id = run_id_now();
  id->run_id = rep.run_id;
  id->policy = o.policy;
  id->mode = o.verify_only ? "verify" : o.dry_run ? "plan" : "apply";
  rep.roux_version = kVersion;
  rep.mode = o.dry_run ? "plan" : "apply";
  rep.start_time = report::now_iso8601();
  rep.root = o.root;
  // Each pass's time goes in the report: a slow run says where its time went.
  auto phase_done = [&](const char* name) {
    auto now = Clock::now();
    rep.phases_ms.emplace_back(name, std::chrono::duration<double, std::milli>(now - phase_start).count());
    phase_start = now;
  };
  auto fail_early = [&](const Status& s) {
    rep.errors.push_back(s.to_string());
    rep.end_time = report::now_iso8601();
    rep.exit_code = kExitNoRun;
    for (const auto& e : rep.errors) std::fprintf(stderr, "roux: error: %s\n", escape_controls(redact::redact(e)).c_str());
    if (o.format == "json") std::cout << redact::redact(json_dump(report::to_json(rep), 2)) << "\n";
    return kExitNoRun;
  };

  // Client config: where the policy and sources are when the command line does not say.
  auto config = load_client_config(o.config);
  if (!config.is_ok()) return fail_early(config.status());
  // The config's log_level: unless the command line said (-v, -vv, --quiet, --log-level).
  if (!log::level_from_command_line() && !config->log_level.empty())
    if (auto l = log::parse_level(config->log_level)) log::set_level(*l);
  o.quiet = log::quiet();
  if (o.policy.empty()) o.policy = config->policy;
  if (o.sources.empty()) o.sources = config->sources;
  if (o.state_dir == "/var/lib/roux" && !config->state_dir.empty()) o.state_dir = config->state_dir;
  if (o.policy.empty())
    return fail_early(Status::invalid_input("no policy: pass --policy FILE or set policy: in " + o.config));
  if (std::error_code ec; fs::is_directory(o.policy, ec)) o.policy = (fs::path(o.policy) / "policy.yaml").string();

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
  if (Status s = lock.acquire(*lock_dir + "/run.lock", o.lock_wait, !o.dry_run); !s.is_ok()) return fail_early(s);
  // A run killed mid-way (its "running" mark is still in the lock file) may have left temp
  // files: sweep roux's own folders now, and let file resources tidy beside their paths.
  bool after_killed_run = !o.dry_run && lock.mark_running();
  if (after_killed_run) sweep_stale_temps(**host, *state_dir);
  phase_done("lock");  // includes the splay and any --lock-wait

  // Compile: every error of the phase, each at file:line:col, then stop before any change.
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  compiler::CompileOptions copts{o.policy, o.sources, o.node_attributes, real_state + "/cache"};
  copts.trusted_keys = config->trusted_keys;
  copts.trusted_keys.insert(copts.trusted_keys.end(), o.trust.begin(), o.trust.end());
  copts.ca_bundle = o.ca_bundle.empty() ? config->ca_bundle : o.ca_bundle;
  copts.secret_key_file = o.secret_key.empty() ? config->secret_key : o.secret_key;
  // Parsed recipes kept by content: a no-op run skips YAML scanning. plan only reads them.
  copts.parse_cache_dir = parse_cache_dir(o.root, real_state);
  copts.parse_cache_writable = !o.dry_run && !o.verify_only;
  copts.confine_root = o.root == "/" ? "" : o.root;
  copts.trusted_dir = trusted_dir_for(o.root, real_state);
  copts.transfer = config->http;
  compiler::CompileResult compiled = compiler::compile_policy(copts, registry, facts);
  phase_done("compile");
  if (!compiled.ok()) {
    for (const auto& e : compiled.errors) {
      std::fprintf(stderr, "%s\n", escape_controls(redact::redact(e.to_string())).c_str());
      rep.errors.push_back(redact::redact(e.to_string()));
    }
    std::fprintf(stderr, "roux: %zu error%s; nothing was changed\n", compiled.errors.size(),
                 compiled.errors.size() == 1 ? "" : "s");
    rep.exit_code = kExitNoRun;
    rep.end_time = report::now_iso8601();
    if (o.format == "json") std::cout << redact::redact(json_dump(report::to_json(rep), 2)) << "\n";
    if (!o.dry_run && !o.verify_only)
      for (const auto& w : report::run_handlers(rep, report::report_json_text(rep), config->handlers, **host, *state_dir))
        log::warn(w);
    return kExitNoRun;
  }
  compiler::Compiled& c = *compiled.compiled;
  rep.policy = c.policy_name;
  id->policy = rep.policy;
  rep.policy_file = fs::absolute(c.policy_file).string();
  for (const auto& cb : c.cookbooks) rep.cookbooks.push_back({cb.ref.name, cb.ref.version.to_string(), cb.ref.source});
  rep.lock_digest = lock_digest(c.lockfile);
  // The last converge's report: which cookbooks moved since, and which resources' desired state.
  report::PreviousRun previous;
  if (auto last = (**host).read_file(*state_dir + "/last_run.json"); last.is_ok())
    previous = report::parse_previous_run(*last);
  if (previous.known) rep.cookbooks_moved = report::moved_cookbooks(previous.cookbooks, rep.cookbooks);

  // Text output streams: the header now, each resource as it settles, the summary at the end.
  bool stream = o.format == "text" && !o.verify_only;
  bool color = use_color(o);
  std::unique_ptr<report::Progress> progress;
  if (stream && isatty(STDERR_FILENO) && !o.quiet) progress = std::make_unique<report::Progress>(stderr);
  // Files that held a secret in an earlier run: their old content is never shown as a "before".
  std::set<std::string> formerly_sensitive;
  if (!o.verify_only) formerly_sensitive = engine::load_sensitive_names(**host, *state_dir);
  Streamer streamer(color, &previous, &formerly_sensitive, c.graph.size(), progress.get());
  streamer.quiet = o.quiet;
  if (stream && !o.quiet) std::cout << redact::redact(report::format_header(rep, color)) << std::flush;

  // Converge (or plan): the same walk; only the mode differs.
  engine::RunOptions ropts;
  ropts.mode = o.dry_run ? engine::Mode::kPlan : engine::Mode::kApply;
  ropts.state_dir = *state_dir;
  ropts.tidy_temps = after_killed_run;
  if (stream) ropts.on_node_done = [&](const engine::Node& n) { streamer.done(n); };
  streamer.verbose = !o.quiet && log::level() <= log::Level::kInfo;
  if (stream && (streamer.verbose || progress))
    ropts.on_output = [&](const engine::Node& n, std::string_view piece) { streamer.output(n, piece); };
  if (progress) ropts.on_node_start = [&](const engine::Node& n, size_t batch) { progress->start(n.resource->id(), batch); };
  if (!o.verify_only) {
    engine::converge_graph(c.graph, walk_host, ropts);
    if (progress) progress->stop();
    engine::hide_retired_secrets(c.graph, formerly_sensitive);
    if (stream) streamer.finish(c.graph);
    phase_done("converge");
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
  rep.end_time = report::now_iso8601();
  rep.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (o.dry_run && o.rehearse) {
    auto h = rehearse_plan(o, report::report_json_text(rep));
    if (!h.is_ok()) return fail_early(h.status());
    rep.rehearsal = std::move(*h);
  }
  // Serialised once: last_run.json, the history's per-run report, json_file, webhook, --report.
  std::string report_json = report::report_json_text(rep);
  if (!o.dry_run) {
    Status s = (**host).write_file(*state_dir + "/last_run.json", report_json, 0600, std::nullopt, std::nullopt);
    if (!s.is_ok()) log::warn("could not record the run in " + real_state + ": " + s.to_string());
    s = engine::record_sensitive_names(**host, *state_dir, c.graph, formerly_sensitive);
    if (!s.is_ok()) log::warn("could not record the sensitive paths in " + real_state + ": " + s.to_string());
    // Handlers (history, json file, webhook, prometheus, syslog): each on its own; none can
    // fail the run, and each is bounded in time.
    for (const auto& w : report::run_handlers(rep, report_json, config->handlers, **host, *state_dir)) log::warn(w);
  }
  // The process ends right after this run: parking the graph in a global skips freeing it node
  // by node (a twentieth of a 10,000-resource no-op). Still reachable, so not a leak to LSan.
  g_finished_graph = compiled.compiled.release();
  return emit(rep, report_json, o, stream);
}

/// converge, then under systemd (stderr is the journal) one closing line with the run's
/// identity and outcome as key=value fields, at priority notice: "run_id=... policy=... mode=...
/// exit_code=N". Elsewhere the syslog handler records runs (docs/output.md).
int converge_logged(const ConvergeOptions& o) {
  RunIdentity id;
  int rc = converge(o, &id);
  if (log::to_journal())
    log::notice("run finished: run_id=" + id.run_id + " policy=" + (id.policy.empty() ? "-" : id.policy) +
                " mode=" + id.mode + " exit_code=" + std::to_string(rc));
  return rc;
}

}  // namespace

void add_converge_commands(CLI::App& app, int* exit_code) {
  auto* opts = new ConvergeOptions();  // lives as long as the app's callbacks
  auto* conv = app.add_subcommand("converge", "converge the host to its policy (apply)");
  add_common_options(conv, opts);
  conv->add_flag("--dry-run,-n", opts->dry_run, "plan only: change nothing");
  conv->callback([opts, exit_code] { *exit_code = converge_logged(*opts); });

  auto* plan_opts = new ConvergeOptions();
  auto* plan = app.add_subcommand("plan", "show what converge would change, changing nothing (= converge --dry-run)");
  add_common_options(plan, plan_opts);
  plan->add_flag("--rehearse", plan_opts->rehearse,
                 "also run the real converge in a throwaway copy-on-write overlay of the root (private "
                 "namespaces; needs root) and flag every difference from the plan");
  plan->callback([plan_opts, exit_code] {
    plan_opts->dry_run = true;
    *exit_code = converge_logged(*plan_opts);
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
