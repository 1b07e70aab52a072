#include "resources/shadow_tool.h"

#include "base/strings.h"

namespace roux::resources {

SubprocessOptions shadow_tool(const host::Host& host, std::string tool, std::vector<std::string> args) {
  SubprocessOptions o;
  o.argv.push_back(std::move(tool));
  if (host.root() != "/") {
    o.argv.push_back("--root");
    o.argv.push_back(host.root());
  }
  for (auto& a : args) o.argv.push_back(std::move(a));
  o.timeout = std::chrono::seconds(60);
  o.max_output = 8 * 1024;
  return o;
}

Status run_shadow_tool(host::Host& host, const SubprocessOptions& opts, bool hide_output) {
  auto r = host.run(opts, [&opts](host::Host& planned) { return model_shadow_tool(planned, opts); });
  host.invalidate_accounts();
  if (!r.is_ok()) return r.status().with_context(opts.argv[0]);
  if (r->timed_out) return Status::timeout(opts.argv[0] + " timed out");
  if (r->exit_code != 0) {
    std::string msg = opts.argv[0] + " exited " +
                      (r->signal ? "on signal " + std::to_string(r->signal) : std::to_string(r->exit_code));
    if (!hide_output && !r->output.empty()) msg += ": " + one_line(trim(r->output), 400);
    return Status::command_failed(msg);
  }
  return Status::ok();
}

bool is_valid_account_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && ((c >= '0' && c <= '9') || c == '-')) ||
              (i > 0 && i + 1 == name.size() && c == '$');
    if (!ok) return false;
  }
  return true;
}

bool is_numeric_id(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::optional<uint32_t> parse_account_id(std::string_view s) {
  if (!is_numeric_id(s) || s.size() > 10) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) n = n * 10 + static_cast<uint64_t>(c - '0');
  if (n > kMaxAccountId) return std::nullopt;
  return static_cast<uint32_t>(n);
}

std::optional<std::string> check_account_ref(std::string_view s, std::string_view what) {
  if (is_numeric_id(s)) {
    if (parse_account_id(s)) return std::nullopt;
    return std::string(what) + " out of range: must be 0-" + std::to_string(kMaxAccountId) + ", got " +
           std::string(s.substr(0, 40)) + (s.size() > 40 ? "..." : "");
  }
  if (s.empty()) return "must not be empty";
  if (s[0] == '-') return "must be a name or a number, got \"" + one_line(s) + "\"";
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ':' || c == ',' || c == ' ')
      return "invalid name \"" + one_line(s) + "\": no ':', ',', blank or control character";
  return std::nullopt;
}

}  // namespace roux::resources
