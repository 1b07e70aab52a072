// libFuzzer target: the parse cache reader (CBOR entries on disk; any bytes at all).
#include <cstdint>
#include <string>

#include "compiler/parse_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  roux::engine::Value v;
  bool stale = false;
  // The seeds are encoded with digest "d" (fuzz/corpus/parse_cache).
  if (roux::compiler::decode_value_tree(bytes, "d", "fuzz.yaml", &v, &stale)) {
    std::string again = roux::compiler::encode_value_tree(v, "d");
    roux::engine::Value w;
    if (!roux::compiler::decode_value_tree(again, "d", "fuzz.yaml", &w)) __builtin_trap();
  }
  return 0;
}
