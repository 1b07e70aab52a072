// libFuzzer target: versions and constraints ("~> 1.2", ">= 1.0, < 2").
#include <cstdint>
#include <string_view>

#include "base/semver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto v = roux::Version::parse(s);
  if (v.is_ok()) {
    auto again = roux::Version::parse(v->to_string());  // what prints must parse to the same
    if (!again.is_ok() || !(*again == *v)) __builtin_trap();
  }
  auto c = roux::Constraint::parse(s);
  if (c.is_ok() && v.is_ok()) (void)c->matches(*v);
  return 0;
}
