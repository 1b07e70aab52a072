// apt/dpkg package provider: installed state from one read of /var/lib/dpkg/status (through the
// Host door), candidates from one `apt-cache policy`, plan from `apt-get -s`, apply with
// `apt-get install` (pkg / pkg=ver / pkg- for removal), holds with `apt-mark`.
// Read-only queries disable apt's binary cache files so a plan writes nothing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <set>

#include "base/strings.h"
#include "resources/package_provider.h"

namespace roux::resources {
namespace {

std::atomic<uint64_t> g_generation{0};

std::string report_time_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// apt options for read-only queries: no binary cache files, no planner log (apt-get -s writes
/// /var/log/apt/eipp.log.xz otherwise), no lock taken. A plan writes nothing.
/// On a planned host after a planned refresh, also its private lists (apt_view_options).
std::vector<std::string> readonly_apt_opts(const host::Host& host) {
  std::vector<std::string> out = {"-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
                                  "-o", "Dir::Log::Planner=/dev/null", "-o", "Debug::NoLocking=1"};
  for (auto& o : apt_view_options(host)) out.push_back(std::move(o));
  return out;
}

std::atomic<bool> g_sources_changed{false};
std::optional<int64_t> g_max_age_s;

constexpr const char* kRefreshStamp = "/apt-update.stamp";
constexpr const char* kListsDir = "/var/lib/apt/lists";

/// "90s", "5m", "2h", "1d": the largest unit that divides it.
std::string format_age(int64_t s) {
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

/// Files whose change makes apt's lists stale: the source lists and the keyrings they trust.
Result<std::vector<std::string>> source_files(const host::Host& host) {
  std::vector<std::string> out = {"/etc/apt/sources.list"};
  for (const char* dir : {"/etc/apt/sources.list.d", "/etc/apt/keyrings", "/etc/apt/trusted.gpg.d"}) {
    ROUX_ASSIGN_OR_RETURN(host::FileInfo d, host.lstat(dir));
    if (d.type != host::FileType::kDirectory) continue;
    ROUX_ASSIGN_OR_RETURN(std::vector<std::string> names, host.list_dir(dir));
    for (const auto& n : names) out.push_back(std::string(dir) + "/" + n);
  }
  return out;
}

std::map<std::string, std::string> apt_env() {
  return {{"DEBIAN_FRONTEND", "noninteractive"}, {"APT_LISTCHANGES_FRONTEND", "none"}, {"LC_ALL", "C"}};
}

/// The lines apt marks as errors ("E: ..."), else the tail of its output.
std::string apt_error_text(const std::string& out) {
  std::vector<std::string> errs;
  for (const auto& l : split_lines(out))
    if (starts_with(l, "E: ") || starts_with(l, "dpkg: error")) errs.push_back(l);
  std::string text = errs.empty() ? std::string(trim(out)) : join(errs, "; ");
  if (text.size() > 600) text = "..." + text.substr(text.size() - 600);
  return text;
}

/// apt's output without its APT::Status-Fd progress lines (which share its stdout).
std::string without_status_lines(const std::string& out) {
  std::string kept;
  for (const auto& l : split_lines(out))
    if (!starts_with(l, "pmstatus:") && !starts_with(l, "dlstatus:") && !starts_with(l, "pmerror:") &&
        !starts_with(l, "pmconffile:") && !starts_with(l, "media-change:"))
      kept += l + "\n";
  return kept;
}

std::string action_arg(const PackageAction& a) {
  switch (a.op) {
    case PackageOp::kInstall: return a.version.empty() ? a.name : a.name + "=" + a.version;
    case PackageOp::kRemove:
    case PackageOp::kPurge: return a.name + "-";
  }
  return a.name;
}

class AptProvider : public PackageProvider {
 public:
  std::string_view name() const override { return "apt"; }

  Result<std::shared_ptr<const InstalledDb>> installed(const host::Host& host,
                                                       const std::vector<std::string>& names) override {
    std::vector<std::string> want = names;
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    if (db_ && db_host_ == &host && db_generation_ == host_generation() &&
        std::includes(db_names_.begin(), db_names_.end(), want.begin(), want.end()))
      return db_;
    ROUX_ASSIGN_OR_RETURN(std::string text, host.read_file("/var/lib/dpkg/status"));
    db_ = std::make_shared<const InstalledDb>(parse_dpkg_status_of(text, want));
    db_names_ = std::move(want);
    db_host_ = &host;
    db_generation_ = host_generation();
    return db_;
  }

  Result<std::map<std::string, PackageCandidates>> candidates(const host::Host& host,
                                                              const std::vector<std::string>& names) override {
    std::map<std::string, PackageCandidates> out;
    std::vector<std::string> missing;
    for (const auto& n : names) {
      auto it = cand_.find(n);
      if (it != cand_.end() && cand_generation_ == host_generation()) out[n] = it->second;
      else missing.push_back(n);
    }
    if (missing.empty()) return out;
    if (cand_generation_ != host_generation()) cand_.clear();
    SubprocessOptions o;
    o.argv = {"apt-cache"};
    for (auto& a : readonly_apt_opts(host)) o.argv.push_back(a);
    o.argv.push_back("policy");
    o.argv.push_back("--");
    for (const auto& n : missing) o.argv.push_back(n);
    o.env = apt_env();
    o.timeout = std::chrono::minutes(5);
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, host.run_check(o));
    if (r.exit_code != 0)
      return Status::command_failed("apt-cache policy exited " + std::to_string(r.exit_code) + ": " + apt_error_text(r.output));
    auto parsed = parse_apt_policy(r.output);
    cand_generation_ = host_generation();
    for (const auto& n : missing) {
      auto it = parsed.find(n);
      if (it == parsed.end()) continue;
      cand_[n] = it->second;
      out[n] = it->second;
    }
    return out;
  }

  Result<std::vector<TransactionEntry>> simulate(const host::Host& host,
                                                 const std::vector<PackageAction>& actions) override {
    std::vector<TransactionEntry> all;
    for (const auto& group : split_groups(actions)) {
      SubprocessOptions o;
      o.argv = {"apt-get", "-s", "-q"};
      for (auto& a : readonly_apt_opts(host)) o.argv.push_back(a);
      append_common(o.argv, group);
      o.env = apt_env();
      o.timeout = std::chrono::minutes(5);
      ROUX_ASSIGN_OR_RETURN(SubprocessResult r, host.run_check(o));
      if (r.exit_code != 0)
        return Status::command_failed("apt-get -s exited " + std::to_string(r.exit_code) + ": " + apt_error_text(r.output));
      auto entries = parse_apt_simulation(r.output);
      all.insert(all.end(), entries.begin(), entries.end());
    }
    return all;
  }

  Status apply(host::Host& host, const std::vector<PackageAction>& actions, std::string* output) override {
    for (const auto& group : split_groups(actions)) {
      SubprocessOptions o;
      o.argv = {"apt-get", "-q", "-y", "-o", "DPkg::Lock::Timeout=120", "-o", "Dpkg::Options::=--force-confdef",
                "-o", "Dpkg::Options::=--force-confold"};
      append_common(o.argv, group);
      o.env = apt_env();
      o.timeout = std::chrono::minutes(30);
      // Progress ("pmstatus:PKG:PERCENT:TEXT") on stdout, for the status line; kept out of the report.
      if (output_stream) {
        o.argv.insert(o.argv.begin() + 1, {"-o", "APT::Status-Fd=1"});
        o.on_output = output_stream;
      }
      // On the planned host: apt's own simulation of this group, applied as a model.
      auto r = host.run(o, [this, &group](host::Host& planned) -> Status {
        ROUX_ASSIGN_OR_RETURN(std::vector<TransactionEntry> tx, simulate(planned, group));
        return model_apt_transaction(planned, tx);
      });
      invalidate();
      bump_host_generation();
      if (!r.is_ok()) return r.status();
      if (output_stream) r->output = without_status_lines(r->output);
      output->append(r->output);
      if (r->timed_out) return Status::timeout("apt-get timed out after 30 min");
      if (r->exit_code != 0)
        return Status::command_failed("apt-get exited " + std::to_string(r->exit_code) + ": " + apt_error_text(r->output));
    }
    return Status::ok();
  }

  Status set_hold(host::Host& host, const std::vector<std::string>& names, bool hold, std::string* output) override {
    SubprocessOptions o;
    o.argv = {"apt-mark", hold ? "hold" : "unhold"};
    o.argv.insert(o.argv.end(), names.begin(), names.end());
    o.env = apt_env();
    o.timeout = std::chrono::minutes(5);
    auto r = host.run(o, [&](host::Host& planned) { return model_apt_hold(planned, names, hold); });
    invalidate();
    bump_host_generation();
    if (!r.is_ok()) return r.status();
    output->append(r->output);
    if (r->exit_code != 0)
      return Status::command_failed("apt-mark exited " + std::to_string(r->exit_code) + ": " + apt_error_text(r->output));
    return Status::ok();
  }

  Result<std::string> refresh_due(const host::Host& host, const std::string& state_dir) override {
    if (g_sources_changed) return std::string("an apt_repository changed in this run");
    // The last refresh: roux's stamp, else the lists folder (apt renames every list it fetches).
    ROUX_ASSIGN_OR_RETURN(host::FileInfo stamp, host.lstat(state_dir + kRefreshStamp));
    int64_t last = stamp.mtime_ns;
    if (!stamp.exists()) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo lists, host.lstat(kListsDir));
      if (!lists.exists()) return std::string("apt's package lists were never fetched");
      last = lists.mtime_ns;
    }
    ROUX_ASSIGN_OR_RETURN(std::vector<std::string> files, source_files(host));
    for (const auto& f : files) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(f));
      if (fi.exists() && fi.mtime_ns > last) return f + " changed after the last refresh";
    }
    if (g_max_age_s) {
      int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
      if (now - last > *g_max_age_s * 1000000000) return "the last refresh is older than " + format_age(*g_max_age_s);
    }
    return std::string();
  }

  Status refresh(host::Host& host, const std::string& state_dir, std::string* output) override {
    SubprocessOptions o;
    o.argv = {"apt-get", "-q", "update"};
    o.env = apt_env();
    o.timeout = std::chrono::minutes(10);
    auto r = host.run(o, [](host::Host& planned) { return model_apt_update(planned); });
    invalidate();
    bump_host_generation();
    if (!r.is_ok()) return r.status();
    output->append(r->output);
    if (r->timed_out) return Status::timeout("apt-get update timed out after 10 min");
    if (r->exit_code != 0)
      return Status::command_failed("apt-get update exited " + std::to_string(r->exit_code) + ": " + apt_error_text(r->output));
    g_sources_changed = false;
    return host.write_file(state_dir + kRefreshStamp, report_time_now() + "\n", 0644, std::nullopt, std::nullopt);
  }

  void invalidate() override {
    db_.reset();
    cand_.clear();
  }

 private:
  /// apt purges either every removal of a transaction (--purge) or none: removals and purges
  /// together become two transactions (installs ride with the first).
  static std::vector<std::vector<PackageAction>> split_groups(const std::vector<PackageAction>& actions) {
    std::vector<PackageAction> main, purges;
    bool any_remove = false;
    for (const auto& a : actions) {
      if (a.op == PackageOp::kPurge) purges.push_back(a);
      else main.push_back(a);
      any_remove = any_remove || a.op == PackageOp::kRemove;
    }
    if (!any_remove) {
      main.insert(main.end(), purges.begin(), purges.end());
      purges.clear();
    }
    std::vector<std::vector<PackageAction>> out;
    if (!main.empty()) out.push_back(main);
    if (!purges.empty()) out.push_back(purges);
    return out;
  }

  static void append_common(std::vector<std::string>& argv, const std::vector<PackageAction>& group) {
    argv.push_back("--allow-downgrades");
    // A version roux is asked for wins over the package's hold (the hold keeps others' upgrades
    // away); without this every converge of a held package's new pin fails.
    argv.push_back("--allow-change-held-packages");
    bool purge = std::any_of(group.begin(), group.end(), [](const auto& a) { return a.op == PackageOp::kPurge; });
    if (purge) argv.push_back("--purge");
    argv.push_back("install");
    argv.push_back("--");
    for (const auto& a : group) argv.push_back(action_arg(a));
  }

  std::shared_ptr<const InstalledDb> db_;
  std::vector<std::string> db_names_;  // sorted: the names db_ was read for
  const host::Host* db_host_ = nullptr;
  uint64_t db_generation_ = 0;
  std::map<std::string, PackageCandidates> cand_;
  uint64_t cand_generation_ = 0;
};

}  // namespace

uint64_t host_generation() { return g_generation.load(); }
void set_package_refresh_policy(PackageRefreshPolicy policy) { g_max_age_s = policy.max_age_s; }
void note_package_sources_changed() { g_sources_changed = true; }
void bump_host_generation() { ++g_generation; }

Result<PackageProvider*> package_provider_for(const host::Host& host, const std::string& forced) {
  static AptProvider apt;
  if (!forced.empty() && forced != "apt")
    return Status::unsupported("package provider \"" + forced + "\" is not available (supported: apt)");
  if (host.root() != "/")
    return Status::unsupported("packages can only be managed on the live root (--root is \"" + host.root() +
                               "\"): dpkg/apt under another root run maintainer scripts against the wrong "
                               "system; run roux inside that system (chroot, container) instead");
  ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat("/var/lib/dpkg/status"));
  if (!fi.exists()) return Status::unsupported("no package provider fits this host: /var/lib/dpkg/status is missing (apt/dpkg only)");
  return &apt;
}

InstalledDb parse_dpkg_status(std::string_view text) {
  // Called on every run that checks a package: the status file is ~1 MB with 25,000 lines on a
  // small host, so lines and values are views into `text`; only the four kept fields are copied.
  InstalledDb db;
  InstalledPackage cur;
  std::string arch;
  // About 1 MB and 1,500 entries on a small host: a bucket each, and each entry moved into place.
  db.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n') / 8));
  auto flush = [&]() {
    if (!cur.name.empty()) {
      if (!arch.empty()) db.insert_or_assign(cur.name + ":" + arch, cur);
      auto it = db.find(cur.name);
      // Several architectures of one name: the installed one wins.
      if (it == db.end()) {
        std::string key = cur.name;
        db.emplace(std::move(key), std::move(cur));
      } else if (!it->second.present && cur.present) {
        it->second = std::move(cur);
      }
    }
    cur = {};
    arch.clear();
  };
  // The n-th (0-based) word of `v` split at single spaces ("" when there are fewer).
  auto word = [](std::string_view v, int n) -> std::string_view {
    size_t start = 0;
    for (int i = 0; i < n; ++i) {
      size_t sp = v.find(' ', start);
      if (sp == std::string_view::npos) return {};
      start = sp + 1;
    }
    return v.substr(start, v.find(' ', start) - start);
  };
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.empty()) {
      flush();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "Package") {
      cur.name = value;
    } else if (key == "Version") {
      cur.version = value;
    } else if (key == "Architecture") {
      arch = value;
    } else if (key == "Status") {
      std::string_view want = word(value, 0), state = word(value, 2);
      cur.held = want == "hold";
      cur.installed = state == "installed" || state == "triggers-awaited" || state == "triggers-pending";
      cur.config_files = state == "config-files";
      cur.present = !state.empty() && state != "not-installed" && state != "config-files";
    }
  }
  flush();
  return db;
}

InstalledDb parse_dpkg_status_of(std::string_view text, const std::vector<std::string>& names) {
  // The names' stanzas, found by their "Package:" lines alone (memmem, not a walk of every
  // line), then read by parse_dpkg_status in file order: the same entries for these names as a
  // whole parse (a stanza ends at an empty line; "Package:" counts only at a line's start).
  std::set<std::string_view> bases;  // "name:arch" is read from name's stanzas
  for (const auto& n : names) bases.insert(std::string_view(n).substr(0, n.find(':')));
  if (bases.empty()) return {};
  constexpr std::string_view kKey = "Package:";
  std::vector<std::pair<size_t, size_t>> stanzas;  // [start, end) in text, in file order
  for (size_t pos = 0; pos + kKey.size() <= text.size();) {
    const void* hit = ::memmem(text.data() + pos, text.size() - pos, kKey.data(), kKey.size());
    if (!hit) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    pos = at + kKey.size();
    if (at > 0 && text[at - 1] != '\n') continue;
    size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    if (!bases.count(trim(text.substr(pos, eol - pos)))) continue;
    size_t start = at == 0 ? std::string_view::npos : text.rfind("\n\n", at - 1);
    start = start == std::string_view::npos ? 0 : start + 2;
    size_t end = text.find("\n\n", at);
    end = end == std::string_view::npos ? text.size() : end + 1;
    if (!stanzas.empty() && stanzas.back().first == start) continue;  // two Package: lines in one stanza
    stanzas.emplace_back(start, end);
  }
  std::string picked;
  for (const auto& [start, end] : stanzas) picked.append(text.substr(start, end - start)).append("\n");
  return parse_dpkg_status(picked);
}

std::map<std::string, PackageCandidates> parse_apt_policy(std::string_view text) {
  std::map<std::string, PackageCandidates> out;
  PackageCandidates* cur = nullptr;
  bool in_table = false;
  for (const auto& line : split_lines(text)) {
    if (line.empty()) continue;
    if (line[0] != ' ') {
      // "name:" (or "name:arch:")
      if (line.back() == ':' && line.find(' ') == std::string::npos) {
        cur = &out[line.substr(0, line.size() - 1)];
        in_table = false;
      } else {
        cur = nullptr;  // "N: Unable to locate package x" and other notes
      }
      continue;
    }
    if (!cur) continue;
    std::string_view t = trim(line);
    if (starts_with(t, "Candidate:")) {
      std::string c(trim(t.substr(10)));
      cur->candidate = c == "(none)" ? "" : c;
    } else if (starts_with(t, "Version table:")) {
      in_table = true;
    } else if (in_table) {
      size_t indent = line.find_first_not_of(' ');
      bool star = starts_with(t, "*** ");
      if (!star && indent > 5) continue;  // a source line under a version
      auto words = split(std::string(star ? trim(t.substr(4)) : t), ' ');
      if (!words.empty() && !words[0].empty()) cur->versions.push_back(words[0]);
    }
  }
  return out;
}

std::vector<TransactionEntry> parse_apt_simulation(std::string_view text) {
  std::vector<TransactionEntry> out;
  for (const auto& line : split_lines(text)) {
    bool inst = starts_with(line, "Inst "), remv = starts_with(line, "Remv "), purg = starts_with(line, "Purg ");
    if (!inst && !remv && !purg) continue;
    TransactionEntry e;
    std::string rest = line.substr(5);
    size_t sp = rest.find(' ');
    e.name = rest.substr(0, sp);
    rest = sp == std::string::npos ? "" : rest.substr(sp + 1);
    if (starts_with(rest, "[")) {
      size_t close = rest.find(']');
      e.from = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      rest = close == std::string::npos ? "" : std::string(trim(std::string_view(rest).substr(close + 1)));
    }
    if (inst && starts_with(rest, "(")) {
      size_t end = rest.find_first_of(" )", 1);
      e.to = rest.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    }
    if (remv) e.op = "remove";
    else if (purg) e.op = "purge";
    else if (e.from.empty()) e.op = "install";
    else e.op = e.from == e.to ? "reinstall" : "upgrade";
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace roux::resources
