// One `systemctl daemon-reload` for everything a run changed that systemd re-reads (see the header).
#include "resources/systemd_reload.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "base/strings.h"
#include "resources/package_provider.h"

namespace roux::resources {
namespace {

std::mutex& pending_mutex() {
  static std::mutex m;
  return m;
}
std::vector<std::string>& pending() {
  static std::vector<std::string> p;
  return p;
}

}  // namespace

void systemd_reload_pending(std::string what) {
  std::lock_guard lock(pending_mutex());
  pending().push_back(std::move(what));
}

bool systemd_reload_needed() {
  std::lock_guard lock(pending_mutex());
  return !pending().empty();
}

Result<bool> live_systemd(const host::Host& host) {
  if (host.root() != "/") return false;
  ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat("/run/systemd/system"));
  return fi.type == host::FileType::kDirectory;
}

Status systemd_daemon_reload(engine::ConvergeContext& ctx, bool live) {
  std::vector<std::string> changed;
  {
    std::lock_guard lock(pending_mutex());
    changed.swap(pending());
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  if (changed.empty()) return Status::ok();
  if (!live) {
    ctx.add_output("no running systemd: no daemon-reload (" + join(changed, ", ") + " take effect when systemd starts)\n");
    return Status::ok();
  }
  std::string out;
  Status st = ctx.change({"daemon_reload", "changed: " + join(changed, ", "), "reloaded", "", true}, [&](host::Host& h) {
    SubprocessOptions o;
    o.argv = {"systemctl", "daemon-reload"};
    o.env = {{"LC_ALL", "C"}};
    o.timeout = std::chrono::minutes(5);
    auto r = h.run(o);
    bump_host_generation();  // every cached unit state is stale now
    if (!r.is_ok()) return r.status();
    out = r->output;
    if (r->timed_out) return Status::timeout("`systemctl daemon-reload` timed out after 5 min");
    if (r->exit_code != 0)
      return Status::command_failed("`systemctl daemon-reload` exited " + std::to_string(r->exit_code) + ": " +
                                    one_line(std::string(trim(r->output)), 400));
    return Status::ok();
  });
  ctx.add_output(out);
  return st;
}

std::vector<Status> ReloadBatchMember::converge_batch(const std::vector<engine::Resource*>& members,
                                                     const std::vector<engine::ConvergeContext*>& ctxs) {
  auto live = live_systemd(ctxs.front()->host());
  if (!live.is_ok()) return std::vector<Status>(members.size(), live.status());
  std::vector<Status> out(members.size());
  // Every member of the batch has this batch key, so is a ReloadBatchMember.
  auto member = [&](size_t i) { return static_cast<ReloadBatchMember*>(members[i]); };
  size_t first_changed = members.size();
  for (size_t i = 0; i < members.size(); ++i) {
    const bool before = systemd_reload_needed();
    out[i] = member(i)->converge_before_reload(*ctxs[i], *live);
    if (!before && systemd_reload_needed() && first_changed == members.size()) first_changed = i;
  }
  // One daemon-reload for every unit file and fstab line changed so far in this run.
  if (systemd_reload_needed()) {
    size_t at = first_changed == members.size() ? 0 : first_changed;
    Status st = systemd_daemon_reload(*ctxs[at], *live);
    if (!st.is_ok() && out[at].is_ok()) out[at] = st;
  }
  for (size_t i = 0; i < members.size(); ++i)
    if (out[i].is_ok()) out[i] = member(i)->converge_after_reload(*ctxs[i], *live);
  return out;
}

}  // namespace roux::resources
