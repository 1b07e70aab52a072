#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/subprocess.h"
#include "host/host.h"

namespace roux::resources {

/// Helpers shared by the user and group types to drive the shadow utilities (useradd, usermod,
/// userdel, groupadd, groupmod, groupdel, chpasswd). Stateless; thread-safe.

/// argv `{tool, "--root", ROOT, args...}`; "--root" only when the host root is not "/". The tools
/// then chroot into ROOT and edit its /etc files, so the real host is untouched.
SubprocessOptions shadow_tool(const host::Host& host, std::string tool, std::vector<std::string> args);

/// Runs `opts` through the writable host door, then forgets the cached account databases.
/// A non-zero exit becomes "TOOL exited N: OUTPUT" (the output is left out when `hide_output`,
/// for commands fed a password hash). Never puts stdin_data in any message.
Status run_shadow_tool(host::Host& host, const SubprocessOptions& opts, bool hide_output = false);

/// The tool's known effect as edits of the managed root's passwd, group and shadow files (and
/// home folders), for the planned host (see Host::Model). Fails as the tool would.
Status model_shadow_tool(host::Host& host, const SubprocessOptions& opts);

/// The home folder useradd gives `user`: `home` when given, else HOME from /etc/default/useradd
/// (default /home) + "/" + user.
std::string useradd_home(const host::Host& host, const std::string& user, const std::optional<std::string>& home);

/// What login.defs and /etc/default/useradd of the managed root tell useradd (shadow 4.13 as
/// Debian 12 ships it; its defaults when a key is missing).
struct ShadowDefs {
  uint32_t uid_min = 1000, uid_max = 60000, sys_uid_min = 100, sys_uid_max = 999;
  uint32_t gid_min = 1000, gid_max = 60000, sys_gid_min = 100, sys_gid_max = 999;
  bool usergroups = false;  // USERGROUPS_ENAB: only when login.defs says yes
  // useradd's own defaults when /etc/default/useradd says nothing (measured on Debian 12).
  std::string shell = "/bin/bash", home = "/home", skel = "/etc/skel";
  uint32_t group = 100;
  uint32_t umask = 022;
  std::optional<uint32_t> home_mode;  // HOME_MODE; else 0777 & ~UMASK
  uint32_t pass_min = 0xFFFFFFFFu, pass_max = 0xFFFFFFFFu, pass_warn = 0xFFFFFFFFu;  // unset: empty field
  uint32_t sub_uid_min = 100000, sub_uid_max = 600100000, sub_uid_count = 65536;
  uint32_t sub_gid_min = 100000, sub_gid_max = 600100000, sub_gid_count = 65536;
  bool use_tcb = false;
  std::vector<std::string> unknown_keys;   // login.defs keys not read here
  std::vector<std::string> default_lines;  // /etc/default/useradd lines other than SHELL, HOME, GROUP, SKEL
};
ShadowDefs read_shadow_defs(const host::Host& host);

/// useradd's and groupadd's choice of a new id (shadow's find_new_uid/gid): a system account
/// takes the highest free id at or below SYS_*_MAX; a normal one the id after the highest used in
/// [*_MIN, *_MAX] (or the first free one when that is full). `preferred` wins when free and in range.
std::optional<uint32_t> new_account_id(const std::set<uint32_t>& used, bool system, uint32_t lo, uint32_t hi,
                                       uint32_t sys_lo, uint32_t sys_hi, std::optional<uint32_t> preferred);

/// True for a name useradd/groupadd accept without --badname: [a-z_][a-z0-9_-]*[$]?, at most 32.
bool is_valid_account_name(std::string_view name);

/// The largest uid/gid a recipe may name: 4294967295 is (uid_t)-1, which chown reads as "leave
/// unchanged", so it is refused like anything past 32 bits (it would wrap: 4294967296 -> 0, root).
inline constexpr uint32_t kMaxAccountId = 4294967294u;

/// A uid or gid written as decimal digits, checked: nullopt unless `s` is only digits and at most
/// kMaxAccountId.
std::optional<uint32_t> parse_account_id(std::string_view s);

/// Checks an `owner`/`group` property: either digits (a checked id) or the name of an existing
/// account (not empty, no ':', ',', blank or control character, not starting with '-'). Returns
/// why it is refused, or nullopt. `what` is "uid" or "gid".
std::optional<std::string> check_account_ref(std::string_view s, std::string_view what);

/// True when `s` is only decimal digits (an id rather than a name).
bool is_numeric_id(std::string_view s);

}  // namespace roux::resources
