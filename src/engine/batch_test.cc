// The runner's batch mechanism (Resource::batch_key / converge_batch): resources of one key that
// are ready together converge in one call; one failing member fails alone; a member whose
// dependency is not yet visited waits for a later batch; failed dependencies still skip.
#include <doctest/doctest.h>

#include "engine/graph.h"
#include "engine/runner.h"

namespace roux::engine {
namespace {

class Batched : public Resource {
 public:
  Batched(std::string name, std::vector<std::string>* log, bool fails = false)
      : Resource(std::move(name)), log_(log), fails_(fails) {}
  std::string_view type() const override { return "batched"; }
  std::string batch_key() const override { return "k"; }
  Status converge(ConvergeContext& ctx) override { return converge_batch({this}, {&ctx}).front(); }
  std::vector<Status> converge_batch(const std::vector<Resource*>& members, const std::vector<ConvergeContext*>& ctxs) override {
    std::string names;
    for (auto* m : members) names += (names.empty() ? "" : ",") + m->name();
    log_->push_back("batch " + names);
    std::vector<Status> out;
    for (size_t i = 0; i < members.size(); ++i) {
      if (static_cast<Batched*>(members[i])->fails_) {
        out.push_back(Status::not_found("no such thing"));
        continue;
      }
      out.push_back(ctxs[i]->change({"ensure", "absent", "present"}, [](host::Host&) { return Status::ok(); }));
    }
    return out;
  }

 private:
  std::vector<std::string>* log_;
  bool fails_;
};

class Plain : public Resource {
 public:
  Plain(std::string name, std::vector<std::string>* log) : Resource(std::move(name)), log_(log) {}
  std::string_view type() const override { return "plain"; }
  Status converge(ConvergeContext&) override {
    log_->push_back("converge " + name());
    return Status::ok();
  }

 private:
  std::vector<std::string>* log_;
};

struct BatchFixture {
  Graph g;
  std::vector<std::string> log;
  std::unique_ptr<host::Host> host = std::move(host::make_posix_host("/tmp").value());
  Node* add(std::unique_ptr<Resource> r) { return g.add(std::move(r), {"r.yaml", static_cast<int>(g.size()) + 1, 3}).value(); }
  void run() {
    RunOptions o;
    o.mode = Mode::kPlan;
    o.state_dir = "/nonexistent";
    converge_graph(g, *host, o);
  }
};

}  // namespace

TEST_CASE("batch: ready members converge in one call; a failing member fails alone") {
  BatchFixture f;
  Node* a = f.add(std::make_unique<Batched>("a", &f.log));
  f.add(std::make_unique<Plain>("x", &f.log));
  Node* bad = f.add(std::make_unique<Batched>("bad", &f.log, true));
  Node* c = f.add(std::make_unique<Batched>("c", &f.log));
  Node* dep = f.add(std::make_unique<Plain>("needs-bad", &f.log));
  f.g.add_dep(dep, bad);
  f.run();
  CHECK(f.log == std::vector<std::string>{"batch a,bad,c", "converge x"});
  CHECK(a->status == NodeStatus::kWouldChange);
  CHECK(c->status == NodeStatus::kWouldChange);
  CHECK(bad->status == NodeStatus::kFailed);
  CHECK(dep->status == NodeStatus::kSkipped);
  CHECK(dep->skip_reason == "dependency batched[bad] failed");
}

TEST_CASE("batch: a member waiting on an unvisited dependency joins a later batch") {
  BatchFixture f;
  f.add(std::make_unique<Batched>("a", &f.log));
  Node* p = f.add(std::make_unique<Plain>("p", &f.log));
  Node* b = f.add(std::make_unique<Batched>("b", &f.log));
  f.add(std::make_unique<Batched>("c", &f.log));
  f.g.add_dep(b, p);
  f.run();
  CHECK(f.log == std::vector<std::string>{"batch a,c", "converge p", "batch b"});
}

}  // namespace roux::engine
