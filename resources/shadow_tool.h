#pragma once
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

/// True for a name useradd/groupadd accept without --badname: [a-z_][a-z0-9_-]*[$]?, at most 32.
bool is_valid_account_name(std::string_view name);

}  // namespace roux::resources
