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

}  // namespace roux::resources
