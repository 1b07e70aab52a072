#include "engine/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <optional>
#include <unordered_map>
#include <thread>
#include <typeindex>
#include <typeinfo>

#include "base/log.h"
#include "base/strings.h"
#include "engine/concurrency.h"
#include "host/planned_host.h"

namespace roux::engine {
namespace {

using Clock = std::chrono::steady_clock;

/// converge --jobs: a resource type whose runs take less than this on average runs on the
/// walking thread (a worker's handoff, two wake-ups, costs about as much as such a run).
constexpr double kQuickRunMs = 0.2;
constexpr double kQuickRunMaxMs = 5;
/// Quick nodes handed out together (see walk_parallel), and how far past the first unfinished
/// node a scan looks for them.
constexpr size_t kQuickChunkMin = 16;
constexpr size_t kQuickChunkMax = 128;
constexpr size_t kQuickOut = 4096;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

bool is_sensitive(const Node& n) { return n.resource->meta().sensitive || n.resource->is_always_sensitive(); }

/// The first guard that says "skip", as a reason, or "" when every guard passes.
/// Guards run in plan as in apply: they are read-only by contract. Each is bounded by the
/// resource's guard_timeout: a guard that hangs fails the resource (never counts as yes or no).
Result<std::string> check_guards(const Node& n, const host::Host& host) {
  const Meta& m = n.resource->meta();
  if (!m.skip_reason.empty()) return m.skip_reason;  // decided at compile time (fact conditions)
  auto shown = [&](const std::string& cmd) { return is_sensitive(n) ? std::string("(sensitive)") : one_line(cmd, 80); };
  // A guard reads secrets from its environment (an exec's environment:), never its command line,
  // and is bounded in time (guard_timeout).
  auto run_guard = [&](const char* kind, const std::string& cmd) -> Result<SubprocessResult> {
    SubprocessOptions o = shell(cmd);
    o.env = n.resource->guard_environment();
    o.timeout = m.guard_timeout;
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, host.run_check(std::move(o)));
    if (r.timed_out)
      return Status::timeout(std::string(kind) + " `" + shown(cmd) + "` timed out after " +
                             std::to_string(m.guard_timeout.count()) + "s");
    return r;
  };
  for (const auto& cmd : m.only_if) {
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, run_guard("only_if", cmd));
    if (r.exit_code != 0)
      return "only_if `" + shown(cmd) + "` exited " + (r.signal ? "on signal " + std::to_string(r.signal) : std::to_string(r.exit_code));
  }
  for (const auto& cmd : m.not_if) {
    ROUX_ASSIGN_OR_RETURN(SubprocessResult r, run_guard("not_if", cmd));
    if (r.exit_code == 0) return "not_if `" + shown(cmd) + "` exited 0";
  }
  return std::string();
}

class Walker {
 public:
  Walker(Graph& g, host::Host& h, const RunOptions& o) : graph_(g), host_(h), opts_(o) {}

  void run() {
    // Pass 1: every node in dependency order, immediate notifications as they happen.
    // Nodes with a batch key are converged together with every other ready node of that key
    // (see Resource::batch_key) when the walk reaches the first of them.
    std::vector<Node*> order = graph_.topological_order();
    visited_.assign(graph_.size(), false);
    // Outside a targeted run's selection: never visited (a batch never picks it up either).
    for (Node* n : order) visited_[n->index] = !n->selected;
    if (opts_.jobs > 1 && opts_.mode == Mode::kApply) {
      walk_parallel(order);
    } else {
      for (size_t i = 0; i < order.size(); ++i)
        if (!visited_[order[i]->index]) visit_alone(order, i);
    }
    // Every write of pass 1 in place before a delayed notification is delivered: a resource
    // whose write did not land fails now, and its notifications are withdrawn.
    settle_writes();
    // Notifications a targeted run kept for this one: delivered with the delayed ones.
    for (const auto& p : opts_.pending) {
      Node* t = graph_.find(p.target);
      if (!t || !t->selected) continue;
      auto& sources = delayed_[t->index][p.action];
      if (std::find(sources.begin(), sources.end(), p.source) == sources.end()) sources.push_back(p.source);
    }
    // Pass 2: delayed notifications, once per (target, action), in declaration order of targets.
    // An action that subsumes another notified to the same target (a restart, a reload) runs
    // alone, with both sets of sources.
    for (auto& node : graph_.nodes()) {
      auto it = delayed_.find(node->index);
      if (it == delayed_.end()) continue;
      auto& actions = it->second;
      for (auto a = actions.begin(); a != actions.end(); ++a)
        for (auto b = actions.begin(); b != actions.end();) {
          if (a != b && node->resource->subsumes(a->first, b->first)) {
            a->second.insert(a->second.end(), b->second.begin(), b->second.end());
            b = actions.erase(b);
          } else {
            ++b;
          }
        }
      for (auto& [action, sources] : actions)
        if (!sources.empty()) refresh(*node, action, sources);
    }
    settle_writes();  // the report says nothing changed that did not land
  }

 private:
  /// order[i] (a node, or a batch it leads) on the calling thread, its callbacks around it.
  /// Returns the nodes settled.
  std::vector<Node*> visit_alone(const std::vector<Node*>& order, size_t i) {
    Node* n = order[i];
    if (!n->resource->batch_key().empty()) {
      std::vector<Node*> members = visit_batch(order, i);
      for (Node* m : members)
        if (opts_.on_node_done) opts_.on_node_done(*m);
      return members;
    }
    visited_[n->index] = true;
    if (opts_.on_node_start) opts_.on_node_start(*n, 1);
    visit(*n);
    if (opts_.on_node_done) opts_.on_node_done(*n);
    return {n};
  }

  /// Pass 1 with a pool of opts_.jobs workers. This thread decides everything; a worker only
  /// runs nodes' guards and converge (run_node) and hands back their outcomes. Callbacks are
  /// released in topological order, so they come as in the serial walk.
  void walk_parallel(const std::vector<Node*>& order) {
    const auto walk_t0 = Clock::now();
    const size_t count = order.size();
    const size_t jobs = static_cast<size_t>(opts_.jobs);
    // Nodes that run alone, as in the serial walk: no keys, batches, immediate notifiers (their
    // refresh runs at once on this thread, before anything later starts).
    std::vector<std::optional<Resource::Keys>> keys(count);
    std::vector<bool> alone(count), settled(graph_.size(), false), released(count, false);
    std::vector<std::pair<std::string, std::string>> links;  // every link the run makes
    for (size_t i = 0; i < count; ++i) {
      const Node& n = *order[i];
      keys[i] = n.resource->concurrency_keys();
      bool immediate = std::any_of(n.notifies.begin(), n.notifies.end(), [](const Notify& x) { return x.immediately; });
      alone[i] = !keys[i] || !n.resource->batch_key().empty() || immediate;
      if (visited_[n.index]) settled[n.index] = true, released[i] = true;  // not selected
      if (keys[i] && !visited_[n.index]) links.insert(links.end(), keys[i]->links.begin(), keys[i]->links.end());
    }
    // The keys compared: each path also under the run's links and as the host resolves it now
    // (engine/concurrency.h), computed when first compared and again after anything that may
    // have changed a link (a resource run alone, a link) finished.
    KeyResolver resolver(host_, std::move(links));
    std::vector<Resource::Keys> resolved(count);
    std::vector<uint64_t> resolved_at(count, UINT64_MAX);
    auto keys_of = [&](size_t i) -> const Resource::Keys& {
      if (resolved_at[i] != resolver.epoch()) resolved[i] = resolver.resolve(*keys[i]), resolved_at[i] = resolver.epoch();
      return resolved[i];
    };
    // The nodes started and not yet settled (on a worker, queued for one, or in this thread's
    // own chunk), and their keys in `held`, as resolved at held_epoch: rebuilt when the
    // resolver forgot (its epoch moved on).
    std::vector<size_t> running, running_at(count);
    KeySet held;
    uint64_t held_epoch = resolver.epoch();
    auto start = [&](size_t i) {
      running_at[i] = running.size();
      running.push_back(i);
      held.add(keys_of(i));  // the epoch is held_epoch during a scan
    };
    auto stop_running = [&](size_t i) {
      const size_t at = running_at[i];
      running[at] = running.back();
      running_at[running[at]] = at;
      running.pop_back();
      if (held_epoch == resolver.epoch()) held.remove(resolved[i]);  // else rebuilt before the next scan
    };
    auto refresh_held = [&] {
      if (held_epoch == resolver.epoch()) return;
      held.clear();
      held_epoch = resolver.epoch();
      for (size_t r : running) held.add(keys_of(r));
    };
    std::vector<size_t> pos(graph_.size());
    for (size_t i = 0; i < count; ++i) pos[order[i]->index] = i;
    struct Done {
      size_t pos;
      Outcome outcome;
      double woke_ms;              // the worker slept: from the node's queueing to its start
      Clock::time_point finished;  // when its outcome was handed back
    };
    // A task: one node, or a chunk of quick ones (see below) run one after the other.
    struct Task {
      std::vector<size_t> nodes;
      bool quick = false;
    };
    // The handoff costs the walk no wake-up it does not need: the walking thread queues every
    // task it finds ready in one go and wakes only workers that sleep; a worker takes the next
    // task and hands back the last one's outcomes under one lock, and wakes the walking thread
    // only when it waits and either enough outcomes are back (wake_at) or the queue ran dry.
    std::mutex mu;
    std::condition_variable work_cv, done_cv;
    std::deque<Task> todo;
    std::vector<Done> done;
    size_t idle = 0;            // workers asleep on work_cv
    size_t wake_at = 1;         // outcomes back that wake the walking thread
    bool main_waiting = false;  // the walking thread sleeps on done_cv
    bool stop = false;
    std::atomic<bool> has_done{false};  // done is not empty: the walk takes it without waiting
    std::vector<Clock::time_point> queued_at(count);
    std::vector<std::thread> workers;
    auto worker = [&] {
      std::vector<Done> out;
      for (;;) {
        Task task;
        bool slept = false;
        Clock::time_point queued;
        {
          std::unique_lock lock(mu);
          if (!out.empty()) {
            const auto now = Clock::now();
            for (Done& d : out) {
              d.finished = now;
              done.push_back(std::move(d));
            }
            out.clear();
            has_done.store(true, std::memory_order_release);
            if (main_waiting && (done.size() >= wake_at || todo.empty())) done_cv.notify_one();
          }
          while (!stop && todo.empty()) {
            ++idle;
            work_cv.wait(lock);
            --idle;
            slept = true;
          }
          if (todo.empty()) return;
          task = std::move(todo.front());
          todo.pop_front();
          queued = queued_at[task.nodes.front()];
        }
        double woke = slept ? ms_since(queued) : 0;
        for (size_t p : task.nodes) {
          if (opts_.on_node_running) opts_.on_node_running(*order[p], true);
          out.push_back(Done{p, run_node(*order[p]), woke, {}});  // its output streamed as it comes (on_output)
          woke = 0;
        }
      }
    };
    for (size_t w = 0; w < std::min(jobs, count); ++w) {
      try {
        workers.emplace_back(worker);
      } catch (const std::system_error&) {
        break;  // no more threads (a process limit): fewer workers, none = the serial walk
      }
    }
    // Slow nodes handed out at once (queued or running): a few per worker, so a worker finds
    // the next one queued while the walking thread is busy or asleep. At most `jobs` run at once.
    const size_t slots = std::max<size_t>(1, workers.size() * 4);
    // Lookahead past the first unfinished node for slow nodes, and the most nodes a scan passes
    // over (not ready): bounds the scan (and the memory of keys compared). Quick nodes out may
    // reach kQuickOut further.
    const size_t window = std::max<size_t>(256, 8 * jobs);
    size_t first = 0;     // the first position not yet settled and released
    size_t slow_out = 0;  // slow nodes on workers (queued or running)
    size_t quick_out = 0;  // quick nodes on workers (queued or running, in chunks)
    std::vector<bool> went_quick(count, false);
    auto release = [&](size_t i) {
      if (released[i]) return;
      const Node& n = *order[i];
      if (opts_.on_node_start) opts_.on_node_start(n, 1);
      if (opts_.on_node_done) opts_.on_node_done(n);
      released[i] = true;
    };
    // A resource type whose runs have been quick (a no-op's file check: a few syscalls) gains
    // nothing from a worker of its own: the handoff costs more than the run. Its ready nodes
    // are cut into chunks (kQuickChunkMin..kQuickChunkMax, about four per taker of what is
    // left); this thread keeps the first chunk and runs it at the point a worker would have
    // taken its nodes (same readiness, same outcome), up to two chunks per quick taker (a worker
    // per core but this thread's) are queued for the workers, and this thread takes what is
    // still queued when it would otherwise wait.
    // So the handoff costs one lock per chunk, and a no-op's checks use every core. Paced by
    // type, from every finished run (worker or here), so a type that turns slow goes back to
    // running alone on a worker. A run is quick under kQuickRunMs, or under what a wake-up has
    // been costing (a loaded host: milliseconds), at most kQuickRunMaxMs; a type is quick while
    // most of its recent runs are (a run the host's load preempted once does not send the rest
    // to the workers one by one).
    double wake_ms = 0;  // moving average of the wake-ups a handoff waited for
    auto note_wake = [&](double ms) { wake_ms = wake_ms * 0.875 + ms * 0.125; };
    struct Pace {
      double quick_share = 0;  // moving share of its recent runs that were quick
      unsigned runs = 0;
    };
    std::unordered_map<std::type_index, Pace> pace;
    // The resource's dynamic type (bound to a reference first: typeid of a dereference counts as
    // an expression with side effects for clang's -Wpotentially-evaluated-expression).
    auto type_of = [](const Node& n) {
      const Resource& r = *n.resource;
      return std::type_index(typeid(r));
    };
    auto note_pace = [&](const Node& n) {
      Pace& p = pace[type_of(n)];
      const double q = n.duration_ms < std::clamp(wake_ms, kQuickRunMs, kQuickRunMaxMs) ? 1 : 0;
      p.quick_share = p.runs == 0 ? q : p.quick_share * 0.875 + q * 0.125;
      ++p.runs;
    };
    auto is_quick = [](const Pace& p) { return p.runs >= 4 && p.quick_share >= 0.5; };
    auto quick = [&](const Node& n) {
      auto it = pace.find(type_of(n));
      return it != pace.end() && is_quick(it->second);
    };
    size_t on_workers = 0, quick_queued = 0, quick_on_workers = 0, chunks_out = 0, here = 0;  // for -vv
    std::vector<size_t> passed;  // this scan: positions not ready (unfinished, not started)
    KeySet passed_keys;          // their keys, added when a later ready node is compared
    size_t passed_added = 0;
    std::vector<size_t> slow, fast;  // found ready in this scan: queued after it / chunked
    std::vector<Done> finished;
    auto take_back = [&] {
      for (Done& d : finished) {
        Node& n = *order[d.pos];
        on_worker_[n.index] = false;
        apply(n, d.outcome);
        note_pace(n);
        if (d.woke_ms > 0) note_wake(d.woke_ms);
        if (opts_.on_node_running) opts_.on_node_running(n, false);
        settled[n.index] = true;
        stop_running(d.pos);
        if (!keys[d.pos]->links.empty()) resolver.invalidate();
        (went_quick[d.pos] ? quick_out : slow_out) -= 1;
      }
      finished.clear();
    };
    // A chunk of quick nodes on this thread: each settled as soon as it ran.
    double here_ms = 0;  // for -vv
    auto run_here = [&](const std::vector<size_t>& chunk) {
      const auto t0 = Clock::now();
      for (size_t i : chunk) {
        Node& n = *order[i];
        apply(n, run_node(n));
        note_pace(n);
        ++here;
        settled[n.index] = true;
        stop_running(i);
        if (!keys[i]->links.empty()) resolver.invalidate();
      }
      here_ms += ms_since(t0);
    };
    std::vector<size_t> own;  // the chunk this thread keeps
    // Workers that take quick chunks at once: the cores but this thread's (more only share the
    // same cores, and take them from the thread that settles what comes back).
    const size_t cores = std::max<size_t>(2, std::thread::hardware_concurrency());
    const size_t quick_takers = std::max<size_t>(1, std::min(workers.size(), cores - 1));
    size_t chunk = kQuickChunkMin;
    // What this scan found: slow nodes one per task, quick ones cut into chunks; all queued
    // but the first chunk (own), and only sleeping workers woken.
    auto flush = [&] {
      std::vector<Task> tasks;
      for (size_t s : slow) tasks.push_back(Task{{s}, false});
      if (!fast.empty()) {
        const size_t size = fast.size() <= kQuickChunkMin ? fast.size() : chunk;
        own.assign(fast.begin(), fast.begin() + static_cast<long>(std::min(size, fast.size())));
        for (size_t at = own.size(); at < fast.size(); at += size) {
          Task t{{fast.begin() + static_cast<long>(at), fast.begin() + static_cast<long>(std::min(at + size, fast.size()))}, true};
          for (size_t q : t.nodes) on_worker_[order[q]->index] = true, went_quick[q] = true;
          quick_out += t.nodes.size();
          quick_queued += t.nodes.size();
          quick_on_workers += t.nodes.size();
          ++chunks_out;
          tasks.push_back(std::move(t));
        }
      }
      slow.clear();
      fast.clear();
      if (tasks.empty()) return;
      size_t wake;
      {
        std::lock_guard lock(mu);
        const auto now = Clock::now();
        for (Task& t : tasks) {
          queued_at[t.nodes.front()] = now;
          todo.push_back(std::move(t));
        }
        wake = std::min(idle, tasks.size());
      }
      for (size_t k = 0; k < wake; ++k) work_cv.notify_one();
    };
    for (;;) {
      // Outcomes already back are taken without waiting: the walk may be busy running quick
      // nodes itself while workers finish theirs.
      if (has_done.load(std::memory_order_acquire)) {
        {
          std::lock_guard lock(mu);
          finished.swap(done);
          has_done.store(false, std::memory_order_relaxed);
        }
        take_back();
      }
      while (first < count && settled[order[first]->index]) release(first++);
      if (first == count) break;
      refresh_held();
      bool progressed = false;
      passed.clear();
      passed_keys.clear();
      passed_added = 0;
      const bool quick_types = std::any_of(pace.begin(), pace.end(), [&](const auto& p) { return is_quick(p.second); });
      // This scan's chunk size: about four per taker of what is left; and the quick nodes it
      // may start: one chunk for this thread, and up to two per quick taker out on workers.
      chunk = std::clamp((count - first) / (4 * (quick_takers + 1)), kQuickChunkMin, kQuickChunkMax);
      const size_t quick_room = chunk + (quick_out < 2 * quick_takers * chunk ? 2 * quick_takers * chunk - quick_out : 0);
      for (size_t i = first; i < std::min(count, first + window + kQuickOut) && passed.size() < window; ++i) {
        const bool slow_full = slow_out + slow.size() >= slots;
        const bool quick_full = fast.size() >= quick_room;
        if (slow_full && (quick_full || !quick_types)) break;
        if (i >= first + window && quick_full) break;
        Node& n = *order[i];
        if (visited_[n.index]) continue;
        if (alone[i]) {
          // Everything before it has finished and nothing after it has started.
          if (i == first && running.empty()) {
            // Its callbacks (a batch's: for every member) come now, as in the serial walk.
            for (Node* m : visit_alone(order, i)) settled[m->index] = true, released[pos[m->index]] = true;
            resolver.invalidate();
            progressed = true;
          }
          break;
        }
        bool ready = std::all_of(n.deps.begin(), n.deps.end(), [&](const Node* d) { return settled[d->index]; });
        // The earlier unfinished resources are those this scan passed over and those started;
        // a later one already started (it started while this one waited for a dependency):
        // names resolved since may have brought them together.
        if (ready && !passed.empty()) {
          for (; passed_added < passed.size(); ++passed_added) passed_keys.add(keys_of(passed[passed_added]));
          ready = !passed_keys.collides(keys_of(i));
        }
        if (ready && held.collides(keys_of(i))) ready = false;
        const bool q = ready && quick(n);
        // No room: it waits, and what comes after it is compared with it as with any other.
        if (ready && (q ? quick_full : slow_full || i >= first + window)) ready = false;
        if (!ready || workers.empty()) {
          passed.push_back(i);
          continue;
        }
        visited_[n.index] = true;
        // An immediate notification refreshed it before its turn and that failed: it stays failed.
        if (n.status == NodeStatus::kFailed || !precheck_deps(n, Clock::now())) {
          settled[n.index] = true;
          progressed = true;
          continue;
        }
        start(i);
        if (q) {
          fast.push_back(i);
          continue;
        }
        slow.push_back(i);
        on_worker_[n.index] = true;
        ++on_workers;
        ++slow_out;
      }
      flush();  // the workers start on what is queued first
      if (!own.empty()) {
        run_here(own);
        own.clear();
        continue;
      }
      if (progressed) continue;
      if (running.empty()) {
        // No worker, or (never seen: the first unfinished node is always ready) nothing ready:
        // the rest as the serial walk.
        for (size_t i = first; i < count; ++i) {
          if (!visited_[order[i]->index]) {
            for (Node* m : visit_alone(order, i)) released[pos[m->index]] = true;
          }
          release(i);
        }
        break;
      }
      {
        std::unique_lock lock(mu);
        // A chunk of quick nodes still queued: run here rather than wait.
        auto it = std::find_if(todo.begin(), todo.end(), [](const Task& t) { return t.quick; });
        if (it != todo.end()) {
          own = std::move(it->nodes);
          todo.erase(it);
          lock.unlock();
          for (size_t q : own) on_worker_[order[q]->index] = false, went_quick[q] = false;
          quick_out -= own.size();
          quick_on_workers -= own.size();
          run_here(own);
          own.clear();
          continue;
        }
        // Woken when half of what is out is back, or when the workers ran out of queued tasks.
        wake_at = std::max<size_t>(1, (slow_out + quick_out) / 2);
        bool slept = false;
        while (done.empty() || (done.size() < wake_at && !todo.empty())) {
          main_waiting = true;
          done_cv.wait(lock);
          main_waiting = false;
          slept = true;
        }
        if (slept) note_wake(std::chrono::duration<double, std::milli>(Clock::now() - done.back().finished).count());
        finished.swap(done);
        has_done.store(false, std::memory_order_relaxed);
      }
      take_back();
    }
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    work_cv.notify_all();
    for (auto& w : workers) w.join();
    if (log::level() <= log::Level::kDebug)
      log::debug("walk: " + std::to_string(on_workers) + " resources on " + std::to_string(workers.size()) +
                 " workers; quick ones: " + std::to_string(quick_queued) + " queued in " + std::to_string(chunks_out) +
                 " chunks, " + std::to_string(quick_on_workers) + " run on the workers, " + std::to_string(here) +
                 " on the walking thread (" + std::to_string(here_ms) + " of " + std::to_string(ms_since(walk_t0)) +
                 " ms walking; wake-up " + std::to_string(wake_ms) + " ms)");
    // Delayed notifications name their sources in the serial walk's order.
    for (auto& [target, actions] : delayed_)
      for (auto& [action, sources] : actions)
        std::stable_sort(sources.begin(), sources.end(), [&](const std::string& a, const std::string& b) {
          const Node* na = graph_.find(a);
          const Node* nb = graph_.find(b);
          return na && nb && pos[na->index] < pos[nb->index];
        });
  }

  /// What a worker found: the node is settled by apply() on the walking thread.
  struct Outcome {
    enum Kind { kSkipped, kFailed, kConverged } kind = kConverged;
    Status status;       // kConverged
    std::string error;   // kFailed
  };

  void apply(Node& n, const Outcome& o) {
    if (o.kind == Outcome::kFailed) fail(n, o.error);
    else if (o.kind == Outcome::kConverged) finish(n, o.status);
  }

  /// Failed dependencies and a preflight error (the walking thread's part of precheck). False
  /// when the node is settled (skipped or failed).
  bool precheck_deps(Node& n, Clock::time_point t0) {
    // A dependency's writes may still be pending (the real host puts them in place in one pass):
    // in place first, so a dependency whose write did not land counts as failed below.
    if (std::any_of(n.deps.begin(), n.deps.end(), [&](const Node* d) { return wrote_[d->index]; })) settle_writes();
    // A failed dependency means this node's preconditions may not hold: skip it, naming the cause.
    for (Node* d : n.deps) {
      if (const std::string* cause = failure_cause(*d)) {
        n.status = NodeStatus::kSkipped;
        n.skip_reason = "dependency " + *cause + " failed";
        root_cause_[n.index] = *cause;
        return false;
      }
    }
    // The compiler could not give this resource all its values (a secret that does not decrypt):
    // it fails alone, its dependents are skipped, and the rest of the run goes on.
    if (!n.resource->meta().preflight_error.empty()) {
      fail(n, n.resource->meta().preflight_error);
      n.duration_ms = ms_since(t0);
      return false;
    }
    return true;
  }

  /// The node's guards: the outcome when one stops it (skipped, or failed: a guard that cannot
  /// run), nullopt when they all pass. Touches only `n` and the host.
  std::optional<Outcome> guard_outcome(Node& n, Clock::time_point t0) {
    const uint64_t assumed = host_.predictions();
    auto guard = check_guards(n, host_);
    n.guard_predicted = host_.predictions() != assumed;
    if (!guard.is_ok()) {
      n.duration_ms = ms_since(t0);
      return Outcome{Outcome::kFailed, Status::ok(), guard.status().message()};
    }
    if (guard->empty()) return std::nullopt;
    n.status = NodeStatus::kSkipped;
    n.skip_reason = *guard + (n.guard_predicted ? " (predicted: the guard ran before the plan's earlier changes exist)" : "");
    n.duration_ms = ms_since(t0);
    return Outcome{Outcome::kSkipped, Status::ok(), ""};
  }

  /// Guards, then converge with retries: touches only `n` and the host, so a worker may run it.
  /// Command output goes to on_output as it comes, from the calling thread.
  Outcome run_node(Node& n) {
    auto t0 = Clock::now();
    if (auto stopped = guard_outcome(n, t0)) return *stopped;
    // Retries re-observe from scratch: a partial first attempt is seen as it now is.
    Status st;
    std::vector<Change> changes;
    std::string output;
    int max_attempts = 1 + std::max(0, n.resource->meta().retries);
    for (int attempt = 1; attempt <= max_attempts; ++attempt) {
      ConvergeContext ctx(host_, opts_.state_dir, is_sensitive(n));
      prepare(ctx, n);
      stream_output(n, ctx);
      n.attempts = attempt;
      st = n.resource->converge(ctx);
      auto c = ctx.take_changes();
      changes.insert(changes.end(), c.begin(), c.end());
      output += ctx.output();
      if (st.is_ok() || opts_.mode == Mode::kPlan) break;
      if (attempt < max_attempts)
        std::this_thread::sleep_for(std::chrono::milliseconds(n.resource->meta().retry_delay_ms));
    }
    // Append: an immediate notification may have refreshed this node before its own turn.
    n.changes.insert(n.changes.end(), changes.begin(), changes.end());
    n.output += output;
    n.duration_ms += ms_since(t0);
    return {Outcome::kConverged, st, ""};
  }

  /// Failed dependencies and guards, on the walking thread (a batch's members). False when the
  /// node is settled (skipped or failed).
  bool precheck(Node& n, Clock::time_point t0) {
    if (!precheck_deps(n, t0)) return false;
    auto stopped = guard_outcome(n, t0);
    if (stopped) apply(n, *stopped);
    return !stopped;
  }

  /// Converges order[first] with every later unvisited node of the same batch key whose
  /// dependencies are all visited. Returns the nodes settled (for progress output).
  std::vector<Node*> visit_batch(const std::vector<Node*>& order, size_t first) {
    auto t0 = Clock::now();
    const std::string key = order[first]->resource->batch_key();
    std::vector<Node*> members;
    for (size_t j = first; j < order.size(); ++j) {
      Node* m = order[j];
      if (visited_[m->index] || m->resource->batch_key() != key) continue;
      bool ready = true;
      for (Node* d : m->deps) ready = ready && visited_[d->index];
      if (j == first || ready) members.push_back(m);
    }
    if (opts_.on_node_start) opts_.on_node_start(*order[first], members.size());
    std::vector<Node*> live;
    for (Node* m : members) {
      visited_[m->index] = true;
      if (precheck(*m, t0)) live.push_back(m);
    }
    if (live.empty()) return members;
    std::vector<std::unique_ptr<ConvergeContext>> ctxs;
    std::vector<ConvergeContext*> ctx_ptrs;
    std::vector<Resource*> resources;
    for (Node* m : live) {
      ctxs.push_back(std::make_unique<ConvergeContext>(host_, opts_.state_dir, is_sensitive(*m)));
      prepare(*ctxs.back(), *m);
      stream_output(*m, *ctxs.back());
      ctx_ptrs.push_back(ctxs.back().get());
      resources.push_back(m->resource.get());
      m->attempts = 1;
    }
    std::vector<Status> results = live.front()->resource->converge_batch(resources, ctx_ptrs);
    double ms = ms_since(t0);
    for (size_t k = 0; k < live.size(); ++k) {
      Node& m = *live[k];
      auto c = ctxs[k]->take_changes();
      m.changes.insert(m.changes.end(), c.begin(), c.end());
      m.output += ctxs[k]->output();
      m.duration_ms += ms;
      Status st = k < results.size() ? results[k] : Status::internal("batch returned no status for " + m.resource->id());
      finish(m, st);
    }
    return members;
  }

  void visit(Node& n) {
    // An immediate notification refreshed it before its turn and that failed: it stays failed
    // (counted), and is not converged onto what the failure left.
    if (n.status == NodeStatus::kFailed) return;
    if (!precheck_deps(n, Clock::now())) return;
    apply(n, run_node(n));
  }

  /// Settles a converged node from its outcome; notifies when it changed.
  void finish(Node& n, const Status& st) {
    if (n.guard_predicted)
      for (Change& c : n.changes) c.predicted = true;
    if (!st.is_ok()) {
      fail(n, st.to_string());
      return;
    }
    n.status = n.changes.empty() ? NodeStatus::kUnchanged
               : opts_.mode == Mode::kApply ? NodeStatus::kChanged
                                            : NodeStatus::kWouldChange;
    if (!n.changes.empty() && opts_.mode == Mode::kApply) wrote_[n.index] = true;
    if (!n.changes.empty()) notify_targets(n);
  }

  /// The run's settings every context of `n` shares: temp tidying, fingerprints, the gate.
  void prepare(ConvergeContext& ctx, const Node& n) {
    ctx.set_tidy_temps(opts_.tidy_temps);
    ctx.set_fingerprint_key(&opts_.fingerprint_key);
    if (opts_.permit)
      ctx.set_gate([this, &n](const Change& c) {
        std::lock_guard lock(permit_mu_);  // workers share the saved plan's admitted changes
        return opts_.permit(n, c);
      });
  }

  void notify_targets(Node& n) {
    // An immediate refresh acts at once: the notifier's writes land first (or it fails, and
    // notifies nothing). Delayed ones are withdrawn by settle_writes if its write fails later.
    if (std::any_of(n.notifies.begin(), n.notifies.end(), [](const Notify& x) { return x.immediately; })) {
      settle_writes();
      if (n.status == NodeStatus::kFailed) return;
    }
    for (const Notify& note : n.notifies) {
      // A targeted run touches only its selection: the refresh is not made, and said.
      if (!note.target->selected) {
        std::string what = note.target->resource->id() + (note.action.empty() ? "" : " (" + note.action + ")");
        if (std::find(n.undelivered.begin(), n.undelivered.end(), what) == n.undelivered.end())
          n.undelivered.push_back(what);
        continue;
      }
      if (note.immediately) {
        refresh(*note.target, note.action, {n.resource->id()});
      } else {
        auto& sources = delayed_[note.target->index][note.action];
        sources.push_back(n.resource->id());
      }
    }
  }

  void refresh(Node& target, const std::string& action, const std::vector<std::string>& sources) {
    // A target that failed or was skipped for a failure is not refreshed: it is not in a state
    // that a restart would help, and a restart onto half-applied config is how outages start.
    if (failure_cause(target) || target.status == NodeStatus::kSkipped) return;
    auto t0 = Clock::now();
    // The target's guards hold for its refreshes too: a `not_if` that says skip means no restart.
    const uint64_t assumed = host_.predictions();
    auto guard = check_guards(target, host_);
    if (host_.predictions() != assumed) target.guard_predicted = true;
    if (!guard.is_ok()) {
      fail(target, guard.status().message());
      return;
    }
    if (!guard->empty()) {
      if (target.status == NodeStatus::kPending || target.status == NodeStatus::kUnchanged) {
        target.skip_reason = "refresh (notified by " + join(sources, ", ") + ") skipped: " + *guard;
        if (target.status == NodeStatus::kUnchanged) target.status = NodeStatus::kSkipped;
      }
      return;
    }
    ConvergeContext ctx(host_, opts_.state_dir, is_sensitive(target), sources);
    prepare(ctx, target);
    stream_output(target, ctx);
    Status st = target.resource->refresh(ctx, action);
    auto c = ctx.take_changes();
    target.changes.insert(target.changes.end(), c.begin(), c.end());
    target.output += ctx.output();
    target.notified_by.insert(target.notified_by.end(), sources.begin(), sources.end());
    target.duration_ms += ms_since(t0);
    if (opts_.mode == Mode::kApply && !c.empty()) wrote_[target.index] = true;
    if (!st.is_ok()) {
      fail(target, st.to_string());
      return;
    }
    if (target.guard_predicted)
      for (Change& ch : target.changes) ch.predicted = true;
    if (!target.changes.empty())
      target.status = opts_.mode == Mode::kApply ? NodeStatus::kChanged : NodeStatus::kWouldChange;
  }

  /// A command's output shown as it comes (RunOptions::on_output), never a sensitive resource's.
  void stream_output(const Node& n, ConvergeContext& ctx) {
    if (!opts_.on_output || is_sensitive(n)) return;
    ctx.set_output_stream([this, &n](std::string_view s) { opts_.on_output(n, s); });
  }

  void fail(Node& n, std::string error) {
    n.status = NodeStatus::kFailed;
    // Resources never put a sensitive value into an error (their contract), so the text stays.
    n.error = std::move(error);
    n.failure_ignored = n.resource->meta().ignore_failure;
    if (!n.failure_ignored) root_cause_[n.index] = n.resource->id();
  }

  /// Puts the host's deferred writes in place (apply only) and fails each resource whose write
  /// did not land: that change is taken back (the file keeps its old content), its dependents
  /// not yet started are skipped as for any failure, its delayed notifications withdrawn and
  /// its undelivered ones (targeted runs) dropped. On the walking thread only.
  void settle_writes() {
    if (opts_.mode != Mode::kApply) return;
    std::fill(wrote_.begin(), wrote_.end(), false);
    std::vector<host::Host::FailedWrite> failed = std::move(unclaimed_);
    unclaimed_.clear();
    for (auto& f : host_.take_failed_writes()) failed.push_back(std::move(f));
    for (auto& f : failed) {
      bool claimed = false;
      for (auto& node : graph_.nodes()) {
        Node& n = *node;
        if (on_worker_[n.index]) continue;  // its changes are still the worker's
        auto it = std::find_if(n.changes.begin(), n.changes.end(), [&](const Change& c) { return c.write_tag == f.tag; });
        if (it == n.changes.end()) continue;
        n.changes.erase(it);
        if (n.status != NodeStatus::kFailed)
          fail(n, f.error.to_string() + " (written, but not put in place: the old content stays)");
        n.undelivered.clear();
        for (auto& [target, actions] : delayed_)
          for (auto& [action, sources] : actions) std::erase(sources, n.resource->id());
        claimed = true;
        break;
      }
      // A resource still on a worker: claimed when it is back. None (its act failed, so the
      // change was never recorded and the resource already failed): nothing to take back.
      if (!claimed && std::any_of(on_worker_.begin(), on_worker_.end(), [](bool b) { return b; }))
        unclaimed_.push_back(std::move(f));
    }
  }

  /// The id of the failed resource behind `n`, or nullptr when `n` did not fail.
  const std::string* failure_cause(const Node& n) const {
    auto it = root_cause_.find(n.index);
    return it == root_cause_.end() ? nullptr : &it->second;
  }

  Graph& graph_;
  host::Host& host_;
  const RunOptions& opts_;
  std::vector<bool> visited_;  // by node index: settled in pass 1 (parallel: started)
  std::vector<bool> wrote_ = std::vector<bool>(graph_.size(), false);  // by node index: changed since the last settle_writes
  std::vector<bool> on_worker_ = std::vector<bool>(graph_.size(), false);  // by node index: converging on a worker now
  std::vector<host::Host::FailedWrite> unclaimed_;  // failed writes of resources that were on a worker
  std::mutex permit_mu_;
  std::unordered_map<size_t, std::string> root_cause_;
  std::map<size_t, std::map<std::string, std::vector<std::string>>> delayed_;
};

}  // namespace

std::vector<PendingNotification> pending_after(const Graph& graph, const std::vector<PendingNotification>& before) {
  std::vector<PendingNotification> out;
  auto keep = [&](PendingNotification p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(std::move(p));
  };
  for (const auto& p : before)
    if (const Node* t = graph.find(p.target); t && !t->selected) keep(p);
  for (const auto& n : graph.nodes()) {
    if (!n->selected || n->status != NodeStatus::kChanged) continue;
    for (const Notify& note : n->notifies)
      if (!note.target->selected) keep({note.target->resource->id(), note.action, n->resource->id()});
  }
  return out;
}

int default_jobs() { return std::max(4, static_cast<int>(std::thread::hardware_concurrency())); }

void converge_graph(Graph& graph, host::Host& host, const RunOptions& options) {
  if (options.mode == Mode::kPlan) {
    // Dry-run swaps only the executor: every act lands on a planned host over `host`.
    host::PlannedHost planned(host);
    Walker(graph, planned, options).run();
    return;
  }
  Walker(graph, host, options).run();
}

}  // namespace roux::engine
