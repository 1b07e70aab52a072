#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/value.h"
#include "host/host.h"

namespace roux::engine {

enum class Mode { kPlan, kApply };

/// One property that differs. Values are display strings; the engine redacts them for sensitive
/// resources unless `is_public` (mode, owner: facts about the file, not its secret).
struct Change {
  std::string property;   // "content", "mode", "ensure", "refresh"
  std::string before, after;
  std::string diff;       // unified diff for content, else empty
  bool is_public = false;
  /// The outcome was assumed, not observed: the plan did not run a command and applied its known
  /// effect instead, or a guard ran before the host it reads was reached (see PlannedHost).
  bool predicted = false;
  /// HMAC-SHA-256 of "property\0before\0after" taken before redaction, under the host's plan key
  /// (set only when the run has one: saved plans, cli/plan_file.h). Lets a saved plan pin a
  /// sensitive value it never shows; "" otherwise.
  std::string fingerprint;
  /// Engine-internal: the Host::set_write_tag its act ran under (unique per change in a run), so
  /// a deferred write that did not land takes back exactly this change. Never reported.
  uint64_t write_tag = 0;
};

/// What a resource may use while converging. The engine makes one per resource visit.
/// A resource never knows whether it plans or applies: in a plan the host is the planned host
/// (host/planned_host.h), which records every change and shows it to every later read.
/// Not thread-safe.
class ConvergeContext {
 public:
  ConvergeContext(host::Host& host, std::string state_dir, bool sensitive, std::vector<std::string> notified_by = {})
      : host_(host), state_dir_(std::move(state_dir)), sensitive_(sensitive), notified_by_(std::move(notified_by)) {}

  /// Read access to the host. Resources never write through this.
  const host::Host& host() const { return host_; }
  bool is_sensitive() const { return sensitive_; }
  /// Ids of the resources whose notification caused this refresh (empty in converge()).
  const std::vector<std::string>& notified_by() const { return notified_by_; }
  /// The state folder (backups live below it), inside the managed root.
  const std::string& state_dir() const { return state_dir_; }

  /// Runs `act` against the writable host (the real one in a converge, the planned one in a
  /// plan) and, when it succeeds, records `change` (redacted when sensitive). The only way a
  /// resource mutates the host. Returns act's Status. The change is marked predicted when the
  /// act's outcome was assumed (Host::predictions() rose).
  Status change(Change change, const std::function<Status(host::Host&)>& act);
  /// Output of a command the resource ran (kept in the report; redacted when sensitive).
  void add_output(std::string_view output);
  /// After a killed run (set_tidy_temps: apply runs only): removes roux's leftover temp file
  /// beside `path` (".NAME.roux-tmp"), which is roux's own, not host state: not a change, never
  /// reported. Otherwise does nothing (a no-op run pays nothing for it).
  Status remove_stale_temp(const std::string& path);
  void set_tidy_temps(bool on) { tidy_temps_ = on; }
  /// Key for Change::fingerprint ("" = no fingerprints). Must outlive the context.
  void set_fingerprint_key(const std::string* key) { fingerprint_key_ = key; }
  /// Called by change() with each change (fingerprinted, redacted) before its act runs: a
  /// non-OK Status refuses the change (act never runs) and is change()'s result. Saved plans use
  /// it so a converge --plan never makes a change the plan does not hold.
  void set_gate(std::function<Status(const Change&)> gate) { gate_ = std::move(gate); }
  /// Where a command's output goes as it runs (-v: printed live), or empty. A resource passes it
  /// to SubprocessOptions::on_output for commands whose output is no secret.
  const std::function<void(std::string_view)>& output_stream() const { return output_stream_; }
  void set_output_stream(std::function<void(std::string_view)> f) { output_stream_ = std::move(f); }

  const std::vector<Change>& changes() const { return changes_; }
  std::vector<Change> take_changes() { return std::move(changes_); }
  const std::string& output() const { return output_; }

 private:
  host::Host& host_;
  std::string state_dir_;
  bool sensitive_;
  bool tidy_temps_ = false;
  const std::string* fingerprint_key_ = nullptr;
  std::function<Status(const Change&)> gate_;
  std::function<void(std::string_view)> output_stream_;
  std::vector<std::string> notified_by_;
  std::vector<Change> changes_;
  std::string output_;
};

/// Meta-properties common to every resource: data here, interpreted by the engine, never by a type.
struct Meta {
  std::vector<std::string> only_if, not_if;  // shell commands; guards
  bool sensitive = false;
  bool ignore_failure = false;
  int retries = 0;
  int retry_delay_ms = 1000;
  std::chrono::seconds guard_timeout{300};   // bound of each only_if/not_if command (guard_timeout:)
  std::string cookbook, recipe;              // where it came from (report)
  std::string composite;                     // id of the composite that generated it, if any (report)
  std::vector<std::string> tags;             // tags: of the resource and of its recipe (--tags selects)
  std::vector<std::string> attributes;       // "attr.x.y" names its recipe text reads ({{attr.x.y}}; explain)
  std::string desired_digest;                // digest of the desired state as compiled (its properties,
                                             // and the cookbook when it reads a file of it); "" when it
                                             // holds a secret. Compared across runs: drift vs policy
  std::string skip_reason;                   // set by the compiler (a false only_if_fact/not_if_fact):
                                             // the runner skips the resource with this reason
  std::string preflight_error;               // set by the compiler when the resource must not run (a
                                             // secret of its own that does not decrypt): the runner
                                             // fails it with this text, never converging it
};

/// A desired piece of host state: a type, a name and properties. The compiler builds it, the
/// engine converges it. Implementations keep one helper per property (mgmt's CheckApply).
class Resource {
 public:
  virtual ~Resource() = default;
  /// The YAML name: "file".
  virtual std::string_view type() const = 0;
  const std::string& name() const { return name_; }
  /// "file[/etc/motd]"
  std::string id() const { return std::string(type()) + "[" + name_ + "]"; }
  Meta& meta() { return meta_; }
  const Meta& meta() const { return meta_; }

  /// Ids of resources this one should follow if the graph has them: parent folders, owners.
  virtual std::vector<std::string> implicit_deps() const { return {}; }
  /// Observe, compare, and record each difference through ctx.change().
  /// Contract: after a successful kApply, a second call records nothing.
  virtual Status converge(ConvergeContext& ctx) = 0;
  /// Reacts to a notification (restart, reload, run). The default does nothing.
  virtual Status refresh(ConvergeContext& ctx, std::string_view action);
  /// True when refreshing with `action` makes a refresh with `other` needless (a service's
  /// restart subsumes its reload): notified both in one run, only `action` runs. "" is the
  /// type's default action.
  virtual bool subsumes(std::string_view /*action*/, std::string_view /*other*/) const { return false; }
  /// Variables added to the environment of this resource's guards (only_if/not_if): an exec's
  /// `environment:`, so a guard reads a secret as "$VAR", never on its command line.
  virtual std::map<std::string, std::string> guard_environment() const { return {}; }
  /// True when this resource is sensitive by nature (a password) whatever the recipe says.
  virtual bool is_always_sensitive() const { return false; }

  /// Batching (one apt transaction for many packages). Resources returning the same non-empty
  /// key that are ready at the same time (every dependency already visited) are converged
  /// together: the runner calls converge_batch() on the first of them, in topological order,
  /// with all of them. Guards and failed dependencies are still checked per member; retries do
  /// not apply to batches. "" (the default) = converge alone.
  virtual std::string batch_key() const { return ""; }
  /// Converges `members` (this one first; all share batch_key()) together; ctxs[i] belongs to
  /// members[i]. Returns one Status per member, so one bad member fails alone. The default
  /// converges each member on its own.
  virtual std::vector<Status> converge_batch(const std::vector<Resource*>& members,
                                             const std::vector<ConvergeContext*>& ctxs);

  /// The paths this resource writes and reads, for the runner's worker pool (--jobs): two
  /// resources run at the same time only when neither writes a path at or above one the other
  /// writes or reads, and they share no lane (engine/concurrency.h). Only types that can state
  /// their keys precisely override it; nullopt (the default: accounts, services, commands...) =
  /// the resource runs alone.
  struct Keys {
    std::vector<std::string> writes, reads;
    /// Named lanes ("dpkg"): two resources sharing one never run at the same time.
    std::vector<std::string> lanes;
    /// The symbolic links this resource makes, as (path, absolute target): a path below `path`
    /// also names the entry below `target`, so the pool compares both (before the link exists).
    std::vector<std::pair<std::string, std::string>> links;
  };
  virtual std::optional<Keys> concurrency_keys() const { return std::nullopt; }

 protected:
  explicit Resource(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
  Meta meta_;
};

/// Ids of every managed ancestor of `path`, folder or link: "directory[/a]", "link[/a]",
/// "directory[/a/b]", "link[/a/b]".
std::vector<std::string> ancestor_dir_ids(std::string_view path);

}  // namespace roux::engine
