// Facts: cpus, cpu model, memory, swap, uptime and load (sysconf, sysinfo, /proc/meminfo, /proc/cpuinfo).
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/strings.h"
#include "facts/facts.h"

namespace roux::facts {

void gather_hardware(Facts& f) {
  f.cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  struct sysinfo si{};
  if (sysinfo(&si) == 0) {
    f.memory_total_mb = static_cast<uint64_t>(si.totalram) * si.mem_unit / (1024 * 1024);
    f.swap_total_mb = static_cast<uint64_t>(si.totalswap) * si.mem_unit / (1024 * 1024);
    f.uptime_seconds = static_cast<uint64_t>(si.uptime);
    for (int i = 0; i < 3; ++i) f.load[i] = static_cast<double>(si.loads[i]) / (1 << SI_LOAD_SHIFT);
  }
  // MemAvailable (the kernel's estimate of what can be used without swapping); sysinfo lacks it.
  if (FILE* m = std::fopen("/proc/meminfo", "re")) {
    char line[256];
    while (std::fgets(line, sizeof line, m)) {
      unsigned long long kb = 0;
      if (std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
        f.memory_available_mb = kb / 1024;
        break;
      }
    }
    std::fclose(m);
  }
  // The first processor block is enough for the model name.
  if (FILE* c = std::fopen("/proc/cpuinfo", "re")) {
    char line[1024];
    while (std::fgets(line, sizeof line, c)) {
      if (line[0] == '\n') break;
      if (std::strncmp(line, "model name", 10) == 0 || std::strncmp(line, "Model", 5) == 0) {
        const char* colon = std::strchr(line, ':');
        if (colon) f.cpu_model = std::string(trim(colon + 1));
        break;
      }
    }
    std::fclose(c);
  }
}

}  // namespace roux::facts
