// exec: runs a command when the host needs it: unless `creates` exists, guarded by the engine's
// only_if/not_if, or only when notified (`refresh_only`). In plan it never runs: it is reported
// as "would run". Output is kept in the report (truncated; suppressed when sensitive).
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "base/strings.h"
#include "resources/builtin.h"

namespace roux::resources {
namespace {

constexpr size_t kMaxOutput = 16 * 1024;

/// The folder to run in: `cwd` inside `root`. Under --root a symlink in the tree could lead out of
/// it, so the resolved folder must still lie inside the resolved root.
Result<std::string> cwd_inside_root(const std::string& root, const std::string& cwd) {
  if (root == "/") return cwd;
  std::error_code ec;
  auto real_root = std::filesystem::canonical(root, ec);
  if (ec) return Status::io("resolve " + root, ec.value());
  auto real = std::filesystem::canonical(root + cwd, ec);
  if (ec) return Status::io("cwd " + cwd, ec.value());
  auto rel = real.lexically_relative(real_root);
  if (rel.empty() || *rel.begin() == "..")
    return Status::invalid_input("cwd " + cwd + " resolves to " + real.string() + ", outside the root " + root);
  return real.string();
}

class ExecResource : public engine::Resource {
 public:
  explicit ExecResource(std::string name) : Resource(std::move(name)) {}
  std::string_view type() const override { return "exec"; }

  std::vector<std::string> implicit_deps() const override {
    std::vector<std::string> out;
    if (user) out.push_back("user[" + *user + "]");
    if (cwd) out.push_back("directory[" + *cwd + "]");
    return out;
  }

  Status converge(engine::ConvergeContext& ctx) override {
    if (refresh_only) return Status::ok();
    if (creates) {
      ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, ctx.host().lstat(*creates));
      if (fi.exists()) return Status::ok();
    }
    return run(ctx, "");
  }

  std::map<std::string, std::string> guard_environment() const override { return environment; }

  /// Runs alone (it may touch anything) unless the recipe says `parallel: true`: it then reads
  /// only `creates` and `cwd` as far as the scheduler knows.
  std::optional<Keys> concurrency_keys() const override {
    if (!parallel) return std::nullopt;
    Keys k;
    if (creates) k.reads.push_back(*creates);
    if (cwd) k.reads.push_back(*cwd);
    return k;
  }

  Status refresh(engine::ConvergeContext& ctx, std::string_view) override {
    return run(ctx, " (notified by " + join(ctx.notified_by(), ", ") + ")");
  }

  std::string command;
  std::optional<std::string> creates, cwd, user;
  std::map<std::string, std::string> environment;
  int timeout_s = 0;
  std::vector<int> returns{0};
  bool refresh_only = false;
  bool parallel = false;  // parallel: true (see concurrency_keys)

 private:
  Status run(engine::ConvergeContext& ctx, const std::string& why) {
    std::string shown = ctx.is_sensitive() ? "(sensitive)" : one_line(command, 120);
    return ctx.change({"run", "", shown + why, "", true}, [&](host::Host& h) -> Status {
      SubprocessOptions o = shell(command);
      o.env = environment;
      if (cwd) {
        // Observed through the host, so a plan sees a folder made earlier in the same run.
        ROUX_ASSIGN_OR_RETURN(host::FileInfo d, h.lstat(*cwd));
        if (d.type != host::FileType::kDirectory && d.type != host::FileType::kSymlink)
          return Status::not_found("cwd: no folder " + *cwd);
        auto real_cwd = cwd_inside_root(h.root(), *cwd);
        // A folder leading outside the root is refused. One that cannot be resolved exists only
        // on the planned host (the real host's lstat above found it), which never runs the
        // command: the path is then only shown.
        if (!real_cwd.is_ok() && real_cwd.status().code() != Code::kIo) return real_cwd.status();
        o.cwd = real_cwd.is_ok() ? *real_cwd : h.root() + *cwd;
      }
      o.timeout = std::chrono::seconds(timeout_s);
      o.max_output = kMaxOutput;
      if (!ctx.is_sensitive()) o.on_output = ctx.output_stream();
      if (user) {
        ROUX_ASSIGN_OR_RETURN(auto db, h.accounts());
        const host::PasswdEntry* u = db->user(*user);
        if (!u) return Status::not_found("user: no such user \"" + *user + "\"");
        o.uid = u->uid;
        o.gid = u->gid;
        // Like login/initgroups: the user's supplementary groups too.
        for (const auto& g : db->groups)
          if (g.gid != u->gid && std::find(g.members.begin(), g.members.end(), u->name) != g.members.end())
            o.groups.push_back(g.gid);
        o.env["HOME"] = u->home;
        o.env["USER"] = u->name;
      }
      ROUX_ASSIGN_OR_RETURN(SubprocessResult r, h.run(o));
      ctx.add_output(r.output_bytes > r.output.size()
                         ? r.output + "\n... (" + std::to_string(r.output_bytes) + " bytes of output in total)"
                         : r.output);
      if (r.timed_out) return Status::timeout("command timed out after " + std::to_string(timeout_s) + "s");
      if (r.signal) return Status::command_failed("command killed by signal " + std::to_string(r.signal));
      if (std::find(returns.begin(), returns.end(), r.exit_code) == returns.end()) {
        std::string msg = "command exited " + std::to_string(r.exit_code);
        if (!ctx.is_sensitive() && !r.output.empty())
          msg += ": " + one_line(std::string(trim(r.output)).substr(0, 400), 400);
        return Status::command_failed(msg);
      }
      return Status::ok();
    });
  }
};

}  // namespace

engine::ResourceType exec_type() {
  return {"exec", "a command run when needed: creates, refresh_only, cwd, user, environment, timeout",
          [](const std::string& name, engine::Props& props, const engine::BuildContext&)
              -> std::unique_ptr<engine::Resource> {
            auto r = std::make_unique<ExecResource>(name);
            r->command = props.string("command").value_or(name);
            if (r->command.empty()) props.error("command", "must not be empty");
            if (auto c = props.string("creates")) {
              auto p = host::normalize_path(*c);
              if (!p.is_ok()) props.error("creates", p.status().message());
              else r->creates = *p;
            }
            r->cwd = props.string("cwd");
            r->user = props.string("user");
            r->environment = props.string_map("environment").value_or(std::map<std::string, std::string>{});
            for (const auto& [k, v] : r->environment)
              if (k.empty() || k.find('=') != std::string::npos || has_control_char(k))
                props.error("environment", "invalid variable name \"" + one_line(k) + "\"");
            r->timeout_s = static_cast<int>(props.integer("timeout", 0, 86400).value_or(0));
            r->refresh_only = props.boolean("refresh_only").value_or(false);
            r->parallel = props.boolean("parallel").value_or(false);
            if (const engine::Value* v = props.raw("returns")) {
              r->returns.clear();
              auto add = [&](const engine::Value& item) {
                char* end = nullptr;
                long n = std::strtol(item.scalar.c_str(), &end, 10);
                if (item.kind != engine::Value::Kind::kScalar || item.scalar.empty() || *end || n < 0 || n > 255 ||
                    item.scalar.find_first_not_of("0123456789") != std::string::npos)
                  props.error("returns", "expected exit codes 0-255, got \"" + one_line(item.scalar) + "\"");
                else
                  r->returns.push_back(static_cast<int>(n));
              };
              if (v->kind == engine::Value::Kind::kList) {
                for (const auto& item : v->list) add(item);
              } else {
                add(*v);
              }
            }
            if (props.saw_sensitive()) r->meta().sensitive = true;
            return r;
          }};
}

}  // namespace roux::resources
