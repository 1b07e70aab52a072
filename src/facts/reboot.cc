// Facts: whether the machine needs a reboot. Only file reads: /var/run/reboot-required (Debian's
// update-notifier-common and unattended-upgrades write it), the kernels installed under /boot
// (vmlinuz-RELEASE) and /lib/modules (RELEASE/), against the running kernel's release (uname).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "facts/facts.h"

namespace roux::facts {

int compare_kernel_releases(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])), db = std::isdigit(static_cast<unsigned char>(b[j]));
    if (da && db) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string x = a.substr(i, i2 - i), y = b.substr(j, j2 - j);
      x.erase(0, std::min(x.find_first_not_of('0'), x.size() - 1));
      y.erase(0, std::min(y.find_first_not_of('0'), y.size() - 1));
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (x != y) return x < y ? -1 : 1;
      i = i2, j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
      ++i, ++j;
    }
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

std::string reboot_reason(bool flag_file, const std::string& running, const std::vector<std::string>& installed) {
  if (flag_file) return "/var/run/reboot-required exists";
  if (running.empty()) return "";
  const std::string* newest = nullptr;
  for (const auto& k : installed)
    if (!newest || compare_kernel_releases(k, *newest) > 0) newest = &k;
  if (newest && compare_kernel_releases(*newest, running) > 0)
    return "the running kernel " + running + " is older than the newest installed, " + *newest;
  return "";
}

namespace {

std::vector<std::string> list(const char* dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir);
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  return out;
}

}  // namespace

void gather_reboot(Facts& f) {
  struct stat st;
  const bool flag = ::stat("/var/run/reboot-required", &st) == 0;
  std::vector<std::string> installed;
  for (const auto& n : list("/boot"))
    if (n.rfind("vmlinuz-", 0) == 0 && n.size() > 8) installed.push_back(n.substr(8));
  for (const auto& n : list("/lib/modules"))
    if (::stat(("/lib/modules/" + n + "/modules.dep").c_str(), &st) == 0) installed.push_back(n);
  f.reboot_required_reason = reboot_reason(flag, f.kernel.release, installed);
  f.reboot_required = !f.reboot_required_reason.empty();
}

}  // namespace roux::facts
