#include "compiler/compile.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "base/log.h"
#include "base/log_capture.h"
#include "base/redact.h"
#include "base/secret.h"
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

/// Everything a compile hands on, as text: the graph's fingerprint, the verify checks, the kept
/// properties, every error, and the lines it logged (in order).
struct CompileOutcome {
  std::string print;
  std::vector<std::string> errors;
  std::vector<std::string> log;
  int threads = 0;
};

CompileOutcome compile_with_jobs(const std::string& policy, int jobs, const std::string& key = "",
                                 const std::string& cache = "") {
  engine::Registry registry;
  resources::register_builtin_resources(registry);
  facts::Facts facts;
  facts.hostname = "web1";
  CompileOptions o;
  o.policy_file = policy;
  o.jobs = jobs;
  o.keep_properties = true;
  o.secret_key_file = key;
  o.parse_cache_dir = cache;
  o.parse_cache_writable = !cache.empty();
  std::vector<log::CapturedLine> lines;
  CompileResult r;
  {
    log::Capture capture(&lines);  // the merge replays the workers' lines on this thread
    r = compile_policy(o, registry, facts);
  }
  CompileOutcome out;
  for (const auto& e : r.errors) out.errors.push_back(e.to_string());
  for (const auto& l : lines) out.log.push_back(l.text);
  if (r.compiled) {
    out.print = fingerprint(*r.compiled);
    for (const auto& [id, props] : r.compiled->properties)
      for (const auto& [k, v] : props) out.print += "prop " + id + " " + k + "=" + v + "\n";
    out.threads = r.compiled->compile_threads;
  }
  return out;
}

/// A generated policy of `recipes` recipes (r0, r1, ...) plus one big one (600 resources) with
/// templates, a composite, tags, refs, guards, fact conditions and a verify: list in the middle;
/// `extra` is appended to recipe r1 (errors), `big_extra` to the big recipe.
std::string write_parallel_policy(const std::string& dir, int recipes, const std::string& extra = "",
                                  const std::string& big_extra = "", const std::string& run_list_extra = "") {
  std::string cb = dir + "/cookbooks/par";
  write(cb + "/metadata.yaml", "name: par\nversion: 0.1.0\n");
  write(cb + "/attributes.yaml", "par:\n  mode: \"0640\"\n  owner: root\n  port: 8080\n  words: [a, b]\n");
  write(cb + "/templates/t.mustache", "host {{facts.hostname}} {{x}} {{#attr.par.words}}{{.}} {{/attr.par.words}}\n");
  std::string policy = "name: par\nsources: [cookbooks]\nrun_list:\n  - par::big\n";
  std::string big = "tags: [big]\nresources:\n  - directory: /srv/par\n";
  for (int i = 0; i < 600; ++i) {
    std::string d = "/srv/par/d" + std::to_string(i / 50);
    if (i % 50 == 0) big += "  - directory: " + d + "\n    mode: \"0755\"\n";
    big += "  - file: " + d + "/f" + std::to_string(i) + "\n    content: \"f " + std::to_string(i) +
           " {{attr.par.owner}}\\n\"\n    mode: \"{{attr.par.mode}}\"\n";
    if (i % 7 == 0) big += "    notify: exec[reload]\n";
    if (i % 5 == 0) big += "    tags: [five, \"t-" + std::to_string(i) + "\"]\n";
    if (i % 11 == 0) big += "    only_if: test -d " + d + "\n";
    if (i % 13 == 0) big += "    only_if_fact: {hostname: web2}\n";
    if (i % 40 == 0)
      big += "  - template: " + d + "/t" + std::to_string(i) + ".conf\n    source: t.mustache\n    variables: {x: " +
             std::to_string(i) + "}\n    requires: file[" + d + "/f" + std::to_string(i) + "]\n";
    if (i == 300) big += "  - monitoring_agent: node_exporter\n    textfile_directory: /var/lib/par-textfile\n";
  }
  big += "  - exec: reload\n    command: \"true\"\n    refresh_only: true\n";
  big += "verify:\n  - file_contains: /srv/par/d0/f0\n    contains: \"f 0\"\n";
  big += "  - tcp: 127.0.0.1:{{attr.par.port}}\n" + big_extra;
  write(cb + "/recipes/big.yaml", big);
  for (int r = 0; r < recipes; ++r) {
    std::string rec = "tags: [r" + std::to_string(r) + "]\nresources:\n";
    for (int i = 0; i < 90; ++i)
      rec += "  - file: /srv/par/r" + std::to_string(r) + "/f" + std::to_string(i) +
             "\n    content: \"{{attr.par.words}}\"\n    requires: directory[/srv/par]\n";
    if (r == 1) rec += extra;
    write(cb + "/recipes/r" + std::to_string(r) + ".yaml", rec);
    policy += "  - par::r" + std::to_string(r) + "\n";
  }
  write(dir + "/policy.yaml", policy + run_list_extra);
  return dir + "/policy.yaml";
}

std::vector<std::pair<std::string, std::string>> cache_files(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    out.emplace_back(e.path().filename().string(), std::string(std::istreambuf_iterator<char>(in), {}));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("parallel compile: 1 and N threads give the same graph, verify checks, properties, log and parse cache") {
  testing::TempDir tmp;
  std::string policy = write_parallel_policy(tmp.path, 4);
  CompileOutcome one = compile_with_jobs(policy, 1, "", tmp.path + "/cache1");
  REQUIRE_MESSAGE(one.errors.empty(), (one.errors.empty() ? std::string() : one.errors.front()));
  CHECK(one.threads == 1);
  CHECK(one.print.find("file[/srv/par/d5/f299] @") != std::string::npos);
  CHECK(one.print.find("composite=monitoring_agent[node_exporter]") != std::string::npos);
  CHECK(one.print.find("  notify exec[reload]") != std::string::npos);
  CHECK(one.print.find("skip=only_if_fact") != std::string::npos);
  CHECK(one.print.find("verify ") != std::string::npos);
  CHECK(one.print.find("  tag t-595") != std::string::npos);
  for (int jobs : {2, 3, 7}) {
    CAPTURE(jobs);
    CompileOutcome n = compile_with_jobs(policy, jobs, "", tmp.path + "/cache" + std::to_string(jobs));
    CHECK(n.threads == jobs);  // ~990 resources: one thread per 128
    CHECK(n.errors == one.errors);
    CHECK(n.log == one.log);
    CHECK(n.print == one.print);
    CHECK(cache_files(tmp.path + "/cache" + std::to_string(jobs)) == cache_files(tmp.path + "/cache1"));
  }
  // Corrupt cache entries: each is named in a warning, in run-list order, whatever the threads
  // (the recipes are parsed on several threads too), and parsed again.
  for (int jobs : {1, 3}) {
    for (const auto& e : fs::directory_iterator(tmp.path + "/cache" + std::to_string(jobs)))
      std::ofstream(e.path(), std::ios::trunc) << "garbage";
  }
  CompileOutcome bad1 = compile_with_jobs(policy, 1, "", tmp.path + "/cache1");
  CompileOutcome bad3 = compile_with_jobs(policy, 3, "", tmp.path + "/cache3");
  CHECK(bad1.log.size() == 6);  // 5 recipes and attributes.yaml
  auto unplaced = [&](std::vector<std::string> lines, const std::string& cache) {  // the cache folders differ
    for (auto& l : lines)
      if (auto at = l.find(cache); at != std::string::npos) l.replace(at, cache.size(), "CACHE");
    return lines;
  };
  CHECK(unplaced(bad3.log, tmp.path + "/cache3") == unplaced(bad1.log, tmp.path + "/cache1"));
  CHECK(bad1.log.front().find("parse cache: ignoring corrupt entry") != std::string::npos);
  CHECK(bad3.print == one.print);
  CHECK(bad1.print == one.print);
  CHECK(cache_files(tmp.path + "/cache3") == cache_files(tmp.path + "/cache2"));

  // Threads by the number of resources: ~990 take no more than 7; a small policy starts none.
  CHECK(compile_with_jobs(policy, 64).threads == 7);
  CompileOutcome quick = compile_with_jobs(std::string(ROUX_SOURCE_DIR) + "/examples/quickstart/policy.yaml", 8);
  REQUIRE(quick.errors.empty());
  CHECK(quick.threads == 1);
}

TEST_CASE("parallel compile: errors in several recipes and places come in the same order with the same places") {
  testing::TempDir tmp;
  std::string errors_r1 =
      "  - nosuchtype: /x\n"
      "  - file: /srv/par/bad-mode\n    mode: abc\n"
      "  - file: /srv/par/bad-tag\n    tags: [\"no spaces\"]\n"
      "  - file: /srv/par/bad-retries\n    retries: 500\n"
      "  - file: /srv/par/missing-attr\n    content: \"{{attr.par.nope}}\"\n"
      "  - file: /srv/par/d0/f3\n    content: duplicate of big\n"
      "  - file: /srv/par/bad-ref\n    notify: service[nowhere]\n"
      "  - monitoring_agent: node_exporter\n    textfile_directory: 42\n    retries: 1\n"
      "  - file: \"\"\n"
      "resourcez: []\n";
  std::string policy =
      write_parallel_policy(tmp.path, 3, errors_r1, "  - tcp: \"not a port\"\n",
                            "  - par::missing\n  - par::broken\n  - par::r2\n");
  write(tmp.path + "/cookbooks/par/recipes/broken.yaml", "resources:\n  - file: /x\n    content: [unclosed\n");
  CompileOutcome one = compile_with_jobs(policy, 1);
  REQUIRE(one.errors.size() >= 9);
  std::string all;
  for (const auto& e : one.errors) all += e + "\n";
  CHECK(all.find("unknown resource type \"nosuchtype\"") != std::string::npos);
  CHECK(all.find("recipes/r1.yaml:") != std::string::npos);
  CHECK(all.find("has no recipe \"missing\"") != std::string::npos);
  CHECK(all.find("recipes/broken.yaml:") != std::string::npos);
  CHECK(all.find("duplicate resource file[/srv/par/d0/f3]") != std::string::npos);
  CHECK(all.find("recipe: unknown key \"resourcez\"") != std::string::npos);
  for (int jobs : {2, 4}) {
    CAPTURE(jobs);
    CompileOutcome n = compile_with_jobs(policy, jobs);
    CHECK(n.errors == one.errors);
    CHECK(n.log == one.log);
  }
}

TEST_CASE("parallel compile: secrets: attribute secrets compile in parallel; an ENC value in a recipe compiles serially") {
  testing::TempDir tmp;
  REQUIRE(secret::keygen(tmp.path + "/host").is_ok());
  auto enc = secret::encrypt("par-secret-value-1", tmp.path + "/host.pub");
  REQUIRE(enc.is_ok());
  // An attribute secret interpolated into files without a mode: each is sensitive and warned
  // about, in declaration order, whatever the threads.
  std::string policy = write_parallel_policy(tmp.path + "/a", 3);
  std::ofstream(tmp.path + "/a/cookbooks/par/attributes.yaml", std::ios::app) << "  token: \"" << *enc << "\"\n";
  std::ofstream(tmp.path + "/a/cookbooks/par/recipes/r2.yaml", std::ios::app)
      << "  - file: /srv/par/secret-a\n    content: \"{{attr.par.token}}\"\n"
      << "  - file: /srv/par/plain-with-secret-text\n    content: \"par-secret-value-1\"\n"
      << "  - file: /srv/par/secret-b\n    content: \"x {{attr.par.token}}\"\n";
  CompileOutcome one = compile_with_jobs(policy, 1, tmp.path + "/host.key");
  REQUIRE_MESSAGE(one.errors.empty(), (one.errors.empty() ? std::string() : one.errors.front()));
  CHECK(one.log.size() == 3);
  CHECK(one.print.find("file[/srv/par/plain-with-secret-text] @" ) != std::string::npos);
  CompileOutcome two = compile_with_jobs(policy, 2, tmp.path + "/host.key");
  CHECK(two.threads == 2);
  CHECK(two.log == one.log);
  CHECK(two.print == one.print);

  // An encrypted value in a recipe: decrypting it teaches the redactor a plaintext that marks
  // later values sensitive, so the compile keeps to one thread and gives the serial result.
  redact::clear();
  std::string policy2 = write_parallel_policy(tmp.path + "/b", 3);
  std::ofstream(tmp.path + "/b/cookbooks/par/recipes/r0.yaml", std::ios::app)
      << "  - file: /srv/par/enc\n    mode: \"0600\"\n    content: \"" << *enc << "\"\n";
  std::ofstream(tmp.path + "/b/cookbooks/par/recipes/r2.yaml", std::ios::app)
      << "  - file: /srv/par/later-plain\n    mode: \"0644\"\n    content: \"par-secret-value-1\"\n";
  CompileOutcome s1 = compile_with_jobs(policy2, 1, tmp.path + "/host.key");
  redact::clear();
  CompileOutcome s2 = compile_with_jobs(policy2, 4, tmp.path + "/host.key");
  redact::clear();
  REQUIRE(s1.errors.empty());
  CHECK(s2.threads == 1);
  CHECK(s2.print == s1.print);
  CHECK(s1.print.find("later-plain] @") != std::string::npos);
  size_t at = s1.print.find("later-plain] @");
  CHECK(s1.print.find("sensitive=1", at) < s1.print.find('\n', at));
}

}  // namespace roux::compiler
