#pragma once
#include <cstdint>
#include <optional>
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
