// libFuzzer target: mustache templates, rendered against a fixed view (strings, lists, maps).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "compiler/mustache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const roux::compiler::Renderer renderer(nlohmann::json::parse(R"({
    "node": {"name": "web1", "port": 8080, "tags": ["a", "b"], "on": true, "none": null},
    "attributes": {"list": [{"k": "v"}, {"k": "w"}], "empty": [], "nested": {"x": {"y": "z"}}}
  })"));
  static const nlohmann::json vars = {{"v", "x"}, {"items", {1, 2, 3}}};
  std::string tmpl(reinterpret_cast<const char*>(data), size);
  (void)renderer.render(tmpl, nullptr);
  (void)renderer.render(tmpl, &vars);
  return 0;
}
