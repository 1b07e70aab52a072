// A written file is put in place later (the real host's one-pass durability): when that deferred
// rename fails, the resource that wrote it fails (its change taken back), never a later one; its
// dependents are skipped and its notifications withdrawn (engine/runner.cc settle_writes). The
// rename is made to fail for real: the name becomes a non-empty folder before the pass.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "engine/graph.h"
#include "engine/runner.h"
#include "tests/unit/temp_dir.h"

namespace roux::engine {
namespace {

namespace fs = std::filesystem;

class WriteFile : public Resource {
 public:
  WriteFile(std::string path, std::vector<std::string>* log) : Resource(std::move(path)), log_(log) {}
  std::string_view type() const override { return "wf"; }
  Status converge(ConvergeContext& ctx) override {
    log_->push_back("write " + name());
    return ctx.change({"content", "absent", "new"}, [&](host::Host& h) { return h.write_file(name(), "new\n", 0644, {}, {}); });
  }
  Status refresh(ConvergeContext& ctx, std::string_view) override {
    log_->push_back("refresh " + name());
    return ctx.change({"refresh", "", "done"}, [](host::Host&) { return Status::ok(); });
  }

 private:
  std::vector<std::string>* log_;
};

/// Turns `path` (under the root) into a non-empty folder behind the host's back: a pending
/// write's rename over it then fails (EISDIR).
class Sabotage : public Resource {
 public:
  Sabotage(std::string real, std::vector<std::string>* log) : Resource("sabotage"), real_(std::move(real)), log_(log) {}
  std::string_view type() const override { return "sabotage"; }
  Status converge(ConvergeContext&) override {
    log_->push_back("sabotage");
    std::error_code ec;
    fs::create_directories(real_ + "/inside", ec);
    return ec ? Status::io("mkdir " + real_, ec.value()) : Status::ok();
  }

 private:
  std::string real_;
  std::vector<std::string>* log_;
};

struct Fixture {
  testing::TempDir tmp;
  Graph g;
  std::vector<std::string> log;
  std::unique_ptr<host::Host> host = std::move(host::make_posix_host(tmp.path).value());
  Node* add(std::unique_ptr<Resource> r) { return g.add(std::move(r), {"r.yaml", static_cast<int>(g.size()) + 1, 3}).value(); }
  void run(int jobs) {
    RunOptions o;
    o.mode = Mode::kApply;
    o.state_dir = "/state";
    o.jobs = jobs;
    converge_graph(g, *host, o);
  }
};

}  // namespace

TEST_CASE("deferred write: a rename that fails later fails its own resource, skips its dependents, withdraws its notifications") {
  for (int jobs : {1, 4}) {
    CAPTURE(jobs);
    Fixture f;
    Node* ok = f.add(std::make_unique<WriteFile>("/ok", &f.log));
    Node* bad = f.add(std::make_unique<WriteFile>("/bad", &f.log));
    Node* sab = f.add(std::make_unique<Sabotage>(f.tmp.path + "/bad", &f.log));
    Node* hook = f.add(std::make_unique<WriteFile>("/hook", &f.log));
    Node* okhook = f.add(std::make_unique<WriteFile>("/okhook", &f.log));
    Node* after = f.add(std::make_unique<WriteFile>("/after", &f.log));
    (void)sab;                // declared after /bad, independent: /bad is still pending when it runs
    f.g.add_dep(after, bad);  // starts after /bad (and the sabotage, declared before): settled first
    f.g.add_notify(bad, {hook, false, ""});
    f.g.add_notify(ok, {okhook, false, ""});
    f.run(jobs);
    CHECK(ok->status == NodeStatus::kChanged);
    CHECK(bad->status == NodeStatus::kFailed);
    CHECK(bad->error.find("rename /bad") != std::string::npos);
    CHECK(bad->error.find("not put in place") != std::string::npos);
    CHECK(bad->changes.empty());  // the content change did not land
    CHECK(after->status == NodeStatus::kSkipped);
    CHECK(after->skip_reason == "dependency wf[/bad] failed");
    CHECK(std::find(f.log.begin(), f.log.end(), "refresh /hook") == f.log.end());
    CHECK(std::find(f.log.begin(), f.log.end(), "refresh /okhook") != f.log.end());
    CHECK(fs::is_directory(f.tmp.path + "/bad"));
    CHECK_FALSE(fs::exists(f.tmp.path + "/.bad.roux-tmp"));
    std::ifstream in(f.tmp.path + "/ok");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "new\n");
    CHECK(f.host->sync_changed_dirs().is_ok());  // no run-level error left behind
  }
}

TEST_CASE("deferred write: a command fails with its own change's failed write, never another's") {
  testing::TempDir tmp;
  auto host = std::move(host::make_posix_host(tmp.path).value());
  host->set_write_tag(1);
  REQUIRE(host->write_file("/other", "x", 0644, {}, {}).is_ok());
  host->set_write_tag(2);
  REQUIRE(host->write_file("/mine", "x", 0644, {}, {}).is_ok());
  fs::create_directories(tmp.path + "/other/inside");
  SubprocessOptions o;
  o.argv = {"true"};
  auto r = host->run(o);
  CHECK(r.is_ok());  // tag 2's writes landed; tag 1's failure is not this command's
  host->set_write_tag(3);
  REQUIRE(host->write_file("/third", "x", 0644, {}, {}).is_ok());
  fs::create_directories(tmp.path + "/third/inside");
  r = host->run(o);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().to_string().find("rename /third") != std::string::npos);
  host->set_write_tag(0);
  auto failed = host->take_failed_writes();
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].tag == 1);
  CHECK(failed[0].error.to_string().find("rename /other") != std::string::npos);
}

}  // namespace roux::engine
