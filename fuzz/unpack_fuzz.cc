// libFuzzer target: the cookbook tarball unpacker (gzip + tar), into a scratch folder per input.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "sources/unpack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string base = [] {
    const char* t = getenv("TMPDIR");
    std::string dir = std::string(t && *t ? t : "/tmp") + "/roux-unpack-fuzz-" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    return dir;
  }();
  std::string dest = base + "/out";
  roux::sources::UnpackLimits limits;
  limits.max_bytes = 1 << 20;  // a fuzz input must not fill the disk
  limits.max_entries = 1000;
  (void)roux::sources::unpack_archive(std::string_view(reinterpret_cast<const char*>(data), size), dest, "fuzz", limits);
  std::error_code ec;
  std::filesystem::remove_all(dest, ec);
  // Nothing may land outside dest: the scratch folder holds only leftovers of dest itself.
  for (const auto& e : std::filesystem::directory_iterator(base, ec))
    if (e.path() != dest) __builtin_trap();
  return 0;
}
