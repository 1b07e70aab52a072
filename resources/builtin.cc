#include "resources/builtin.h"

namespace roux::resources {

void register_builtin_resources(engine::Registry& registry) {
  registry.add(file_type());
  registry.add(template_type());
  registry.add(directory_type());
  registry.add(link_type());
  registry.add(exec_type());
  registry.add(package_type());
  registry.add(service_type());
  registry.add(user_type());
  registry.add(group_type());
  registry.add(cron_type());
  registry.add(apt_repository_type());
  registry.add(line_type());
  registry.add(ini_type());
  registry.add(remote_file_type());
  registry.add(sysctl_type());
  registry.add(archive_type());
  registry.add(systemd_unit_type());
  registry.add(git_type());
  registry.add(hostname_type());
  registry.add(timezone_type());
  registry.add(locale_type());
  registry.add(ssh_authorized_key_type());
  registry.add(mount_type());
  registry.add(kernel_module_type());
  registry.add(swap_file_type());
  registry.add(reboot_type());
  registry.add_composite(monitoring_agent_type());
}

}  // namespace roux::resources
