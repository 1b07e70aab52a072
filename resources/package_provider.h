#pragma once
#include <functional>
#include <string_view>
// The seam between the `package` resource and a package manager. The resource decides WHAT must
// change (from the desired ensure/version/hold and the provider's read-only views); a provider
// knows HOW to read state and run one transaction. apt/dpkg is package_apt.cc; a dnf/rpm provider
// would implement the same interface (rpmdb read once, `dnf -q repoquery`, `dnf --assumeno`
// simulation, `dnf -y install/remove`, versionlock for holds).
#include <map>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "host/host.h"

namespace roux::resources {

/// One package as the package database records it.
struct InstalledPackage {
  std::string name, version;
  bool installed = false;     // fully installed (dpkg: installed / triggers-*)
  bool present = false;       // anything but not-installed/config-files (something to remove)
  bool config_files = false;  // removed, configuration left (dpkg: config-files)
  bool held = false;          // dpkg selection "hold"
};
/// By name, and by "name:arch" (dpkg: every package has both keys). Looked up, never walked.
using InstalledDb = std::unordered_map<std::string, InstalledPackage>;

/// What the configured package sources offer for one name.
struct PackageCandidates {
  std::string candidate;              // "" = nothing installable
  std::vector<std::string> versions;  // every version the sources (or the database) know
};

enum class PackageOp { kInstall, kRemove, kPurge };
/// One request of a transaction. version "" = the candidate.
struct PackageAction {
  PackageOp op = PackageOp::kInstall;
  std::string name, version;
};

/// One step the package manager says it would take (from its own simulation).
struct TransactionEntry {
  std::string op;    // "install", "upgrade" (any version change), "reinstall", "remove", "purge"
  std::string name;
  std::string from;  // "" when not installed before
  std::string to;    // "" when removed
};

/// A package manager. One instance per process (the state caches are per run); not thread-safe.
class PackageProvider {
 public:
  virtual ~PackageProvider() = default;
  virtual std::string_view name() const = 0;
  /// What the database records for `names` (each by name, and by "name:arch") from ONE read of
  /// it, cached for the run until the host changes; names it does not hold are absent.
  virtual Result<std::shared_ptr<const InstalledDb>> installed(const host::Host& host,
                                                               const std::vector<std::string>& names) = 0;
  /// Candidates for all `names` in one query. Names the sources do not know are absent.
  virtual Result<std::map<std::string, PackageCandidates>> candidates(const host::Host& host,
                                                                      const std::vector<std::string>& names) = 0;
  /// The whole transaction the manager would perform for `actions`, dependencies included.
  /// Read-only. A failed simulation returns the manager's own error text.
  virtual Result<std::vector<TransactionEntry>> simulate(const host::Host& host,
                                                         const std::vector<PackageAction>& actions) = 0;
  /// Performs `actions` as one transaction (non-interactive, keeps changed conffiles, waits a
  /// bounded time for the lock). `*output` receives the manager's output.
  virtual Status apply(host::Host& host, const std::vector<PackageAction>& actions, std::string* output) = 0;
  /// Where apply() sends the manager's output as it comes (ConvergeContext::output_stream), or
  /// empty. apt adds its progress lines ("pmstatus:PKG:PERCENT:TEXT", APT::Status-Fd) to it.
  std::function<void(std::string_view)> output_stream;
  /// Holds (or releases) `names` so upgrades leave them alone.
  virtual Status set_hold(host::Host& host, const std::vector<std::string>& names, bool hold,
                          std::string* output) = 0;
  /// Why the package lists must be refreshed before candidates are asked ("" = they need
  /// not): a source changed since the last refresh, or the last refresh is older than the
  /// policy's max_age (set_package_refresh_policy). Read-only. `state_dir` holds roux's stamp.
  virtual Result<std::string> refresh_due(const host::Host& host, const std::string& state_dir) = 0;
  /// Refreshes the package lists (apt-get update) and records the time in `state_dir`. On the
  /// planned host the refresh is made into a private folder (model_apt_update): later queries
  /// of that host read it, so a plan sees what the repository offers, as converge will.
  virtual Status refresh(host::Host& host, const std::string& state_dir, std::string* output) = 0;
  /// Forgets cached state (after a change).
  virtual void invalidate() = 0;
};

/// client.yaml `apt_update:`: when the package lists are refreshed before a package transaction
/// that needs candidates. A refresh is always due when a source or its key changed after the
/// last one; `max_age_s` also makes it due when the last refresh is older.
struct PackageRefreshPolicy {
  std::optional<int64_t> max_age_s;
};
void set_package_refresh_policy(PackageRefreshPolicy policy);
/// Called when an apt_repository changed a source or a key in this run (a removal too, which
/// no file time shows): the next package transaction that needs candidates refreshes first.
void note_package_sources_changed();
/// The known effect of `apt-get update` for the planned host: the sources and keys as the plan
/// leaves them, refreshed into a private temp folder (seeded with links to the host's lists);
/// later read-only apt queries of `host` use it (apt_view_options). Never writes to the host.
Status model_apt_update(host::Host& host);
/// Extra apt options for read-only queries of `host`: the private lists of a planned refresh.
std::vector<std::string> apt_view_options(const host::Host& host);

/// The package provider for `host`: apt on Debian-like hosts ("apt" forced or detected from
/// /var/lib/dpkg/status). Fails when none fits or when the host root is not "/".
Result<PackageProvider*> package_provider_for(const host::Host& host, const std::string& forced);

/// The known effects of a transaction and of a hold, for the planned host (Host::Model): the
/// dpkg database, the packages' files, the services their maintainer scripts enable and start.
Status model_apt_transaction(host::Host& host, const std::vector<TransactionEntry>& tx);
Status model_apt_hold(host::Host& host, const std::vector<std::string>& names, bool hold);

/// Bumped whenever a package or service action changed the host, so per-run caches of other
/// types (service states) know to re-read.
uint64_t host_generation();
void bump_host_generation();

// Parsers, exposed for unit tests.
InstalledDb parse_dpkg_status(std::string_view text);
/// parse_dpkg_status's entries for `names` (a name, or "name:arch"): only the stanzas whose
/// Package: line names one of them are read (a no-op run asks for a few of ~1,500 packages).
InstalledDb parse_dpkg_status_of(std::string_view text, const std::vector<std::string>& names);
std::map<std::string, PackageCandidates> parse_apt_policy(std::string_view text);
std::vector<TransactionEntry> parse_apt_simulation(std::string_view text);

}  // namespace roux::resources
