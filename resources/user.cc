// user: a local account of the managed root: uid, primary group, supplementary groups (exact, or
// `append: true`), home (created with `manage_home`), shell, comment, `system`, a password hash,
// `ensure: absent` (with `remove_home`). State comes from the run's one read of passwd, group and
// shadow (Host::accounts()); changes go through useradd/usermod/userdel, with --root when the
// root is not "/". The password hash is never shown: its change reads "(sensitive)", it is fed to
// `chpasswd -e` on stdin (never on a command line), and chpasswd's output is never reported.
#include <algorithm>
#include <set>

#include "base/strings.h"
#include "resources/account_batch.h"
#include "resources/builtin.h"
#include "resources/shadow_tool.h"

namespace roux::resources {
namespace {

constexpr const char* kHidden = "(sensitive)";

bool is_numeric(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::string group_label(const host::AccountDb& db, gid_t gid) {
  const auto* g = db.group_by_gid(gid);
  return g ? g->name : std::to_string(gid);
}

class UserResource : public engine::Resource {
 public:
  explicit UserResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "user"; }

  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out;
    if (absent) return out;  // removing a user needs none of its groups first
    if (group && !is_numeric(*group)) out.push_back("group[" + *group + "]");
    for (const auto& g : groups) out.push_back("group[" + g + "]");
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    ROUX_ASSIGN_OR_RETURN(auto db, ctx.host().accounts());
    ROUX_TRY(db->check_readable({"/etc/passwd", "/etc/shadow", "/etc/group"}));
    const host::PasswdEntry* live = db->user(name());
    if (absent) return converge_absent(ctx, live);
    ROUX_TRY(check_groups_exist(*db));
    if (uid) {
      const auto* other = db->user_by_uid(*uid);
      if (other && other->name != name())
        return Status::conflict("uid: " + std::to_string(*uid) + " is already used by user \"" + other->name + "\"");
    }
    if (!live) return converge_create(ctx, *db);
    // Copy what we compare: each usermod below invalidates the cached database.
    host::PasswdEntry u = *live;
    ROUX_TRY(converge_uid(ctx, u));
    ROUX_TRY(converge_group(ctx, *db, u));
    ROUX_TRY(converge_groups(ctx, *db));
    ROUX_TRY(converge_comment(ctx, u));
    ROUX_TRY(converge_home(ctx, u));
    ROUX_TRY(converge_shell(ctx, u));
    return converge_password(ctx, *db);
  }

  /// Users to create that are ready together are made in one locked pass (account_batch.h)
  /// instead of one useradd each; every other member converges on its own, in order.
  std::string batch_key() const override { return absent ? "" : "user:create"; }
  std::vector<Status> converge_batch(const std::vector<engine::Resource*>& members,
                                     const std::vector<engine::ConvergeContext*>& ctxs) override;

  bool absent = false;
  bool system = false;
  bool append = false;
  bool manage_home = false;
  bool remove_home = false;
  std::optional<uid_t> uid;
  std::optional<std::string> group, home, shell, comment, password;
  std::vector<std::string> groups;  // sorted, unique

 private:
  Status usermod(host::Host& h, std::vector<std::string> args) {
    args.push_back(name());
    return run_shadow_tool(h, shadow_tool(h, "usermod", std::move(args)));
  }

  Status check_groups_exist(const host::AccountDb& db) {
    auto known = [&](const std::string& g) {
      return db.group(g) != nullptr;
    };
    if (group && !is_numeric(*group) && !known(*group))
      return Status::not_found("group: no such group \"" + *group + "\"");
    for (const auto& g : groups)
      if (!known(g)) return Status::not_found("groups: no such group \"" + g + "\"");
    return Status::ok();
  }

  /// The "after" of a creation: "present (uid 1001, home created, ...)".
  std::string create_after(const host::Host& host) const {
    std::vector<std::string> shown;
    if (uid) shown.push_back("uid " + std::to_string(*uid));
    if (group) shown.push_back("group " + *group);
    if (!groups.empty()) shown.push_back("groups " + join(groups, ","));
    if (home) shown.push_back("home " + *home);
    if (manage_home) {
      // useradd -m leaves an existing folder as it is (owner included): say which it will be.
      auto fi = host.lstat(useradd_home(host, name(), home));
      shown.push_back(fi.is_ok() && fi->exists() ? "home kept as it is" : "home created");
    }
    if (shell) shown.push_back("shell " + *shell);
    if (comment) shown.push_back("comment \"" + *comment + "\"");
    if (system) shown.push_back("system");
    return shown.empty() ? "present" : "present (" + join(shown, ", ") + ")";
  }

  Status converge_create(engine::ConvergeContext& ctx, const host::AccountDb& db) {
    // A password needs /etc/shadow: without it (a bare image) chpasswd writes the hash into
    // /etc/passwd, which roux can neither read back nor plan. Refused before anything is made,
    // the same in plan and converge.
    if (password && !db.shadow_readable)
      return Status::io_msg("password: cannot read /etc/shadow of the managed root (roux must run as root, and the root "
                            "needs an /etc/shadow)");
    std::vector<std::string> args;
    if (uid) args.insert(args.end(), {"-u", std::to_string(*uid)});
    if (group) args.insert(args.end(), {"-g", *group});
    if (!groups.empty()) args.insert(args.end(), {"-G", join(groups, ",")});
    if (home) args.insert(args.end(), {"-d", *home});
    args.push_back(manage_home ? "-m" : "-M");
    if (shell) args.insert(args.end(), {"-s", *shell});
    if (comment) args.insert(args.end(), {"-c", *comment});
    if (system) args.push_back("--system");
    args.push_back(name());
    ROUX_TRY(ctx.change({"ensure", "absent", create_after(ctx.host()), "", true}, [&](host::Host& h) {
      return run_shadow_tool(h, shadow_tool(h, "useradd", args));
    }));
    if (password)
      ROUX_TRY(ctx.change({"password", "", kHidden, "", true}, [&](host::Host& h) { return set_password(h); }));
    return Status::ok();
  }

 public:
  NewUser as_new_user() const {
    NewUser n;
    n.name = name();
    n.uid = uid;
    n.group = group;
    n.groups = groups;
    n.home = home;
    n.shell = shell;
    n.comment = comment;
    n.manage_home = manage_home;
    n.system = system;
    return n;
  }
  /// True when converge() would create this user now: it is wanted and does not exist, and its
  /// groups and uid pass converge()'s checks (a member that fails them converges alone and says why).
  bool creates(const host::AccountDb& db) {
    if (absent || db.user(name())) return false;
    if (!check_groups_exist(db).is_ok()) return false;
    if (uid) {
      const auto* other = db.user_by_uid(*uid);
      if (other && other->name != name()) return false;
    }
    return true;
  }

 private:
  Status converge_absent(engine::ConvergeContext& ctx, const host::PasswdEntry* live) {
    if (!live) return Status::ok();
    std::string after = remove_home ? "absent (home " + live->home + " removed)" : "absent";
    return ctx.change({"ensure", "present", after, "", true}, [&](host::Host& h) {
      std::vector<std::string> args;
      if (remove_home) args.push_back("-r");
      args.push_back(name());
      return run_shadow_tool(h, shadow_tool(h, "userdel", std::move(args)));
    });
  }

  Status converge_uid(engine::ConvergeContext& ctx, const host::PasswdEntry& u) {
    if (!uid || u.uid == *uid) return Status::ok();
    return ctx.change({"uid", std::to_string(u.uid), std::to_string(*uid), "", true},
                      [&](host::Host& h) { return usermod(h, {"-u", std::to_string(*uid)}); });
  }

  Status converge_group(engine::ConvergeContext& ctx, const host::AccountDb& db, const host::PasswdEntry& u) {
    if (!group) return Status::ok();
    std::optional<gid_t> want;
    if (is_numeric(*group)) want = parse_account_id(*group);
    else if (const auto* g = db.group(*group)) want = g->gid;
    if (want && *want == u.gid) return Status::ok();
    return ctx.change({"group", group_label(db, u.gid), *group, "", true},
                      [&](host::Host& h) { return usermod(h, {"-g", *group}); });
  }

  Status converge_groups(engine::ConvergeContext& ctx, const host::AccountDb& db) {
    if (groups.empty() && append) return Status::ok();
    if (groups.empty() && !explicit_groups) return Status::ok();
    std::vector<std::string> current;
    for (const auto& g : db.groups)
      if (std::find(g.members.begin(), g.members.end(), name()) != g.members.end()) current.push_back(g.name);
    std::sort(current.begin(), current.end());
    current.erase(std::unique(current.begin(), current.end()), current.end());
    std::vector<std::string> missing;
    std::set_difference(groups.begin(), groups.end(), current.begin(), current.end(), std::back_inserter(missing));
    if (append) {
      if (missing.empty()) return Status::ok();
      std::vector<std::string> after = current;
      after.insert(after.end(), missing.begin(), missing.end());
      std::sort(after.begin(), after.end());
      return ctx.change({"groups", join(current, ","), join(after, ","), "", true},
                        [&](host::Host& h) { return usermod(h, {"-a", "-G", join(missing, ",")}); });
    }
    if (current == groups) return Status::ok();
    return ctx.change({"groups", join(current, ","), join(groups, ","), "", true},
                      [&](host::Host& h) { return usermod(h, {"-G", join(groups, ",")}); });
  }

  Status converge_comment(engine::ConvergeContext& ctx, const host::PasswdEntry& u) {
    if (!comment || u.gecos == *comment) return Status::ok();
    return ctx.change({"comment", u.gecos, *comment, "", true},
                      [&](host::Host& h) { return usermod(h, {"-c", *comment}); });
  }

  Status converge_home(engine::ConvergeContext& ctx, const host::PasswdEntry& u) {
    std::string want = home.value_or(u.home);
    bool moved = false;
    if (home && u.home != *home) {
      bool move = false;
      if (manage_home) {
        ROUX_ASSIGN_OR_RETURN(host::FileInfo old_dir, ctx.host().lstat(u.home));
        move = old_dir.type == host::FileType::kDirectory;
      }
      moved = move;
      if (move) {
        // usermod -m changes /etc/passwd, then moves the folder: check what the move needs
        // first, so a failure leaves the account as it was (and plan fails where converge would).
        std::string parent = host::parent_path(*home);
        ROUX_ASSIGN_OR_RETURN(host::FileInfo p, ctx.host().lstat(parent));
        if (p.type != host::FileType::kDirectory)
          return Status::not_found("home: cannot move " + u.home + " to " + *home + ": " + parent +
                                   " is not a folder (declare it with a directory resource)");
        ROUX_ASSIGN_OR_RETURN(host::FileInfo dest, ctx.host().lstat(*home));
        if (dest.exists())
          return Status::conflict("home: cannot move " + u.home + " to " + *home + ": " + *home + " already exists");
      }
      ROUX_TRY(ctx.change({"home", u.home, *home + (move ? " (moved)" : ""), "", true}, [&](host::Host& h) {
        std::vector<std::string> args{"-d", *home};
        if (move) args.push_back("-m");
        return usermod(h, std::move(args));
      }));
    }
    if (!manage_home || moved) return Status::ok();
    ROUX_ASSIGN_OR_RETURN(host::FileInfo dir, ctx.host().lstat(want));
    if (dir.exists()) return Status::ok();
    uid_t owner = uid.value_or(u.uid);
    gid_t gid = u.gid;
    return ctx.change({"home_directory", "absent", want, "", true}, [&](host::Host& h) -> Status {
      // Like useradd -m on Debian (HOME_MODE unset, UMASK 022): 0755, owned by the user, with
      // the primary group the account has now.
      ROUX_ASSIGN_OR_RETURN(auto db, h.accounts());
      gid_t g = gid;
      if (const auto* now = db->user(name())) g = now->gid;
      ROUX_TRY(host::make_dirs(h, host::parent_path(want), 0755));
      ROUX_TRY(h.mkdir(want, 0755));
      return h.chown(want, owner, g);
    });
  }

  Status converge_shell(engine::ConvergeContext& ctx, const host::PasswdEntry& u) {
    if (!shell || u.shell == *shell) return Status::ok();
    return ctx.change({"shell", u.shell, *shell, "", true},
                      [&](host::Host& h) { return usermod(h, {"-s", *shell}); });
  }

  Status converge_password(engine::ConvergeContext& ctx, const host::AccountDb& db) {
    if (!password) return Status::ok();
    if (!db.shadow_readable)
      return Status::io_msg("password: cannot read /etc/shadow of the managed root (roux must run as root)");
    const host::ShadowEntry* e = db.shadow_entry(name());
    if (e && e->password == *password) return Status::ok();
    return ctx.change({"password", kHidden, std::string(kHidden) + " (new hash)", "", true},
                      [&](host::Host& h) { return set_password(h); });
  }

  /// `chpasswd -e` with "name:hash" on stdin: the hash never appears in argv (visible to every
  /// local user through /proc) nor in any message.
  Status set_password(host::Host& h) {
    SubprocessOptions o = shadow_tool(h, "chpasswd", {"-e"});
    o.stdin_data = name() + ":" + *password + "\n";
    return run_shadow_tool(h, o, /*hide_output=*/true);
  }

 public:
  bool explicit_groups = false;  // `groups:` written, even empty (exact: remove from all)
};

std::vector<Status> UserResource::converge_batch(const std::vector<engine::Resource*>& members,
                                                 const std::vector<engine::ConvergeContext*>& ctxs) {
  std::vector<Status> out(members.size());
  const host::Host& host = ctxs.front()->host();
  const bool one_pass = !account_batch_unsupported(host);
  size_t i = 0;
  while (i < members.size()) {
    auto* first = static_cast<UserResource*>(members[i]);
    auto db = host.accounts();
    if (!one_pass || !db.is_ok() || !(*db)->check_readable({"/etc/passwd", "/etc/shadow", "/etc/group"}).is_ok() ||
        !first->creates(**db)) {
      out[i] = first->converge(*ctxs[i]);
      ++i;
      continue;
    }
    // The run of members from i that each create a user: one pass, the lock held throughout.
    // Each member's changes pass its context (and a saved plan's gate) one by one; a change's
    // act stages the user (checked as useradd would, against the files and the users before
    // it); the pass is written once all are staged. Same code in plan and apply.
    size_t end = i;
    while (end < members.size() && static_cast<UserResource*>(members[end])->creates(**db)) ++end;
    std::unique_ptr<AccountPass> p;
    Status open_failed;  // the lock not taken (another holder past the wait): the rest fail alike, at once
    std::vector<size_t> staged;
    for (size_t k = i; k < end; ++k) {
      auto* u = static_cast<UserResource*>(members[k]);
      engine::ConvergeContext& c = *ctxs[k];
      Status st = c.change({"ensure", "absent", u->create_after(host), "", true}, [&](host::Host& h) -> Status {
        if (!open_failed.is_ok()) return open_failed;
        if (!p) {
          auto opened = AccountPass::open(h);
          if (!opened.is_ok()) return open_failed = opened.status();
          p = std::move(*opened);
        }
        return p->stage(u->as_new_user());
      });
      if (st.is_ok() && u->password)
        st = c.change({"password", "", kHidden, "", true},
                      [&](host::Host&) { return p->stage_password(u->name(), *u->password); });
      if (st.is_ok() || c.changes().size() > 0) staged.push_back(k);
      out[k] = st;
    }
    Status committed = p ? p->commit() : Status::ok();
    p.reset();
    if (!committed.is_ok()) {
      // Nothing of the pass is known to be made: no change is reported, every member fails.
      for (size_t k : staged) {
        (void)ctxs[k]->take_changes();
        out[k] = committed;
      }
    }
    i = end;
  }
  return out;
}

/// A password must be a crypt(3) hash or a lock marker, never clear text. The message never
/// quotes the value.
std::optional<std::string> check_password(const std::string& p) {
  if (p.find_first_of(":\n\r") != std::string::npos) return "must not contain ':' or a line break";
  if (p.empty() || p == "*" || p[0] == '!' || p[0] == '$') return std::nullopt;
  return "must be a crypt hash (\"$y$...\", \"$6$...\", from `mkpasswd -m yescrypt`) or a lock "
         "marker (\"!\", \"*\"), never a clear-text password";
}

}  // namespace

engine::ResourceType user_type() {
  return {"user", "a local account: uid, group, groups, home, shell, comment, system, password hash",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            if (!is_valid_account_name(name)) {
              props.error("invalid user name \"" + one_line(name) +
                          "\": use lower-case letters, digits, _ and -, starting with a letter or _, "
                          "at most 32 characters");
              // Keep reading: the other properties' errors are reported too.
            }
            auto r = std::make_unique<UserResource>(name);
            r->absent = props.one_of("ensure", {"present", "absent"}).value_or("present") == "absent";
            if (auto u = props.integer("uid", 0, 4294967294LL)) r->uid = static_cast<uid_t>(*u);
            r->group = props.string("group");
            if (r->group && is_numeric(*r->group) && !parse_account_id(*r->group))
              props.error("group", *check_account_ref(*r->group, "gid"));
            else if (r->group && !is_numeric(*r->group) && !is_valid_account_name(*r->group))
              props.error("group", "invalid group name \"" + one_line(*r->group) + "\"");
            if (props.has("groups")) {
              r->explicit_groups = true;
              for (const auto& g : props.string_list("groups").value_or(std::vector<std::string>{})) {
                if (!is_valid_account_name(g)) props.error("groups", "invalid group name \"" + one_line(g) + "\"");
                else r->groups.push_back(g);
              }
              std::sort(r->groups.begin(), r->groups.end());
              r->groups.erase(std::unique(r->groups.begin(), r->groups.end()), r->groups.end());
            }
            r->append = props.boolean("append").value_or(false);
            if (auto h = props.string("home")) {
              // passwd fields are ':'-separated lines: a ':' would shift every later field.
              auto p = host::normalize_path(*h);
              if (!p.is_ok() || *p == "/") props.error("home", p.is_ok() ? "must not be /" : p.status().message());
              else if (p->find(':') != std::string::npos) props.error("home", "must not contain ':'");
              else r->home = *p;
            }
            r->manage_home = props.boolean("manage_home").value_or(false);
            r->remove_home = props.boolean("remove_home").value_or(false);
            r->shell = props.string("shell");
            if (r->shell && (r->shell->empty() || (*r->shell)[0] != '/'))
              props.error("shell", "must be an absolute path, got \"" + one_line(*r->shell) + "\"");
            else if (r->shell && host::normalize_path(*r->shell).is_ok() == false)
              props.error("shell", host::normalize_path(*r->shell).status().message());
            else if (r->shell && r->shell->find(':') != std::string::npos)
              props.error("shell", "must not contain ':'");
            r->comment = props.string("comment");
            if (r->comment && (r->comment->find(':') != std::string::npos || has_control_char(*r->comment)))
              props.error("comment", "must not contain ':', a line break or another control character");
            r->system = props.boolean("system").value_or(false);
            r->password = props.string("password");
            if (r->password) {
              if (auto why = check_password(*r->password)) props.error("password", *why);
            }
            if (r->remove_home && !r->absent) props.error("remove_home", "only applies with ensure: absent");
            if (r->append && !r->explicit_groups) props.error("append", "needs groups: to append");
            return r;
          }};
}

}  // namespace roux::resources
