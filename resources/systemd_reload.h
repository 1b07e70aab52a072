#pragma once
// ONE `systemctl daemon-reload` for what a run changed that systemd reads at a reload: unit files
// (systemd_unit) and /etc/fstab (mount: systemd-fstab-generator makes its .mount units from it, and
// until a reload systemd keeps the old ones, says "fstab modified, run daemon-reload" and
// NeedDaemonReload=yes, and acts on the stale unit).
#include <string>

#include "base/status.h"
#include "engine/resource.h"
#include "host/host.h"

namespace roux::resources {

/// Records that `what` ("app.service", "/etc/fstab") changed in this run and systemd has not
/// re-read it. Called from a change's apply function, so a plan records it as a converge does.
void systemd_reload_pending(std::string what);
/// Whether anything is pending.
bool systemd_reload_needed();
/// Whether systemd runs the managed host: / (not under --root) booted with systemd
/// (/run/systemd/system, as sd_booted(3)).
Result<bool> live_systemd(const host::Host& host);
/// `systemctl daemon-reload` once for everything pending (the list is emptied), recorded as the
/// `daemon_reload` change ("changed: A, B" -> "reloaded") of the resource of `ctx`. Without a
/// live systemd no command runs and the output says the changes apply when systemd starts.
Status systemd_daemon_reload(engine::ConvergeContext& ctx, bool live);

/// A resource whose changes systemd reads at a daemon-reload (systemd_unit: unit files; mount
/// and swap_file: /etc/fstab, whose lines systemd-fstab-generator makes .mount/.swap units of).
/// All three share one batch: every ready member's first part (files), then ONE daemon-reload
/// when any of them made one pending (the `daemon_reload` change of the first that did), then
/// each member's second part (start, mount). So a run that changes units and fstab reloads once,
/// after the last of those edits.
class ReloadBatchMember : public engine::Resource {
 public:
  using engine::Resource::Resource;
  std::string batch_key() const final { return "systemd-reload"; }
  Status converge(engine::ConvergeContext& ctx) final { return converge_batch({this}, {&ctx}).front(); }
  std::vector<Status> converge_batch(const std::vector<engine::Resource*>& members,
                                     const std::vector<engine::ConvergeContext*>& ctxs) final;

 protected:
  /// What systemd reads at a reload (calls systemd_reload_pending from its change's act).
  /// `live`: systemd runs the managed host (live_systemd).
  virtual Status converge_before_reload(engine::ConvergeContext& ctx, bool live) = 0;
  /// The rest, after the reload; only when converge_before_reload succeeded.
  virtual Status converge_after_reload(engine::ConvergeContext& ctx, bool live) = 0;
};

}  // namespace roux::resources
