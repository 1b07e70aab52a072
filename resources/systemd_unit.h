#pragma once
// systemd_unit (systemd_unit.cc): pure helpers, exposed for unit tests.
#include <string>
#include <string_view>

namespace roux::resources {

/// What a systemd_unit name names: a unit file ("nginx.service", "backup@.service",
/// "fstrim.timer") or a drop-in of one ("nginx.service.d/10-limits.conf": unit "nginx.service").
/// `error` is set when the name is neither.
struct SystemdUnitName {
  std::string unit;     // the unit the file defines or changes
  bool dropin = false;
  bool is_template = false;  // "name@.service": instances only run
  std::string error;
};
SystemdUnitName parse_systemd_unit_name(std::string_view name);

/// A light check of unit-file syntax, as systemd reads it: every line is blank, a comment ("#",
/// ";"), a "[Section]" header or "Key=value" below a header ("\" at the end continues a line).
/// Returns "" when the text passes, else "line N: what is wrong".
std::string systemd_unit_syntax_error(std::string_view text);
/// Whether the text has an [Install] section (without one a unit is static: systemctl can neither
/// enable nor disable it).
bool systemd_unit_has_install(std::string_view text);

}  // namespace roux::resources
