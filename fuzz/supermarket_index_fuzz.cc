// libFuzzer target: the supermarket index parser (JSON from the network, after its signature).
#include <cstdint>
#include <string_view>

#include "sources/supermarket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto index = roux::sources::parse_index(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (index.is_ok()) {
    // What was accepted must round-trip.
    auto again = roux::sources::parse_index(roux::sources::index_to_json(*index), "fuzz");
    if (!again.is_ok()) __builtin_trap();
  }
  return 0;
}
