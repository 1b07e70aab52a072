// Facts: os (os-release), kernel and arch (uname), hostname and fqdn (/etc/hosts, no DNS).
#include <sys/utsname.h>

#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "facts/facts.h"

namespace roux::facts {
namespace {

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return std::string(v);
}

void read_os_release(Facts& f) {
  std::ifstream in("/etc/os-release");
  if (!in) in.open("/usr/lib/os-release");
  std::string line;
  std::string id_like;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos || line[0] == '#') continue;
    std::string key = line.substr(0, eq), val = unquote(line.substr(eq + 1));
    if (key == "ID") f.os.id = val;
    else if (key == "NAME") f.os.name = val;
    else if (key == "VERSION") f.os.version = val;
    else if (key == "VERSION_ID") f.os.version_id = val;
    else if (key == "VERSION_CODENAME") f.os.codename = val;
    else if (key == "ID_LIKE") id_like = val;
  }
  // family: the first of ID_LIKE, or ID ("debian" for Debian and Ubuntu).
  f.os.family = id_like.empty() ? f.os.id : split(id_like, ' ')[0];
}

/// The fqdn from /etc/hosts (a line naming the hostname); no DNS query, which could hang.
std::string fqdn_from_hosts(const std::string& hostname) {
  std::ifstream in("/etc/hosts");
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string addr, name;
    words >> addr;
    std::vector<std::string> names;
    while (words >> name) names.push_back(name);
    for (const auto& n : names) {
      if (n == hostname || starts_with(n, hostname + ".")) {
        for (const auto& cand : names)
          if (starts_with(cand, hostname + ".")) return cand;
      }
    }
  }
  return hostname;
}

}  // namespace

void gather_os(Facts& f) {
  utsname u{};
  if (uname(&u) == 0) {
    f.hostname = u.nodename;
    f.arch = u.machine;
    f.kernel.name = u.sysname;
    f.kernel.release = u.release;
    f.kernel.version = u.version;
  }
  auto dot = f.hostname.find('.');
  if (dot != std::string::npos) {
    f.fqdn = f.hostname;
    f.hostname = f.hostname.substr(0, dot);
  } else {
    f.fqdn = fqdn_from_hosts(f.hostname);
  }
  read_os_release(f);
}

}  // namespace roux::facts
