// Fault injection (host/fault_host.h): every write a converge performs is failed in turn, one per
// run (N = 1, 2, ... until the converge makes no Nth write). Each time: the resource is reported
// failed with the injected errno text, its dependents are skipped, no change is recorded for the
// failed act, the managed path holds its old state or its new one (never partial, never missing
// when it existed), no ".roux-tmp" is left anywhere; then a converge on the plain host succeeds
// and the next one changes nothing.
#include "host/fault_host.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "engine/runner.h"
#include "resources/builtin.h"
#include "tests/unit/temp_dir.h"

namespace roux::resources {
namespace {

namespace fs = std::filesystem;
using host::FaultHost;

class Cookbook : public engine::BuildContext {
 public:
  Result<std::string> cookbook_file(const std::string& rel) const override {
    return Status::not_found("no file " + rel);
  }
  Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
    return engine::Rendered{"rendered new\n", false};
  }
};

using Props = std::vector<std::pair<std::string, std::string>>;
struct Decl {
  std::string type, name;
  Props props;
  std::vector<int> deps;  // indexes of earlier declarations
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const std::string& p, const std::string& data) {
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p) << data;
}

/// Every entry under `dir` whose name is a roux temp name.
std::vector<std::string> temps_under(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (host::is_roux_temp_name(e.path().filename().string())) out.push_back(e.path().string());
  return out;
}

struct Run {
  engine::Graph graph;
  std::vector<engine::Node*> nodes;
};

/// Builds the declarations into a graph (explicit deps plus implicit edges) and converges it.
std::unique_ptr<Run> converge(const std::vector<Decl>& decls, host::Host& h) {
  engine::Registry registry;
  register_builtin_resources(registry);
  Cookbook build;
  auto run = std::make_unique<Run>();
  for (const auto& d : decls) {
    engine::Value map;
    map.kind = engine::Value::Kind::kMap;
    map.where = {"r.yaml", 1, 3};
    for (auto& [k, v] : d.props) {
      engine::Value s;
      s.kind = engine::Value::Kind::kScalar;
      s.scalar = v;
      s.where = {"r.yaml", 2, 5};
      map.map.push_back({k, {"r.yaml", 2, 3}, s});
    }
    std::vector<Status> errs;
    engine::Props props(map, d.type + "[" + d.name + "]", &errs);
    auto r = registry.find(d.type)->make(d.name, props, build);
    props.finish(d.type);
    for (const auto& e : errs) FAIL(e.to_string());
    run->nodes.push_back(run->graph.add(std::move(r), {"r.yaml", 1, 3}).value());
    for (int dep : d.deps) run->graph.add_dep(run->nodes.back(), run->nodes[dep]);
  }
  run->graph.add_implicit_edges();
  engine::RunOptions o;
  o.mode = engine::Mode::kApply;
  o.state_dir = "/var/lib/roux";
  engine::converge_graph(run->graph, h, o);
  // As the CLI does before its report: every deferred write in place, every folder synced.
  CHECK(h.sync_changed_dirs().is_ok());
  return run;
}

size_t changes_of(const Run& run) {
  size_t n = 0;
  for (auto* node : run.nodes) n += node->changes.size();
  return n;
}

bool has_change(const engine::Node& n, const std::string& property) {
  for (const auto& c : n.changes)
    if (c.property == property) return true;
  return false;
}

/// One scenario: `setup` prepares a fresh root; `decls[0]` is the resource under test and the
/// others depend on it (they must be skipped when it fails); `check` inspects the root after a
/// faulted run (`failed_property`: the change whose act failed must not be recorded).
struct Scenario {
  std::function<void(const std::string& root)> setup;
  std::vector<Decl> decls;
  std::string failed_property;  // the change that must be absent when the node failed
  std::function<void(const std::string& root, const engine::Node& node)> check;
};

/// Runs the scenario once per write the resource under test performs, failing that write;
/// returns how many faults were injected into it.
int fault_every_write(const Scenario& s) {
  int injected = 0;
  for (int n = 1; n < 100; ++n) {
    testing::TempDir root;
    s.setup(root.path);
    auto posix = host::make_posix_host(root.path).value();
    FaultHost faulty(*posix);
    faulty.fail_nth(FaultHost::Op::kAny, n, ENOSPC);
    auto run = converge(s.decls, faulty);
    if (!faulty.fired()) {
      // The converge made fewer than n writes: it ran clean.
      for (auto* node : run->nodes) CHECK_MESSAGE(node->error == "", node->error);
      break;
    }
    CAPTURE(n);
    engine::Node& node = *run->nodes[0];
    if (node.status != engine::NodeStatus::kFailed && run->nodes.size() > 1) {
      // Past the resource's own writes: the fault hit a dependent (which failed alone).
      CHECK(node.error == "");
      CHECK(run->nodes[1]->status == engine::NodeStatus::kFailed);
      break;
    }
    ++injected;
    CHECK(node.status == engine::NodeStatus::kFailed);
    CHECK_MESSAGE(node.error.find("No space left on device") != std::string::npos, node.error);
    CHECK_FALSE(has_change(node, s.failed_property));
    for (size_t i = 1; i < run->nodes.size(); ++i) {
      CHECK(run->nodes[i]->status == engine::NodeStatus::kSkipped);
      CHECK(run->nodes[i]->changes.empty());
    }
    s.check(root.path, node);
    CHECK(temps_under(root.path).empty());
    // Recovery on the plain host, then a clean second run.
    auto again = converge(s.decls, *posix);
    for (auto* node2 : again->nodes) CHECK_MESSAGE(node2->error == "", node2->error);
    auto third = converge(s.decls, *posix);
    CHECK(changes_of(*third) == 0);
    CHECK(temps_under(root.path).empty());
  }
  return injected;
}

void write_accounts(const std::string& root) {
  write(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  write(root + "/etc/group", "root:x:0:\n");
}

}  // namespace

TEST_CASE("fault host: fails the chosen call only, without performing it, and counts calls") {
  testing::TempDir root;
  auto posix = host::make_posix_host(root.path).value();
  FaultHost h(*posix);
  h.fail_nth(FaultHost::Op::kWriteFile, 2, EIO);
  CHECK(h.write_file("/a", "1", 0644, std::nullopt, std::nullopt).is_ok());
  Status st = h.write_file("/b", "2", 0644, std::nullopt, std::nullopt);
  CHECK(st.message() == "write_file /b: " + std::string(std::strerror(EIO)));
  CHECK_FALSE(fs::exists(root.path + "/b"));
  CHECK(h.fired());
  CHECK(h.write_file("/c", "3", 0644, std::nullopt, std::nullopt).is_ok());
  CHECK(h.mkdir("/d", 0755).is_ok());
  CHECK(h.calls(FaultHost::Op::kWriteFile) == 3);
  CHECK(h.calls(FaultHost::Op::kMkdir) == 1);
  CHECK(h.calls(FaultHost::Op::kAny) == 4);
  h.fail_nth(FaultHost::Op::kAny, 5, EACCES);
  CHECK(h.symlink("/a", "/e").message() == "symlink /e: " + std::string(std::strerror(EACCES)));
  CHECK_FALSE(fs::is_symlink(root.path + "/e"));
  h.fail_nth(FaultHost::Op::kRun, 1, EAGAIN);
  auto r = h.run(SubprocessOptions{{"true"}});
  CHECK_FALSE(r.is_ok());
  CHECK(r.status().message() == "run true: " + std::string(std::strerror(EAGAIN)));
  // Reads go through untouched.
  CHECK(h.read_file("/a").value() == "1");
}

TEST_CASE("fault: file created, every write failed in turn") {
  Scenario s;
  s.setup = [](const std::string& root) {
    write_accounts(root);
    fs::create_directories(root + "/etc");
  };
  s.decls = {{"file", "/etc/motd", {{"content", "new\n"}, {"mode", "0640"}, {"owner", "root"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "ensure";
  s.check = [](const std::string& root, const engine::Node& node) {
    CHECK(node.changes.empty());
    CHECK_FALSE(fs::exists(root + "/etc/motd"));  // the only write is the atomic one
    CHECK_FALSE(fs::exists(root + "/etc/after"));
  };
  CHECK(fault_every_write(s) == 1);
}

TEST_CASE("fault: file content, mode and backup (with retention) updated, every write failed in turn") {
  Scenario s;
  s.setup = [](const std::string& root) {
    write_accounts(root);
    write(root + "/etc/motd", "old\n");
    fs::permissions(root + "/etc/motd", fs::perms(0600));
  };
  s.decls = {{"file", "/etc/motd", {{"content", "new\n"}, {"mode", "0640"}, {"backup", "1"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "mode";
  s.check = [](const std::string& root, const engine::Node& node) {
    std::string now = slurp(root + "/etc/motd");
    CHECK((now == "old\n" || now == "new\n"));
    // The content change is recorded exactly when the new content is on disk.
    CHECK(has_change(node, "content") == (now == "new\n"));
    CHECK((fs::status(root + "/etc/motd").permissions() & fs::perms::all) == fs::perms(0600));
  };
  // mkdir x5 (var, lib, roux, backup, HASH-motd), its `path` file, copy, write, chmod.
  CHECK(fault_every_write(s) == 9);
  Scenario seeded = s;
  seeded.setup = [&](const std::string& root) {
    s.setup(root);
    // An older backup of /etc/motd, so the run's retention removes it (a remove to fail).
    auto posix = host::make_posix_host(root).value();
    auto first = converge({{"file", "/etc/motd", {{"content", "older\n"}, {"backup", "1"}}, {}}}, *posix);
    REQUIRE(first->nodes[0]->error == "");
    write(root + "/etc/motd", "old\n");
    fs::permissions(root + "/etc/motd", fs::perms(0600));
  };
  CHECK(fault_every_write(seeded) == 4);  // copy, remove (retention), write, chmod
}

TEST_CASE("fault: file removed with a backup, every write failed in turn") {
  Scenario s;
  s.setup = [](const std::string& root) { write(root + "/etc/motd", "old\n"); };
  s.decls = {{"file", "/etc/motd", {{"ensure", "absent"}, {"backup", "2"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "ensure";
  s.check = [](const std::string& root, const engine::Node&) {
    CHECK(slurp(root + "/etc/motd") == "old\n");  // the remove is the last write
  };
  CHECK(fault_every_write(s) == 8);  // mkdir x5, the `path` file, copy, remove
}

TEST_CASE("fault: template updated, every write failed in turn") {
  Scenario s;
  s.setup = [](const std::string& root) { write(root + "/etc/app.conf", "old\n"); };
  s.decls = {{"template", "/etc/app.conf", {{"source", "app.conf.mustache"}, {"backup", "1"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "content";
  s.check = [](const std::string& root, const engine::Node& node) {
    CHECK(node.changes.empty());
    CHECK(slurp(root + "/etc/app.conf") == "old\n");
  };
  CHECK(fault_every_write(s) == 8);  // mkdir x5, the `path` file, copy, write
}

TEST_CASE("fault: directory created with parents and an owner, every write failed in turn") {
  Scenario s;
  s.setup = [](const std::string& root) { write_accounts(root); };
  s.decls = {{"directory", "/srv/a/b", {{"mode", "0750"}, {"owner", "root"}}, {}},
             {"file", "/srv/a/b/f", {{"content", "x\n"}}, {0}}};
  s.failed_property = "ensure";
  s.check = [](const std::string& root, const engine::Node& node) {
    CHECK(node.changes.empty());
    // Documented: the parents made before the failure stay (a re-run completes the folder);
    // when only the chown failed, the folder exists with the requested mode, owned by roux.
    CHECK_FALSE(fs::exists(root + "/srv/a/b/f"));
    // Made or not, never with a wider mode than asked (the mode is given to mkdir itself).
    if (fs::exists(root + "/srv/a/b"))
      CHECK((fs::status(root + "/srv/a/b").permissions() & fs::perms::all) == fs::perms(0750));
  };
  CHECK(fault_every_write(s) == 4);  // mkdir /srv, /srv/a, /srv/a/b, chown
}

TEST_CASE("fault: directory tree removed, the write failed") {
  Scenario s;
  s.setup = [](const std::string& root) { write(root + "/srv/tree/sub/f", "keep\n"); };
  s.decls = {{"directory", "/srv/tree", {{"ensure", "absent"}, {"recursive", "true"}}, {}},
             {"file", "/srv/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "ensure";
  s.check = [](const std::string& root, const engine::Node&) { CHECK(slurp(root + "/srv/tree/sub/f") == "keep\n"); };
  CHECK(fault_every_write(s) == 1);
}

TEST_CASE("fault: link replaced (a link, then a file with force), every write failed in turn") {
  Scenario s;
  s.setup = [](const std::string& root) {
    fs::create_directories(root + "/etc");
    fs::create_symlink("/old", root + "/etc/l");
    write(root + "/etc/f", "file\n");
  };
  s.decls = {{"link", "/etc/l", {{"to", "/new"}}, {}}, {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "to";
  s.check = [](const std::string& root, const engine::Node&) {
    CHECK(fs::read_symlink(root + "/etc/l") == "/old");
  };
  CHECK(fault_every_write(s) == 1);
  s.decls = {{"link", "/etc/f", {{"to", "/new"}, {"force", "true"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.check = [](const std::string& root, const engine::Node&) { CHECK(slurp(root + "/etc/f") == "file\n"); };
  CHECK(fault_every_write(s) == 1);
}

TEST_CASE("fault: cron.d file and a crontab entry updated, every write failed in turn") {
  Scenario s;
  s.setup = [](const std::string& root) {
    write_accounts(root);
    write(root + "/etc/group", "root:x:0:\ncrontab:x:101:\n");
    write(root + "/etc/cron.d/job", "old\n");
    write(root + "/var/spool/cron/crontabs/root", "# mine\n1 2 * * * keep\n");
  };
  s.decls = {{"cron", "job", {{"schedule", "@daily"}, {"command", "/bin/true"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "content";
  s.check = [](const std::string& root, const engine::Node& node) {
    CHECK(node.changes.empty());
    CHECK(slurp(root + "/etc/cron.d/job") == "old\n");
  };
  CHECK(fault_every_write(s) == 1);  // the write (make_dirs of the existing /etc/cron.d makes no call)
  s.decls = {{"cron", "nightly", {{"schedule", "@daily"}, {"command", "/bin/true"}, {"target", "crontab"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "entry";
  s.check = [](const std::string& root, const engine::Node& node) {
    CHECK(node.changes.empty());
    CHECK(slurp(root + "/var/spool/cron/crontabs/root") == "# mine\n1 2 * * * keep\n");
  };
  CHECK(fault_every_write(s) == 1);
}

TEST_CASE("fault: exec whose command cannot be started") {
  Scenario s;
  s.setup = [](const std::string& root) { fs::create_directories(root + "/etc"); };
  s.decls = {{"exec", "make-it", {{"command", "touch \"$ROUX_ROOT/etc/made\""}, {"creates", "/etc/made"}}, {}},
             {"file", "/etc/after", {{"content", "x\n"}}, {0}}};
  s.failed_property = "run";
  s.check = [](const std::string& root, const engine::Node& node) {
    CHECK(node.changes.empty());
    CHECK_FALSE(fs::exists(root + "/etc/made"));
  };
  CHECK(fault_every_write(s) == 1);  // the run
}

TEST_CASE("fault: a directory whose chown fails after its mkdir is removed again, and the next run reports it made") {
  testing::TempDir root;
  write_accounts(root.path);
  std::vector<Decl> decls{{"directory", "/srv/d", {{"mode", "0750"}, {"owner", "root"}}, {}}};
  auto posix = host::make_posix_host(root.path).value();
  FaultHost faulty(*posix);
  faulty.fail_nth(FaultHost::Op::kChown, 1, EIO);
  auto run = converge(decls, faulty);
  CHECK(run->nodes[0]->status == engine::NodeStatus::kFailed);
  CHECK(run->nodes[0]->changes.empty());
  CHECK_FALSE(fs::exists(root.path + "/srv/d"));  // the fresh folder is removed when its chown fails
  // So the next run makes it, and says so (it used to find it there and report nothing, ever).
  auto again = converge(decls, *posix);
  CHECK(again->nodes[0]->error == "");
  CHECK(changes_of(*again) > 0);
  CHECK(fs::is_directory(root.path + "/srv/d"));
}

}  // namespace roux::resources
