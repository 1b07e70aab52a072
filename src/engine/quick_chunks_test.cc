// converge --jobs: quick resources (a no-op's checks) handed out in chunks to the workers and the
// walking thread (engine/runner.cc walk_parallel) settle exactly as in the serial walk: statuses,
// errors, skips of failed dependencies, delayed notifications and their sources, and the order
// of the on_node_done callbacks. Run under ThreadSanitizer too (ROUX_SANITIZE=thread).
#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

#include "engine/graph.h"
#include "engine/runner.h"
#include "tests/unit/temp_dir.h"

namespace roux::engine {
namespace {

/// A keyed check that changes nothing, fails when told, or reports a change (a drifted file).
/// Every run notes its thread.
class Check : public Resource {
 public:
  enum Kind { kSame, kFail, kDrift };
  Check(std::string path, Kind kind, std::mutex* mu, std::set<std::thread::id>* threads)
      : Resource(std::move(path)), kind_(kind), mu_(mu), threads_(threads) {}
  std::string_view type() const override { return "check"; }
  Status converge(ConvergeContext& ctx) override {
    {
      std::lock_guard lock(*mu_);
      threads_->insert(std::this_thread::get_id());
    }
    if (kind_ == kFail) return Status::io("cannot check " + name(), 5);
    if (kind_ == kDrift) return ctx.change({"content", "old", "new"}, [](host::Host&) { return Status::ok(); });
    return Status::ok();
  }
  Status refresh(ConvergeContext& ctx, std::string_view) override {
    return ctx.change({"refresh", "", "done"}, [](host::Host&) { return Status::ok(); });
  }
  std::optional<Keys> concurrency_keys() const override { return Keys{{name()}, {host::parent_path(name())}, {}, {}}; }

 private:
  Kind kind_;
  std::mutex* mu_;
  std::set<std::thread::id>* threads_;
};

struct Run {
  std::vector<std::string> done;  // on_node_done, in order
  std::vector<std::string> outcome;
  std::set<std::thread::id> threads;
};

Run walk(int jobs) {
  testing::TempDir tmp;
  auto host = std::move(host::make_posix_host(tmp.path).value());
  Graph g;
  Run run;
  std::mutex mu;
  auto add = [&](const std::string& path, Check::Kind k) {
    return g.add(std::make_unique<Check>(path, k, &mu, &run.threads), {"r.yaml", static_cast<int>(g.size()) + 1, 3}).value();
  };
  Node* hook = add("/hook/h", Check::kSame);
  std::vector<Node*> nodes;
  for (int d = 0; d < 4; ++d)
    for (int f = 0; f < 1500; ++f) {
      const int i = d * 1500 + f;
      Check::Kind k = i % 701 == 700 ? Check::kFail : i % 503 == 502 ? Check::kDrift : Check::kSame;
      nodes.push_back(add("/d" + std::to_string(d) + "/f" + std::to_string(f), k));
      if (k == Check::kDrift) g.add_notify(nodes.back(), {hook, false, ""});
      // Every 97th depends on the one 40 before it, and the one 40 after each failure on it
      // (skipped).
      if (i % 97 == 96 || (i % 701 == 39 && i > 700)) g.add_dep(nodes.back(), nodes[static_cast<size_t>(i - 40)]);
    }
  RunOptions o;
  o.mode = Mode::kApply;
  o.state_dir = "/state";
  o.jobs = jobs;
  o.on_node_done = [&](const Node& n) { run.done.push_back(n.resource->id()); };
  converge_graph(g, *host, o);
  for (const auto& n : g.nodes()) {
    std::string line = n->resource->id() + " " + std::to_string(static_cast<int>(n->status)) + " " + n->error + " " +
                       n->skip_reason + " " + std::to_string(n->changes.size());
    for (const auto& s : n->notified_by) line += " <" + s;
    run.outcome.push_back(std::move(line));
  }
  return run;
}

}  // namespace

TEST_CASE("quick chunks: many quick checks on the pool settle as in the serial walk") {
  Run serial = walk(1);
  Run pooled = walk(4);
  CHECK(serial.threads.size() == 1);
  MESSAGE("threads that ran a check with --jobs 4: " << pooled.threads.size());
  CHECK(pooled.outcome == serial.outcome);
  CHECK(pooled.done == serial.done);
  // The fixture does what it means to: failures, skips, a refresh with its sources.
  auto count = [&](const std::string& what) {
    return std::count_if(serial.outcome.begin(), serial.outcome.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; });
  };
  CHECK(count("cannot check") == 8);
  CHECK(count("dependency check[") >= 8);
  // The hook, refreshed once, with each drifted source (11 of 6000) in declaration order.
  REQUIRE(count("<check[/d") == 1);
  const std::string& hook = serial.outcome.front();
  CHECK(std::count(hook.begin(), hook.end(), '<') == 11);
  CHECK(hook.find("<check[/d0/f502] <check[/d0/f1005]") != std::string::npos);
}

}  // namespace roux::engine
