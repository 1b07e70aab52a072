#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace roux::report {

/// The percentage of a package manager's progress line: apt's APT::Status-Fd
/// "pmstatus:PKG:45.4545:Unpacking hello" or "dlstatus:1:12.5:Retrieving file 1 of 8" -> 45, 12;
/// nullopt for any other line.
std::optional<int> package_progress_percent(std::string_view line);

/// The status line of a run on a terminal: the resource in progress and how long it has taken
/// ("  ... package[nginx] (+2 more) 12.4s"), redrawn a few times a second on `tty` (stderr), and
/// cleared before each finished resource's block is printed to stdout, so the two never mix.
/// Only for a terminal: piped output never sees it. Thread-safe (a ticker thread redraws).
class Progress {
 public:
  explicit Progress(std::FILE* tty);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// `id` (leading a batch of `batch` resources) is now in progress.
  void start(const std::string& id, size_t batch);
  /// converge --jobs: `id` runs on a worker (or no longer does). While any does, the status line
  /// names every one of them.
  void running(const std::string& id, bool on);
  /// A detail shown after the resource ("apt 45%"), until the next start().
  void set_detail(const std::string& detail);
  /// Clears the status line, writes `text` to stdout, and redraws.
  void print(const std::string& text);
  /// Clears the status line and stops redrawing. Idempotent.
  void stop();

 private:
  void draw_locked();
  void clear_locked();

  std::FILE* tty_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool drawn_ = false;
  std::string current_, detail_;
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> running_;
  std::chrono::steady_clock::time_point started_;
  std::thread ticker_;
};

}  // namespace roux::report
