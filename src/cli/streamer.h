// The converge driver's text output as the walk goes: each resource's block as it settles.
#pragma once
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/redact.h"
#include "base/strings.h"
#include "engine/graph.h"
#include "engine/retired_secrets.h"
#include "report/progress.h"
#include "report/run_report.h"

namespace roux::cli {

/// Prints each resource's block as it settles (text output): in the walk's order, which is
/// stable (topological, declaration order breaking ties), and, on a terminal, the resource in
/// progress on a status line (report/progress.h). A node refreshed later by a delayed
/// notification prints again at the end with what the refresh added.
class Streamer {
 public:
  Streamer(bool color, const report::PreviousRun* previous, const std::set<std::string>* retired, size_t nodes,
           report::Progress* progress)
      : color_(color), previous_(previous), retired_(retired), printed_(nodes, 0), shown_(nodes, false), failed_shown_(nodes, false), progress_(progress) {}

  /// --quiet: only failed resources.
  bool quiet = false;
  /// -v: commands' output is printed (else only apt's progress is read, for the status line).
  bool verbose = false;

  /// -v: a command's output as it comes, a whole line at a time ("  exec[x] | line"), redacted
  /// and with control bytes escaped like every text from the host. Thread-safe: with --jobs,
  /// workers call it at once for different resources, each line whole and named by its resource.
  void output(const engine::Node& n, std::string_view piece) {
    std::lock_guard lock(mu_);
    Timed timed(printing_);
    std::string& partial = partial_[n.index];
    partial += piece;
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      output_line(n, partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }

  void done(const engine::Node& n) {
    std::lock_guard lock(mu_);
    Timed timed(printing_);
    if (auto it = partial_.find(n.index); it != partial_.end()) {
      if (!it->second.empty()) output_line(n, it->second);
      partial_.erase(it);
    }
    print(n, 0);
    // -vv: the resources no block names, so a debug log accounts for every one.
    if (n.status == engine::NodeStatus::kUnchanged && log::level() <= log::Level::kDebug)
      log::debug(n.resource->id() + ": unchanged");
    printed_[n.index] = n.changes.size();
    shown_[n.index] = n.status != engine::NodeStatus::kUnchanged;
    failed_shown_[n.index] = n.status == engine::NodeStatus::kFailed;
  }

  /// After the walk: what delayed notifications added, in declaration order.
  void finish(const engine::Graph& graph) {
    std::lock_guard lock(mu_);
    Timed timed(printing_);
    for (const auto& n : graph.nodes()) {
      bool news = n->changes.size() > printed_[n->index] ||
                  (!shown_[n->index] && n->status != engine::NodeStatus::kUnchanged &&
                   n->status != engine::NodeStatus::kPending);
      // Shown as changed, then failed: its write did not land when put in place (engine).
      if (n->status == engine::NodeStatus::kFailed && shown_[n->index] && !failed_shown_[n->index])
        print(*n, n->changes.size());
      else if (news)
        print(*n, printed_[n->index]);
    }
  }

  /// The time spent formatting and writing output so far (a slow terminal, a full pipe, -vv's
  /// line per unchanged resource): the driver reports it as its own phase ("print"), not as
  /// the walk's.
  std::chrono::steady_clock::duration printing() {
    std::lock_guard lock(mu_);
    return printing_;
  }

 private:
  /// Adds the time from its construction to its destruction to `total`.
  struct Timed {
    explicit Timed(std::chrono::steady_clock::duration& total) : total(total) {}
    ~Timed() { total += std::chrono::steady_clock::now() - t0; }
    Timed(const Timed&) = delete;
    Timed& operator=(const Timed&) = delete;
    std::chrono::steady_clock::duration& total;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  };

  void print(const engine::Node& n, size_t skip_changes) {
    if (n.status == engine::NodeStatus::kUnchanged || n.status == engine::NodeStatus::kPending) {
      // Nothing to show (format_resource prints neither): no report built for each unchanged
      // resource of a no-op. The status line is cleared as printing "" does.
      if (!quiet && progress_) progress_->print("");
      return;
    }
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

  std::mutex mu_;  // output() from workers, done() from the walk: one line at a time
  std::chrono::steady_clock::duration printing_{};
  std::map<size_t, std::string> partial_;  // by node index: output after its last line break
  bool color_;
  const report::PreviousRun* previous_;
  const std::set<std::string>* retired_;
  std::vector<size_t> printed_;
  std::vector<bool> shown_;
  std::vector<bool> failed_shown_;
  report::Progress* progress_;
};

}  // namespace roux::cli
