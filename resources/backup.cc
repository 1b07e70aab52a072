#include "resources/backup.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/strings.h"

namespace roux::resources {
namespace {
constexpr size_t kStampLen = 23;  // 20261121T201500.123456Z
}

Status backup_file(host::Host& host, const std::string& state_dir, const std::string& path, int keep) {
  ROUX_ASSIGN_OR_RETURN(host::FileInfo fi, host.lstat(path));
  if (fi.type != host::FileType::kFile) return Status::ok();
  std::string key;
  for (char c : path.substr(1)) key += c == '/' ? std::string("%2F") : std::string(1, c);
  std::string dir = state_dir + "/backup/" + key;
  ROUX_TRY(host::make_dirs(host, dir, 0700));
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
