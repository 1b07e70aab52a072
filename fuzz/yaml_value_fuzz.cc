// libFuzzer target: the compiler's YAML reader (recipes, policies, attributes, client.yaml).
#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "compiler/yaml_value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  roux::engine::Value v;
  std::vector<roux::Status> errors;
  if (roux::compiler::parse_yaml(text, "fuzz.yaml", &v, &errors)) (void)roux::json_dump(roux::compiler::to_json(v));  // YAML may hold any bytes
  return 0;
}
