#include "engine/graph.h"

#include <doctest/doctest.h>

#include "engine/runner.h"

namespace roux::engine {
namespace {

/// A resource for engine tests: records converges and refreshes, can fail, can "change".
class Probe : public Resource {
 public:
  Probe(std::string name, std::vector<std::string>* log, bool changes = true, bool fails = false)
      : Resource(std::move(name)), log_(log), changes_(changes), fails_(fails) {}
  std::string_view type() const override { return "probe"; }
  Status converge(ConvergeContext& ctx) override {
    log_->push_back("converge " + name());
    if (fails_) return Status::command_failed("boom");
    if (!changes_) return Status::ok();
    return ctx.change({"state", "old", "new"}, [](host::Host&) { return Status::ok(); });
  }
  Status refresh(ConvergeContext& ctx, std::string_view action) override {
    log_->push_back("refresh " + name() + " " + std::string(action) + " by " + std::to_string(ctx.notified_by().size()));
    return ctx.change({"refresh", "", "restart"}, [](host::Host&) { return Status::ok(); });
  }

 private:
  std::vector<std::string>* log_;
  bool changes_, fails_;
};

struct Fixture {
  Graph g;
  std::vector<std::string> log;
  std::unique_ptr<host::Host> host;
  Fixture() { host = std::move(host::make_posix_host("/tmp").value()); }
  Node* add(const std::string& name, bool changes = true, bool fails = false) {
    return g.add(std::make_unique<Probe>(name, &log, changes, fails), {"r.yaml", static_cast<int>(g.size()) + 1, 3}).value();
  }
  void run(Mode mode = Mode::kPlan) {
    RunOptions o;
    o.mode = mode;
    o.state_dir = "/nonexistent";
    converge_graph(g, *host, o);
  }
};

}  // namespace

TEST_CASE("graph: duplicate id names both places") {
  Fixture f;
  f.add("a");
  auto dup = f.g.add(std::make_unique<Probe>("a", &f.log), {"other.yaml", 9, 3});
  REQUIRE_FALSE(dup.is_ok());
  CHECK(dup.status().to_string() == "other.yaml:9:3: duplicate resource probe[a] (first declared at r.yaml:1:3)");
}

/// A resource that names implicit dependencies, as a file names its folders and owner.
class Follower : public Resource {
 public:
  Follower(std::string name, std::vector<std::string> deps) : Resource(std::move(name)), deps_(std::move(deps)) {}
  std::string_view type() const override { return "follower"; }
  std::vector<std::string> implicit_deps() const override { return deps_; }
  Status converge(ConvergeContext&) override { return Status::ok(); }

 private:
  std::vector<std::string> deps_;
};

TEST_CASE("graph: implicit edges reach every named node that exists, also when neighbours share their list") {
  Fixture f;
  Node* a = f.add("a");
  Node* b = f.add("b");
  auto follow = [&](const std::string& name, std::vector<std::string> deps) {
    return f.g.add(std::make_unique<Follower>(name, std::move(deps)), {"r.yaml", 1, 3}).value();
  };
  // Neighbours with the same list, a shorter one, one that differs at one place, the same ids in
  // another order, a missing id where the previous one had a node, and none at all.
  Node* x = follow("x", {"probe[a]", "probe[b]"});
  Node* y = follow("y", {"probe[a]", "probe[b]"});
  Node* z = follow("z", {"probe[a]"});
  Node* u = follow("u", {"probe[a]", "probe[missing]", "probe[b]"});
  Node* v = follow("v", {"probe[b]", "probe[a]", "probe[missing]"});
  Node* w = follow("w", {"probe[b]", "follower[x]", "probe[gone]"});
  Node* e = follow("e", {});
  f.g.add_implicit_edges();
  CHECK(x->deps == std::vector<Node*>{a, b});
  CHECK(y->deps == std::vector<Node*>{a, b});
  CHECK(z->deps == std::vector<Node*>{a});
  CHECK(u->deps == std::vector<Node*>{a, b});
  CHECK(v->deps == std::vector<Node*>{b, a});
  CHECK(w->deps == std::vector<Node*>{b, x});
  CHECK(e->deps.empty());
  CHECK(a->deps.empty());
}

TEST_CASE("graph: a cycle is named in full, in run order") {
  Fixture f;
  Node* a = f.add("a");
  Node* b = f.add("b");
  Node* c = f.add("c");
  f.g.add_dep(b, a);  // b after a
  f.g.add_dep(c, b);  // c after b
  f.g.add_dep(a, c);  // a after c: cycle
  Status s = f.g.verify_acyclic();
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message() == "dependency cycle: probe[a] -> probe[b] -> probe[c] -> probe[a]");
}

TEST_CASE("graph: topological order is stable (declaration order breaks ties)") {
  Fixture f;
  Node* a = f.add("a");
  Node* b = f.add("b");
  Node* c = f.add("c");
  f.g.add_dep(a, c);
  auto order = f.g.topological_order();
  REQUIRE(order.size() == 3);
  CHECK(order[0] == b);
  CHECK(order[1] == c);
  CHECK(order[2] == a);
}

TEST_CASE("runner: a failure skips dependents (transitively) and nothing else") {
  Fixture f;
  Node* bad = f.add("bad", true, true);
  Node* child = f.add("child");
  Node* grandchild = f.add("grandchild");
  Node* other = f.add("other");
  f.g.add_dep(child, bad);
  f.g.add_dep(grandchild, child);
  f.run(Mode::kApply);
  CHECK(bad->status == NodeStatus::kFailed);
  CHECK(bad->error == "boom");
  CHECK(child->status == NodeStatus::kSkipped);
  CHECK(child->skip_reason == "dependency probe[bad] failed");
  CHECK(grandchild->status == NodeStatus::kSkipped);
  CHECK(grandchild->skip_reason == "dependency probe[bad] failed");
  CHECK(other->status == NodeStatus::kChanged);
}

TEST_CASE("runner: ignore_failure lets dependents run") {
  Fixture f;
  Node* bad = f.add("bad", true, true);
  bad->resource->meta().ignore_failure = true;
  Node* child = f.add("child");
  f.g.add_dep(child, bad);
  f.run(Mode::kApply);
  CHECK(bad->status == NodeStatus::kFailed);
  CHECK(bad->failure_ignored);
  CHECK(child->status == NodeStatus::kChanged);
}

TEST_CASE("runner: delayed notifications fire once per target, after everything, only from changes") {
  Fixture f;
  Node* n1 = f.add("n1");
  Node* n2 = f.add("n2");
  Node* quiet = f.add("quiet", false);
  Node* svc = f.add("svc", false);
  f.g.add_notify(n1, {svc, false, "restart"});
  f.g.add_notify(n2, {svc, false, "restart"});
  f.g.add_notify(quiet, {svc, false, "reload"});  // never changes: no reload
  f.run(Mode::kApply);
  CHECK(f.log == std::vector<std::string>{"converge n1", "converge n2", "converge quiet", "converge svc",
                                          "refresh svc restart by 2"});
  CHECK(svc->status == NodeStatus::kChanged);
  CHECK(svc->notified_by == std::vector<std::string>{"probe[n1]", "probe[n2]"});
}

TEST_CASE("runner: a failed notifier notifies nobody; immediate timing runs at once") {
  Fixture f;
  Node* bad = f.add("bad", true, true);
  Node* now = f.add("now");
  Node* target = f.add("target", false);
  f.g.add_notify(bad, {target, false, ""});
  f.g.add_notify(now, {target, true, "run"});
  f.run(Mode::kPlan);
  CHECK(f.log == std::vector<std::string>{"converge bad", "converge now", "refresh target run by 1", "converge target"});
  CHECK(now->status == NodeStatus::kWouldChange);
  CHECK(target->status == NodeStatus::kWouldChange);
}

TEST_CASE("runner: guards skip with the reason, and run in plan too") {
  Fixture f;
  Node* a = f.add("a");
  a->resource->meta().only_if = {"exit 3"};
  Node* b = f.add("b");
  b->resource->meta().not_if = {"true"};
  Node* c = f.add("c");
  c->resource->meta().only_if = {"true"};
  c->resource->meta().not_if = {"false"};
  f.run(Mode::kPlan);
  CHECK(a->status == NodeStatus::kSkipped);
  CHECK(a->skip_reason == "only_if `exit 3` exited 3");
  CHECK(b->skip_reason == "not_if `true` exited 0");
  CHECK(c->status == NodeStatus::kWouldChange);
}

}  // namespace roux::engine

namespace roux::engine {

TEST_CASE("select: --only takes the resource and what it requires, transitively; others are never visited") {
  Fixture f;
  Node* a = f.add("a");
  Node* b = f.add("b");
  Node* c = f.add("c");
  Node* d = f.add("d");
  f.g.add_dep(c, b);
  f.g.add_dep(b, a);
  f.g.add_notify(c, {d, false, ""});
  auto n = f.g.select({{"probe[c]"}, {}});
  REQUIRE(n.is_ok());
  CHECK(*n == 3);
  CHECK((a->selected && b->selected && c->selected && !d->selected));
  f.run(Mode::kApply);
  CHECK(f.log == std::vector<std::string>{"converge a", "converge b", "converge c"});
  CHECK(d->status == NodeStatus::kPending);
  CHECK(c->undelivered == std::vector<std::string>{"probe[d]"});
}

TEST_CASE("select: an unknown id names the nearest; tags select by resource, recipe and cookbook") {
  Fixture f;
  Node* a = f.add("nginx");
  Node* b = f.add("db");
  a->resource->meta().tags = {"web"};
  b->resource->meta().cookbook = "data";
  b->resource->meta().recipe = "default";
  auto bad = f.g.select({{"probe[ngnix]"}, {}});
  REQUIRE(!bad.is_ok());
  CHECK(bad.status().message() == "--only: no resource probe[ngnix] in the policy; did you mean probe[nginx]?");
  CHECK(f.g.select({{}, {"web"}}).value() == 1);
  CHECK((a->selected && !b->selected));
  CHECK(f.g.select({{}, {"data::default"}}).value() == 1);
  CHECK((!a->selected && b->selected));
  auto none = f.g.select({{}, {"nope"}});
  REQUIRE(!none.is_ok());
  CHECK(none.status().message() == "--tags: no resource carries the tag nope");
  CHECK(f.g.select({}).value() == 2);
  CHECK((a->selected && b->selected));
}

TEST_CASE("permit: a change the gate refuses is never acted on; the resource fails with the gate's reason") {
  Fixture f;
  f.add("a");
  Node* b = f.add("b");
  RunOptions o;
  o.mode = Mode::kApply;
  o.state_dir = "/nonexistent";
  o.fingerprint_key = "k";
  std::vector<std::string> seen;
  o.permit = [&](const Node& n, const Change& c) -> Status {
    seen.push_back(n.resource->id() + " " + c.property + " " + c.fingerprint.substr(0, 8));
    if (n.resource->id() == "probe[b]") return Status::conflict("not in the saved plan");
    return Status::ok();
  };
  converge_graph(f.g, *f.host, o);
  CHECK(f.g.find("probe[a]")->status == NodeStatus::kChanged);
  CHECK(b->status == NodeStatus::kFailed);
  CHECK(b->changes.empty());
  CHECK(b->error.find("not in the saved plan") != std::string::npos);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].size() == std::string("probe[a] state ").size() + 8);  // fingerprinted (key set)
}

}  // namespace roux::engine
