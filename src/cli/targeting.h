// Targeted runs and saved plans, the converge driver's parts: kept notifications, the text
// lines a partial run adds, and `roux explain`'s text.
#pragma once
#include <string>
#include <vector>

#include "base/status.h"
#include "compiler/compile.h"
#include "engine/graph.h"
#include "engine/runner.h"
#include "host/host.h"
#include "report/run_report.h"

namespace roux::cli {

/// The notifications a targeted run kept (STATE/pending_notifications.json); none when the file
/// is missing or unreadable (a warning: a torn file must not stop the run).
std::vector<engine::PendingNotification> load_pending_notifications(const host::Host& host, const std::string& state_dir);

/// Records the notifications to keep, only when they differ from what was kept (a no-op run
/// writes nothing).
Status save_pending_notifications(host::Host& host, const std::string& state_dir,
                                  const std::vector<engine::PendingNotification>& before,
                                  const std::vector<engine::PendingNotification>& next);

/// Lines added to the text report for a targeted run and a saved plan (after the report itself).
std::string targeting_text(const report::RunReport& rep);

/// `roux explain ID`: why a resource is in the plan, like ninja's `-d explain`: its outcome and
/// each property that differs, where it was declared and with which tags, and every edge that
/// orders or refreshes it. Plain text for people (control characters escaped).
std::string explain_text(const compiler::Compiled& compiled, const engine::Node& n);

}  // namespace roux::cli
