// libFuzzer target: the lockfile parser (a user-owned file: errors, never exceptions).
#include <cstdint>
#include <string>

#include "compiler/lockfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto lock = roux::compiler::parse_lockfile(text, "fuzz.lock.json");
  if (lock.is_ok()) {
    auto again = roux::compiler::parse_lockfile(roux::compiler::lockfile_to_json(*lock), "fuzz.lock.json");
    if (!again.is_ok()) __builtin_trap();
  }
  return 0;
}
