// group: a local group of the managed root: `gid`, `system`, `ensure: absent`. State comes from
// the run's one read of /etc/group (Host::accounts()); changes go through groupadd, groupmod and
// groupdel with --root when the root is not "/". Members are managed from the user side
// (user `groups:`), so a user can follow its groups without a cycle.
#include "base/strings.h"
#include "resources/builtin.h"
#include "resources/shadow_tool.h"

namespace roux::resources {
namespace {

class GroupResource : public engine::Resource {
 public:
  explicit GroupResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "group"; }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_ASSIGN_OR_RETURN(auto db, ctx.host().accounts());
    ROUX_TRY(db->check_readable({"/etc/group"}));
    const host::GroupEntry* live = db->group(name());
    if (absent) {
      if (!live) return Status::ok();
      return ctx.change({"ensure", "present", "absent", "", true}, [&](host::Host& h) {
        return run_shadow_tool(h, shadow_tool(h, "groupdel", {name()}));
      });
    }
    if (!live) return converge_create(ctx, *db);
    if (gid && live->gid != *gid) {
      if (const auto* other = db->group_by_gid(*gid))
        return Status::conflict("gid: " + std::to_string(*gid) + " is already used by group \"" + other->name + "\"");
      ROUX_TRY(ctx.change({"gid", std::to_string(live->gid), std::to_string(*gid), "", true}, [&](host::Host& h) {
        return run_shadow_tool(h, shadow_tool(h, "groupmod", {"-g", std::to_string(*gid), name()}));
      }));
    }
    return Status::ok();
  }

  bool absent = false;
  bool system = false;
  std::optional<gid_t> gid;

 private:
  Status converge_create(engine::ConvergeContext& ctx, const host::AccountDb& db) {
    if (gid) {
      if (const auto* other = db.group_by_gid(*gid))
        return Status::conflict("gid: " + std::to_string(*gid) + " is already used by group \"" + other->name + "\"");
    }
    std::string after = "present";
    if (gid) after += " (gid " + std::to_string(*gid) + ")";
    else if (system) after += " (system)";
    ROUX_TRY(ctx.change({"ensure", "absent", after, "", true}, [&](host::Host& h) {
      std::vector<std::string> args;
      if (gid) args.insert(args.end(), {"-g", std::to_string(*gid)});
      if (system) args.push_back("--system");
      args.push_back(name());
      return run_shadow_tool(h, shadow_tool(h, "groupadd", std::move(args)));
    }));
    return Status::ok();
  }
};

}  // namespace

engine::ResourceType group_type() {
  return {"group", "a local group: gid, system, ensure absent (groupadd/groupmod/groupdel)",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (!is_valid_account_name(name)) {
              props.error("invalid group name \"" + one_line(name) +
                          "\": use lower-case letters, digits, _ and -, starting with a letter or _, "
                          "at most 32 characters");
              // Keep reading: the other properties' errors are reported too.
            }
            auto r = std::make_unique<GroupResource>(name);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            r->system = props.boolean("system").value_or(false);
            if (auto g = props.integer("gid", 0, 4294967294LL)) r->gid = static_cast<gid_t>(*g);
            return r;
          }};
}

}  // namespace roux::resources
