#include "resources/ownership.h"

#include <cstdlib>

#include "base/strings.h"
#include "resources/shadow_tool.h"

namespace roux::resources {
namespace {

bool is_numeric(const std::string& s) { return is_numeric_id(s); }

std::string user_label(const host::AccountDb& db, uid_t uid) {
  const auto* u = db.user_by_uid(uid);
  return u ? u->name : std::to_string(uid);
}
std::string group_label(const host::AccountDb& db, gid_t gid) {
  const auto* g = db.group_by_gid(gid);
  return g ? g->name : std::to_string(gid);
}

}  // namespace

void Ownership::read(engine::Props& props) {
  mode = props.mode("mode");
  owner = props.string("owner");
  group = props.string("group");
  // Ids are checked here, at compile time: a number past 32 bits used to wrap (4294967296 -> 0).
  if (owner)
    if (auto why = check_account_ref(*owner, "uid")) props.error("owner", *why);
  if (group)
    if (auto why = check_account_ref(*group, "gid")) props.error("group", *why);
}

void Ownership::add_implicit_deps(std::vector<std::string>& out) const {
  if (owner && !is_numeric(*owner)) out.push_back("user[" + *owner + "]");
  if (group && !is_numeric(*group)) out.push_back("group[" + *group + "]");
}

Result<std::optional<uid_t>> Ownership::resolve_uid(engine::ConvergeContext& ctx) const {
  if (!owner) return std::optional<uid_t>();
  if (is_numeric(*owner)) {
    auto id = parse_account_id(*owner);
    if (!id) return Status::invalid_input("owner: uid out of range: " + *owner);
    return std::optional<uid_t>(*id);
  }
  ROUX_ASSIGN_OR_RETURN(auto db, ctx.host().accounts());
  if (const auto* u = db->user(*owner)) return std::optional<uid_t>(u->uid);
  return Status::not_found("owner: no such user \"" + *owner + "\"");
}

Result<std::optional<gid_t>> Ownership::resolve_gid(engine::ConvergeContext& ctx) const {
  if (!group) return std::optional<gid_t>();
  if (is_numeric(*group)) {
    auto id = parse_account_id(*group);
    if (!id) return Status::invalid_input("group: gid out of range: " + *group);
    return std::optional<gid_t>(*id);
  }
  ROUX_ASSIGN_OR_RETURN(auto db, ctx.host().accounts());
  if (const auto* g = db->group(*group)) return std::optional<gid_t>(g->gid);
  return Status::not_found("group: no such group \"" + *group + "\"");
}

Status Ownership::converge(engine::ConvergeContext& ctx, const std::string& path, const host::FileInfo& live) const {
  ROUX_ASSIGN_OR_RETURN(std::optional<uid_t> uid, resolve_uid(ctx));
  ROUX_ASSIGN_OR_RETURN(std::optional<gid_t> gid, resolve_gid(ctx));
  std::shared_ptr<const host::AccountDb> db;
  if ((owner && (!uid || *uid != live.uid)) || (group && (!gid || *gid != live.gid))) {
    ROUX_ASSIGN_OR_RETURN(db, ctx.host().accounts());
  }
  if (owner && (!uid || *uid != live.uid)) {
    ROUX_TRY(ctx.change({"owner", user_label(*db, live.uid), *owner, "", true},
                        [&](host::Host& h) { return h.chown(path, uid, std::nullopt); }));
  }
  if (group && (!gid || *gid != live.gid)) {
    ROUX_TRY(ctx.change({"group", group_label(*db, live.gid), *group, "", true},
                        [&](host::Host& h) { return h.chown(path, std::nullopt, gid); }));
  }
  // Mode last: chown of a file clears its setuid bit (and setgid when group-executable), so a
  // mode set before it would not stay. `live_mode` is the mode as the chown leaves it.
  uint32_t live_mode = live.mode & 07777;
  bool owner_changes = (owner && (!uid || *uid != live.uid)) || (group && (!gid || *gid != live.gid));
  if (owner_changes && live.type == host::FileType::kFile) {
    live_mode &= ~04000u;
    if (live_mode & 00010) live_mode &= ~02000u;
  }
  if (mode && live_mode != *mode) {
    uint32_t m = *mode;
    std::string before = live_mode == (live.mode & 07777) ? format_mode(live.mode)
                                                          : format_mode(live_mode) + " (after the owner change)";
    ROUX_TRY(ctx.change({"mode", before, format_mode(m), "", true},
                        [&](host::Host& h) { return h.chmod(path, m); }));
  }
  return Status::ok();
}

void Ownership::record_creation(engine::ConvergeContext& ctx, uint32_t default_mode) const {
  auto none = [](host::Host&) { return Status::ok(); };
  (void)ctx.change({"mode", "", format_mode(mode.value_or(default_mode)), "", true}, none);
  if (owner) (void)ctx.change({"owner", "", *owner, "", true}, none);
  if (group) (void)ctx.change({"group", "", *group, "", true}, none);
}

}  // namespace roux::resources
