#pragma once
// hostname (hostname.cc): pure helpers, exposed for unit tests.
#include <string>
#include <string_view>

namespace roux::resources {

/// RFC 1123 labels (letters, digits, "-" not first or last, 1-63 bytes) joined by dots, at most
/// 64 bytes in all (the kernel's limit).
bool is_valid_hostname(std::string_view name);
/// /etc/hosts with its 127.0.1.1 line saying `name` ("127.0.1.1<TAB>web1.example.com web1"; the
/// short name only when `name` has a dot): the first such line is replaced, later ones dropped;
/// when there is none it is added after the 127.0.0.1 lines. Every other line is kept.
std::string hosts_with_hostname(std::string_view hosts, std::string_view name);

}  // namespace roux::resources
