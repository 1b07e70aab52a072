#include "resources/backup.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/sha256.h"
#include "base/strings.h"

namespace roux::resources {
namespace {
constexpr size_t kStampLen = 23;  // 20261121T201500.123456Z
constexpr size_t kTailLen = 64;   // bytes of the file's own name kept in its folder's name

/// The last `kTailLen` bytes at most of the path's last component, cut at a UTF-8 boundary.
std::string name_tail(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  if (base.size() <= kTailLen) return base;
  size_t cut = kTailLen;
  while (cut > 0 && (static_cast<unsigned char>(base[cut]) & 0xC0) == 0x80) --cut;
  return base.substr(0, cut);
}
}  // namespace

std::string backup_dir(const std::string& state_dir, const std::string& path) {
  return state_dir + "/backup/" + sha256_hex(path).substr(0, 32) + "-" + name_tail(path);
}

Status backup_file(host::Host& host, const std::string& state_dir, const std::string& path, int keep) {
  ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(path));
  if (fi.type != host::FileType::kFile) return Status::ok();
  std::string dir = backup_dir(state_dir, path);
  ROUX_TRY(host::make_dirs(host, dir, 0700));
  // The folder says whose backups it holds: its name is a hash, its `path` file the whole path.
  ROUX_ASSIGN_OR_RETURN(host::FileInfo named, host.lstat(dir + "/path"));
  if (!named.exists()) ROUX_TRY(host.write_file(dir + "/path", path + "\n", 0600, std::nullopt, std::nullopt));
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm utc;
  gmtime_r(&tv.tv_sec, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02d.%06ldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long>(tv.tv_usec));
  ROUX_TRY(host.copy_file(path, dir + "/" + stamp, 0600).with_context("backup " + path));
  // Retention: the timestamp sorts lexically, so the newest are last.
  ROUX_ASSIGN_OR_RETURN(std::vector<std::string> names, host.list_dir(dir));
  std::vector<std::string> mine;
  for (const auto& n : names)
    if (n.size() == kStampLen && n.back() == 'Z') mine.push_back(n);
  std::sort(mine.begin(), mine.end());
  for (size_t i = 0; i + static_cast<size_t>(keep) < mine.size(); ++i) ROUX_TRY(host.remove(dir + "/" + mine[i]));
  return Status::ok();
}

}  // namespace roux::resources
