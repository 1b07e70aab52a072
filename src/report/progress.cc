#include "report/progress.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <iostream>

#include "base/strings.h"

namespace roux::report {

std::optional<int> package_progress_percent(std::string_view line) {
  if (line.substr(0, 9) != "pmstatus:" && line.substr(0, 9) != "dlstatus:") return std::nullopt;
  // KIND:NAME-OR-INDEX:PERCENT:TEXT (a package name has no colon; an arch-qualified one is "pkg:arch"
  // only in the text part).
  size_t a = line.find(':', 9);
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = line.find(':', a + 1);
  std::string_view pct = line.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1);
  int whole = 0;
  size_t i = 0;
  for (; i < pct.size() && pct[i] >= '0' && pct[i] <= '9' && whole <= 100; ++i) whole = whole * 10 + (pct[i] - '0');
  if (i == 0 || whole > 100 || (i < pct.size() && pct[i] != '.')) return std::nullopt;
  return whole;
}

Progress::Progress(std::FILE* tty) : tty_(tty) {
  ticker_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopped_) {
      cv_.wait_for(lock, std::chrono::milliseconds(250));
      if (!stopped_) draw_locked();
    }
  });
}

Progress::~Progress() { stop(); }

void Progress::start(const std::string& id, size_t batch) {
  std::lock_guard lock(mu_);
  current_ = escape_controls(one_line(id, 60));
  if (batch > 1) current_ += " (+" + std::to_string(batch - 1) + " more)";
  detail_.clear();
  started_ = std::chrono::steady_clock::now();
  draw_locked();
}

void Progress::running(const std::string& id, bool on) {
  std::lock_guard lock(mu_);
  std::string shown = escape_controls(one_line(id, 60));
  if (on) {
    running_.emplace_back(std::move(shown), std::chrono::steady_clock::now());
  } else {
    auto it = std::find_if(running_.begin(), running_.end(), [&](const auto& r) { return r.first == shown; });
    if (it != running_.end()) running_.erase(it);
    if (running_.empty() && current_.empty()) clear_locked();
  }
  draw_locked();
}

void Progress::set_detail(const std::string& detail) {
  std::lock_guard lock(mu_);
  detail_ = escape_controls(detail);
  draw_locked();
}

void Progress::print(const std::string& text) {
  std::lock_guard lock(mu_);
  clear_locked();
  std::cout << text << std::flush;
  current_.clear();
}

void Progress::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    clear_locked();
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void Progress::draw_locked() {
  if (stopped_ || (current_.empty() && running_.empty())) return;
  auto since = [](std::chrono::steady_clock::time_point t) {
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1fs", std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
    return std::string(elapsed);
  };
  std::string line;
  if (running_.size() == 1) {
    line = "  ... " + running_.front().first + " " + since(running_.front().second);
  } else if (!running_.empty()) {
    // Every resource on a worker, the longest-running first, each with its time.
    line = "  ... " + std::to_string(running_.size()) + " running:";
    for (const auto& [id, t0] : running_) line += " " + id + " " + since(t0) + ";";
    line.pop_back();
  } else {
    line = "  ... " + current_ + (detail_.empty() ? "" : " " + detail_) + " " + since(started_);
  }
  // Never wider than the terminal: a wrapped line could not be redrawn in place.
  struct winsize ws{};
  if (ioctl(fileno(tty_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && line.size() >= ws.ws_col)
    line = line.substr(0, ws.ws_col - 1u);
  // \r and erase-line: the line is redrawn in place, never scrolled.
  std::fprintf(tty_, "\r\033[K%s", line.c_str());
  std::fflush(tty_);
  drawn_ = true;
}

void Progress::clear_locked() {
  if (!drawn_) return;
  std::fprintf(tty_, "\r\033[K");
  std::fflush(tty_);
  drawn_ = false;
}

}  // namespace roux::report
