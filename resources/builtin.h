#pragma once
#include "engine/registry.h"

namespace roux::resources {

/// Adds every built-in resource type to `registry`. The explicit list lives in builtin.cc: a
/// static registration object in a static library would be dropped by the linker.
void register_builtin_resources(engine::Registry& registry);

// One function per type, each defined in the type's own file.
engine::ResourceType file_type();
engine::ResourceType template_type();
engine::ResourceType directory_type();
engine::ResourceType link_type();
engine::ResourceType exec_type();
engine::ResourceType package_type();
engine::ResourceType service_type();
engine::ResourceType user_type();
engine::ResourceType group_type();
engine::ResourceType cron_type();
engine::ResourceType apt_repository_type();
engine::ResourceType line_type();
engine::ResourceType ini_type();
engine::ResourceType remote_file_type();
engine::ResourceType sysctl_type();
engine::ResourceType archive_type();
engine::ResourceType systemd_unit_type();
engine::ResourceType git_type();
engine::ResourceType hostname_type();
engine::ResourceType timezone_type();
engine::ResourceType locale_type();
engine::ResourceType ssh_authorized_key_type();
engine::ResourceType mount_type();
engine::ResourceType kernel_module_type();
engine::ResourceType swap_file_type();
engine::ResourceType reboot_type();
/// Composite: expands into package + config files + service (resources/monitoring_agent.cc).
engine::CompositeType monitoring_agent_type();

}  // namespace roux::resources
