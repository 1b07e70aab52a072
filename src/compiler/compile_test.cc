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

/// Everything the engine and the report read from a compiled graph, as text: nodes in order with
/// their place, meta (digest, tags, guards, attributes read), dependencies and notifications by id.
std::string fingerprint(const Compiled& c) {
  std::string out;
  for (const auto& n : c.graph.nodes()) {
    const engine::Meta& m = n->resource->meta();
    out += std::to_string(n->index) + " " + n->resource->id() + " @" + n->where.to_string() + " digest=" +
           m.desired_digest + " cookbook=" + m.cookbook + "::" + m.recipe + " composite=" + m.composite +
           " sensitive=" + std::to_string(m.sensitive) + " skip=" + m.skip_reason + " retries=" +
           std::to_string(m.retries) + " ignore_failure=" + std::to_string(m.ignore_failure) + "\n";
    for (const auto& t : m.tags) out += "  tag " + t + "\n";
    for (const auto& a : m.attributes) out += "  attr " + a + "\n";
    for (const auto& g : m.only_if) out += "  only_if " + g + "\n";
    for (const auto& g : m.not_if) out += "  not_if " + g + "\n";
    for (const auto* d : n->deps) out += "  after " + d->resource->id() + "\n";
    for (const auto& x : n->notifies)
      out += "  notify " + x.target->resource->id() + " " + x.action + (x.immediately ? " now" : "") + "\n";
    for (const auto& id : n->resource->implicit_deps()) out += "  implicit " + id + "\n";
  }
  for (const auto& v : c.verify) out += "verify " + v.name + " " + v.target + " @" + v.where.to_string() + "\n";
  return out;
}

/// The policy compiled without a parse cache, then with an empty one (filled), then with it warm:
/// the three graphs must be the same. Returns the fingerprint; `entries` = cache files written.
std::string compile_three_ways(const std::string& policy, const std::string& cache, size_t* entries) {
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  facts::Facts facts;
  facts.hostname = "web1";
  std::string prints[3];
  for (int i = 0; i < 3; ++i) {
    CompileOptions o;
    o.policy_file = policy;
    o.parse_cache_dir = i == 0 ? "" : cache;
    o.parse_cache_writable = true;
    CompileResult r = compile_policy(o, registry, facts);
    REQUIRE_MESSAGE(r.ok(), (r.errors.empty() ? std::string("no graph") : r.errors.front().to_string()));
    prints[i] = fingerprint(*r.compiled);
  }
  CHECK(prints[1] == prints[0]);
  CHECK(prints[2] == prints[0]);
  *entries = 0;
  for (const auto& e : fs::directory_iterator(cache)) *entries += e.path().extension() == ".cbor";
  return prints[0];
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

TEST_CASE("parse cache: a warm compile gives the graph and digests a compile without the cache gives (quickstart)") {
  testing::TempDir tmp;
  size_t entries = 0;
  std::string print =
      compile_three_ways(std::string(ROUX_SOURCE_DIR) + "/examples/quickstart/policy.yaml", tmp.path + "/parsed", &entries);
  CHECK(entries >= 3);  // the warm compile read recipes and attributes from the cache
  CHECK(print.find("file[/srv/hello/releases/1/index.html]") != std::string::npos);
  CHECK(print.find("  after directory[/srv/hello/releases/1]") != std::string::npos);
  CHECK(print.find("  notify exec[reload hello]") != std::string::npos);
}

TEST_CASE("parse cache: a warm compile gives the same graph for a generated policy (folders, links, refs, tags, attributes)") {
  testing::TempDir tmp;
  std::string cb = tmp.path + "/cookbooks/gen";
  write(cb + "/metadata.yaml", "name: gen\nversion: 0.1.0\n");
  write(cb + "/attributes.yaml", "gen:\n  mode: \"0640\"\n  owner: root\n  words: [a, b]\n");
  write(cb + "/templates/t.mustache", "host {{facts.hostname}} {{#attr.gen.words}}{{.}} {{/attr.gen.words}}\n");
  std::string recipe = "tags: [gen]\nresources:\n  - directory: /srv/gen\n  - link: /srv/gen/current\n    to: /srv/gen/d0\n";
  std::string policy = "name: gen\nsources: [cookbooks]\nrun_list:\n  - gen\n";
  for (int d = 0; d < 4; ++d) {
    std::string dir = "/srv/gen/d" + std::to_string(d);
    recipe += "  - directory: " + dir + "\n    mode: \"0755\"\n";
    std::string sub = "tags: [r" + std::to_string(d) + "]\nresources:\n";
    for (int f = 0; f < 25; ++f) {
      sub += "  - file: " + dir + "/f" + std::to_string(f) + "\n    content: \"file " + std::to_string(f) +
             " {{attr.gen.owner}}\\n\"\n    mode: \"{{attr.gen.mode}}\"\n    owner: \"{{attr.gen.owner}}\"\n";
      if (f % 7 == 0) sub += "    notify: exec[reload " + std::to_string(d) + "]\n";
      if (f % 5 == 0) sub += "    tags: [five, \"t-" + std::to_string(f) + "\"]\n";
      if (f % 6 == 0) sub += "    only_if: test -d " + dir + "\n";
    }
    sub += "  - template: " + dir + "/t.conf\n    source: t.mustache\n    requires: file[" + dir + "/f3]\n";
    sub += "  - exec: reload " + std::to_string(d) + "\n    command: \"true\"\n    refresh_only: true\n";
    write(cb + "/recipes/r" + std::to_string(d) + ".yaml", sub);
    policy += "  - gen::r" + std::to_string(d) + "\n";
  }
  write(cb + "/recipes/default.yaml", recipe);
  write(tmp.path + "/policy.yaml", policy);
  size_t entries = 0;
  std::string print = compile_three_ways(tmp.path + "/policy.yaml", tmp.path + "/parsed", &entries);
  CHECK(entries == 6);  // 5 recipes and attributes.yaml
  CHECK(print.find("file[/srv/gen/d2/f14] @") != std::string::npos);
  CHECK(print.find("  after directory[/srv/gen/d2]") != std::string::npos);
  CHECK(print.find("  tag t-10") != std::string::npos);
  CHECK(print.find("  attr attr.gen.mode") != std::string::npos);

  // An error that names a place in a recipe read from the cache names the same file:line:col as
  // one parsed now: r1 declares again a file of r0, whose entry stays warm.
  std::ofstream(cb + "/recipes/r1.yaml", std::ios::app) << "  - file: /srv/gen/d0/f3\n    content: again\n";
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  facts::Facts facts;
  std::string messages[2];
  for (int i = 0; i < 2; ++i) {
    CompileOptions o;
    o.policy_file = tmp.path + "/policy.yaml";
    o.parse_cache_dir = i == 0 ? "" : tmp.path + "/parsed";
    CompileResult r = compile_policy(o, registry, facts);
    REQUIRE(r.errors.size() == 1);
    messages[i] = r.errors.front().to_string();
  }
  CHECK(messages[1] == messages[0]);
  CHECK(messages[1].find("duplicate resource file[/srv/gen/d0/f3] (first declared at " + cb + "/recipes/r0.yaml:") !=
        std::string::npos);
}

}  // namespace roux::compiler
