// systemd_reload: what a run changed is reloaded once, deduplicated and sorted, and the pending
// list is emptied; without a live systemd (a --root tree) nothing runs and the output says why.
#include "resources/systemd_reload.h"

#include <doctest/doctest.h>

#include "engine/graph.h"
#include "engine/runner.h"

namespace roux::resources {
namespace {

/// A resource that marks `what` pending in its change, then asks for the reload.
class Marks : public engine::Resource {
 public:
  Marks(std::string name, std::vector<std::string> what) : Resource(std::move(name)), what_(std::move(what)) {}
  std::string_view type() const override { return "marks"; }
  Status converge(engine::ConvergeContext& ctx) override {
    if (!what_.empty())
      ROUX_TRY(ctx.change({"content", "old", "new"}, [&](host::Host&) {
        for (const auto& w : what_) systemd_reload_pending(w);
        return Status::ok();
      }));
    ROUX_ASSIGN_OR_RETURN(bool live, live_systemd(ctx.host()));
    return systemd_daemon_reload(ctx, live);
  }

 private:
  std::vector<std::string> what_;
};

}  // namespace

TEST_CASE("systemd_reload: once for what is pending, deduplicated; nothing pending, nothing said") {
  engine::Graph g;
  auto add = [&](std::unique_ptr<engine::Resource> r) {
    return g.add(std::move(r), {"r.yaml", static_cast<int>(g.size()) + 1, 3}).value();
  };
  engine::Node* a = add(std::make_unique<Marks>("a", std::vector<std::string>{"/etc/fstab", "b.service", "/etc/fstab"}));
  engine::Node* b = add(std::make_unique<Marks>("b", std::vector<std::string>{}));
  std::unique_ptr<host::Host> host = std::move(host::make_posix_host("/tmp").value());
  REQUIRE(host->root() != "/");
  engine::RunOptions o;
  o.mode = engine::Mode::kPlan;
  o.state_dir = "/nonexistent";
  engine::converge_graph(g, *host, o);
  CHECK(a->output == "no running systemd: no daemon-reload (/etc/fstab, b.service take effect when systemd starts)\n");
  CHECK(b->output.empty());
  CHECK_FALSE(systemd_reload_needed());
  CHECK_FALSE(live_systemd(*host).value());
}

}  // namespace roux::resources
