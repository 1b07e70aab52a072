// file, template, directory and link: converge, second converge = 0 changes, plan changes nothing,
// plan == apply, bad input -> clear error. Each test converges into its own temporary root.
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/runner.h"
#include "resources/backup.h"
#include "resources/builtin.h"

namespace roux::resources {
namespace {

namespace fs = std::filesystem;

class NoCookbook : public engine::BuildContext {
 public:
  Result<std::string> cookbook_file(const std::string& rel) const override {
    if (rel == "motd") return std::string("from files/\n");
    return Status::not_found("cookbook t has no file files/" + rel);
  }
  Result<engine::Rendered> render_template(const std::string&, const engine::Value*) const override {
    return engine::Rendered{"rendered\n", false};
  }
};

engine::Value scalar(const std::string& s) {
  engine::Value v;
  v.kind = engine::Value::Kind::kScalar;
  v.scalar = s;
  return v;
}

/// A temporary root plus a one-resource-at-a-time converge helper.
struct Root {
  std::string dir;
  engine::Registry registry;
  NoCookbook build;
  Root() {
    char tmpl[] = "/tmp/roux-unit.XXXXXX";
    dir = mkdtemp(tmpl);
    register_builtin_resources(registry);
  }
  ~Root() { fs::remove_all(dir); }

  /// Builds `type[name]` from key/value properties; returns its errors joined.
  std::unique_ptr<engine::Resource> make(const std::string& type, const std::string& name,
                                         std::vector<std::pair<std::string, std::string>> kv, std::string* errors) {
    engine::Value map;
    map.kind = engine::Value::Kind::kMap;
    map.where = {"r.yaml", 1, 3};
    for (auto& [k, v] : kv) {
      map.map.push_back({k, {"r.yaml", 2, 3}, scalar(v)});
      map.map.back().value.where = {"r.yaml", 2, 5};
    }
    std::vector<Status> errs;
    engine::Props props(map, type + "[" + name + "]", &errs);
    auto r = registry.find(type)->make(name, props, build);
    props.finish(type);
    for (const auto& e : errs) *errors += e.to_string() + "\n";
    return r;
  }

  /// Converges one resource; returns its changes as "property: before -> after" lines.
  std::vector<std::string> converge(const std::string& type, const std::string& name,
                                    std::vector<std::pair<std::string, std::string>> kv, engine::Mode mode,
                                    std::string* error = nullptr) {
    std::string errs;
    engine::Graph g;
    Node_ = g.add(make(type, name, std::move(kv), &errs), {"r.yaml", 1, 3}).value();
    REQUIRE(errs.empty());
    auto host = host::make_posix_host(dir).value();
    engine::RunOptions o;
    o.mode = mode;
    o.state_dir = "/var/lib/roux";
    engine::converge_graph(g, *host, o);
    CHECK(host->sync_changed_dirs().is_ok());  // as the CLI does before its report
    last_changes = Node_->changes;
    if (error) *error = Node_->error;
    else CHECK(Node_->error == "");
    std::vector<std::string> out;
    for (const auto& c : Node_->changes) out.push_back(c.property + ": " + c.before + " -> " + c.after);
    return out;
  }
  std::string read(const std::string& p) {
    std::ifstream in(dir + p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  unsigned mode_of(const std::string& p) {
    struct stat st;
    REQUIRE(lstat((dir + p).c_str(), &st) == 0);
    return st.st_mode & 07777;
  }
  engine::Node* Node_ = nullptr;  // valid only inside converge()
  std::vector<engine::Change> last_changes;
};

}  // namespace

TEST_CASE("file: create, idempotent, plan changes nothing, drift planned then applied") {
  Root r;
  fs::create_directories(r.dir + "/etc");
  std::vector<std::pair<std::string, std::string>> props{{"content", "hello\n"}, {"mode", "0640"}};
  auto planned = r.converge("file", "/etc/motd", props, engine::Mode::kPlan);
  CHECK_FALSE(fs::exists(r.dir + "/etc/motd"));
  auto applied = r.converge("file", "/etc/motd", props, engine::Mode::kApply);
  CHECK(planned == applied);
  CHECK(applied.front() == "ensure: absent -> file");
  CHECK(r.read("/etc/motd") == "hello\n");
  CHECK(r.mode_of("/etc/motd") == 0640);
  CHECK(r.converge("file", "/etc/motd", props, engine::Mode::kApply).empty());

  // Drift content and mode by hand.
  std::ofstream(r.dir + "/etc/motd") << "edited\n";
  chmod((r.dir + "/etc/motd").c_str(), 0666);
  auto plan2 = r.converge("file", "/etc/motd", props, engine::Mode::kPlan);
  CHECK(r.read("/etc/motd") == "edited\n");
  CHECK(r.last_changes.at(0).diff == "--- a/etc/motd\n+++ b/etc/motd\n@@ -1 +1 @@\n-edited\n+hello\n");
  auto apply2 = r.converge("file", "/etc/motd", props, engine::Mode::kApply);
  CHECK(plan2 == apply2);
  REQUIRE(apply2.size() == 2);
  CHECK(apply2[1] == "mode: 0666 -> 0640");
  CHECK(r.read("/etc/motd") == "hello\n");
  // The replaced content was backed up.
  size_t backups = 0;
  for (auto& e : fs::directory_iterator(r.dir + backup_dir("/var/lib/roux", "/etc/motd"))) {
    if (e.path().filename() == "path") continue;  // names the backed-up path
    std::ifstream in(e.path());
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "edited\n");
    ++backups;
  }
  CHECK(backups == 1);
}

TEST_CASE("file: sensitive content is redacted in changes") {
  Root r;
  std::string errs;
  engine::Graph g;
  auto res = r.make("file", "/secret", {{"content", "hunter2\n"}}, &errs);
  res->meta().sensitive = true;
  engine::Node* n = g.add(std::move(res), {}).value();
  auto host = host::make_posix_host(r.dir).value();
  engine::RunOptions o;
  o.mode = engine::Mode::kApply;
  o.state_dir = "/var/lib/roux";
  engine::converge_graph(g, *host, o);
  CHECK(host->sync_changed_dirs().is_ok());
  REQUIRE(n->changes.size() >= 1);
  for (const auto& c : n->changes) {
    CHECK(c.before.find("hunter2") == std::string::npos);
    CHECK(c.after.find("hunter2") == std::string::npos);
    CHECK(c.diff.empty());
  }
  CHECK(r.read("/secret") == "hunter2\n");
}

TEST_CASE("file: a symlink at the path is replaced, never written through") {
  Root r;
  std::ofstream(r.dir + "/target") << "keep\n";
  fs::create_symlink(r.dir + "/target", r.dir + "/f");
  r.converge("file", "/f", {{"content", "new\n"}}, engine::Mode::kApply);
  CHECK(fs::is_regular_file(fs::symlink_status(r.dir + "/f")));
  CHECK(r.read("/target") == "keep\n");
  CHECK(r.read("/f") == "new\n");
}

TEST_CASE("file: bad input is reported at the property") {
  Root r;
  std::string errs;
  r.make("file", "/a", {{"mode", "0999"}, {"colour", "red"}, {"ensure", "maybe"}}, &errs);
  CHECK(errs ==
        "r.yaml:2:5: file[/a]: ensure: must be one of present, absent, got \"maybe\"\n"
        "r.yaml:2:5: file[/a]: mode: expected an octal mode such as \"0644\", got \"0999\"\n"
        "r.yaml:2:3: file[/a]: unknown property \"colour\" for file\n");
  errs.clear();
  r.make("file", "etc/x", {}, &errs);
  CHECK(errs == "r.yaml:1:3: file[etc/x]: path must be absolute: \"etc/x\"\n");
  errs.clear();
  r.make("file", "/a", {{"source", "nope"}}, &errs);
  CHECK(errs == "r.yaml:2:5: file[/a]: source: cookbook t has no file files/nope\n");
}

TEST_CASE("file: ensure absent removes a file and refuses a directory") {
  Root r;
  std::ofstream(r.dir + "/gone") << "x";
  CHECK(r.converge("file", "/gone", {{"ensure", "absent"}}, engine::Mode::kApply) ==
        std::vector<std::string>{"ensure: file -> absent"});
  CHECK_FALSE(fs::exists(r.dir + "/gone"));
  CHECK(r.converge("file", "/gone", {{"ensure", "absent"}}, engine::Mode::kApply).empty());
  fs::create_directory(r.dir + "/d");
  std::string error;
  r.converge("file", "/d", {{"ensure", "absent"}}, engine::Mode::kApply, &error);
  CHECK(error == "/d is a directory; a file resource will not remove it");
}

TEST_CASE("directory: parents, mode, absent recursive") {
  Root r;
  auto plan = r.converge("directory", "/a/b/c", {{"mode", "0700"}}, engine::Mode::kPlan);
  CHECK_FALSE(fs::exists(r.dir + "/a"));
  auto apply = r.converge("directory", "/a/b/c", {{"mode", "0700"}}, engine::Mode::kApply);
  CHECK(plan == apply);
  CHECK(apply.front() == "ensure: absent -> directory (with parents /a, /a/b)");
  CHECK(r.mode_of("/a/b/c") == 0700);
  CHECK(r.converge("directory", "/a/b/c", {{"mode", "0700"}}, engine::Mode::kApply).empty());
  std::ofstream(r.dir + "/a/b/c/file") << "x";
  std::string error;
  r.converge("directory", "/a", {{"ensure", "absent"}}, engine::Mode::kApply, &error);
  CHECK(error == "/a is not empty (1 entries); set recursive: true to remove it with its content");
  r.converge("directory", "/a", {{"ensure", "absent"}, {"recursive", "true"}}, engine::Mode::kApply);
  CHECK_FALSE(fs::exists(r.dir + "/a"));
}

TEST_CASE("link: create, retarget, refuse a file without force") {
  Root r;
  CHECK(r.converge("link", "/cur", {{"to", "/releases/1"}}, engine::Mode::kApply) ==
        std::vector<std::string>{"to: absent -> /releases/1"});
  CHECK(fs::read_symlink(r.dir + "/cur") == "/releases/1");
  CHECK(r.converge("link", "/cur", {{"to", "/releases/1"}}, engine::Mode::kApply).empty());
  CHECK(r.converge("link", "/cur", {{"to", "/releases/2"}}, engine::Mode::kPlan) ==
        std::vector<std::string>{"to: /releases/1 -> /releases/2"});
  CHECK(fs::read_symlink(r.dir + "/cur") == "/releases/1");
  std::ofstream(r.dir + "/plain") << "x";
  std::string error;
  r.converge("link", "/plain", {{"to", "/x"}}, engine::Mode::kApply, &error);
  CHECK(error == "/plain is a regular file; set force: true to replace it with a link");
}

TEST_CASE("exec: creates guards, plan does not run, returns") {
  Root r;
  std::string marker = r.dir + "/ran";
  auto planned = r.converge("exec", "touch", {{"command", "touch " + marker}, {"creates", "/ran"}}, engine::Mode::kPlan);
  CHECK(planned.size() == 1);
  CHECK_FALSE(fs::exists(marker));
  r.converge("exec", "touch", {{"command", "touch " + marker}, {"creates", "/ran"}}, engine::Mode::kApply);
  CHECK(fs::exists(marker));
  CHECK(r.converge("exec", "touch", {{"command", "touch " + marker}, {"creates", "/ran"}}, engine::Mode::kApply).empty());
  std::string error;
  r.converge("exec", "fail", {{"command", "echo oops; exit 3"}}, engine::Mode::kApply, &error);
  CHECK(error == "command exited 3: oops");
  r.converge("exec", "ok3", {{"command", "exit 3"}, {"returns", "3"}}, engine::Mode::kApply, &error);
  CHECK(error == "");
}

}  // namespace roux::resources
