#include "compiler/compile.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "resources/builtin.h"
#include "tests/unit/temp_dir.h"

namespace roux::compiler {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("desired digests: the serialised text earlier runs hashed is unchanged (else every resource drifts once)") {
  // The values were printed by the previous release (roux plan --format json, "desired"), so a
  // faster serialiser that changes one byte of the text fails here.
  testing::TempDir tmp;
  write(tmp.path + "/pin/metadata.yaml", "name: pin\nversion: 1.0.0\n");
  write(tmp.path + "/pin/recipes/default.yaml",
        "resources:\n"
        "  - file: /etc/pin.conf\n"
        "    content: \"a: 1\\nb\\n\"\n"
        "    mode: \"0640\"\n"
        "    owner: root\n"
        "  - exec: /bin/true\n"
        "    environment:\n"
        "      A: \"x\"\n"
        "      EMPTY: \"\"\n"
        "    creates: /tmp/pin-created\n"
        "  - directory: /etc/pin.d\n"
        "    recursive: true\n");
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  facts::Facts facts;
  CompileResult r = compile_cookbook_recipe(tmp.path + "/pin", "default", registry, facts);
  REQUIRE(r.ok());
  const engine::Graph& g = r.compiled->graph;
  REQUIRE(g.size() == 3);
  CHECK(g.find("file[/etc/pin.conf]")->resource->meta().desired_digest == "af9ab4e47ec5f067");
  CHECK(g.find("exec[/bin/true]")->resource->meta().desired_digest == "87f132f55ff0e8ac");
  CHECK(g.find("directory[/etc/pin.d]")->resource->meta().desired_digest == "535170cbcfd0919f");
}

}  // namespace roux::compiler
